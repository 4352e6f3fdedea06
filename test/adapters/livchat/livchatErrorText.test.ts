import { describe, expect, it } from "@effect/vitest"
import { livchatErrorText } from "../../../src/adapters/livchat/livchatErrorText.ts"

describe("LivChat's error text", () => {
  it("the error text is LivChat's {error|message}, else the body, else the status text; short and on one line", () => {
    expect(livchatErrorText(JSON.stringify({ error: "invalid phone" }), "Bad Request")).toBe("invalid phone")
    expect(livchatErrorText(JSON.stringify({ error: { message: "nope" } }), "Bad Request")).toBe("nope")
    expect(livchatErrorText(JSON.stringify({ message: "slow down" }), "Too Many Requests")).toBe("slow down")
    expect(livchatErrorText("plain\n  text", "Bad Request")).toBe("plain text")
    expect(livchatErrorText(JSON.stringify("quoted"), "Bad Request")).toBe("quoted")
    expect(livchatErrorText("<html><body>502</body></html>", "Bad Gateway")).toBe("Bad Gateway")
    expect(livchatErrorText("", "Internal Server Error")).toBe("Internal Server Error")
    expect(livchatErrorText("x".repeat(1_000), "")).toHaveLength(301)
  })
})
