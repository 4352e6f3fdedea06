import { describe, expect, it } from "@effect/vitest"
import { parseRetryAfter } from "../../../src/adapters/livchat/retryAfter.ts"

describe("Retry-After", () => {
  const now = Date.parse("2025-01-01T00:00:00Z")

  it("Retry-After is seconds or an HTTP date, never negative, undefined when unreadable", () => {
    expect(parseRetryAfter("1", now)).toBe(1_000)
    expect(parseRetryAfter(" 30 ", now)).toBe(30_000)
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:05 GMT", now)).toBe(5_000)
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter("1.5", now)).toBeUndefined()
    expect(parseRetryAfter("soon", now)).toBeUndefined()
  })
})
