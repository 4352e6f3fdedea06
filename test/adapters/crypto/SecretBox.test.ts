import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc } from "effect"
import { randomBytes } from "node:crypto"
import { makeSecretBox, SecretBoxAesGcm, SecretUnreadable } from "../../../src/adapters/crypto/SecretBox.ts"
import { SecretBox } from "../../../src/ports/SecretBox.ts"

const box = makeSecretBox(randomBytes(32))
const anyText = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }))
const base64UrlChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
const replacement = fc.oneof(fc.constantFrom(...base64UrlChars, ".", "=", "+", "/", " "), fc.string({ unit: "binary", minLength: 1, maxLength: 1 }))

describe("SecretBox on AES-256-GCM", () => {
  it.effect.prop("open(seal(s)) is s for any string, unicode and empty included", [anyText], ([text]) =>
    Effect.gen(function* () {
      expect(yield* box.open(yield* box.seal(text))).toBe(text)
    }))

  it.effect("the empty string round-trips", () =>
    Effect.gen(function* () {
      expect(yield* box.open(yield* box.seal(""))).toBe("")
    }))

  it.effect("sealed text is v1.<iv>.<ciphertext>.<tag> in base64url and never holds the plaintext", () =>
    Effect.gen(function* () {
      const secret = "lc_test_0123456789abcdef"
      const sealed = yield* box.seal(secret)
      expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/)
      expect(sealed).not.toContain(secret)
      expect(sealed).not.toContain(Buffer.from(secret).toString("base64url"))
      expect(sealed).not.toContain(Buffer.from(secret).toString("hex"))
    }))

  it.effect("two seals of the same text differ (a fresh IV each time)", () =>
    Effect.gen(function* () {
      const sealed = yield* Effect.all(Array.from({ length: 50 }, () => box.seal("same secret")))
      expect(new Set(sealed).size).toBe(50)
      expect(new Set(sealed.map((s) => s.split(".")[1])).size).toBe(50)
    }))

  it.effect.prop("changing any single character of a sealed text makes open fail", [anyText, fc.nat(), replacement], ([text, at, by]) =>
    Effect.gen(function* () {
      const sealed = yield* box.seal(text)
      const index = at % sealed.length
      fc.pre(sealed[index] !== by)
      const tampered = sealed.slice(0, index) + by + sealed.slice(index + 1)
      const error = yield* Effect.flip(box.open(tampered))
      expect(error).toBeInstanceOf(SecretUnreadable)
      expect(error._tag).toBe("SecretUnreadable")
    }), { fastCheck: { numRuns: 500 } })

  it.effect("a text sealed under another key does not open, and the error says why without any secret", () =>
    Effect.gen(function* () {
      const key = randomBytes(32)
      const sealed = yield* makeSecretBox(key).seal("the secret")
      const error = yield* Effect.flip(box.open(sealed))
      expect(error.reason).toBe("not_authentic")
      expect(error.message).toMatch(/altered or sealed under another key/)
      for (const leak of ["the secret", key.toString("hex"), key.toString("base64"), sealed]) expect(error.message).not.toContain(leak)
    }))

  it.effect("malformed texts fail as SecretUnreadable, never as a defect", () =>
    Effect.gen(function* () {
      const good = yield* box.seal("x")
      const [, iv, ciphertext, tag] = good.split(".")
      const malformed = [
        "", ".", "v1", "v1...", "v1.a.b.c", "hello world", good + ".", "." + good, `v1.${iv}.${ciphertext}`,
        `v1.${iv}.${ciphertext}.${tag}.${tag}`, `v1.${iv}=.${ciphertext}.${tag}`, `v1.${iv!.slice(1)}.${ciphertext}.${tag}`,
        `v1.${iv}.${ciphertext}.${tag!.slice(2)}`, `v1.${iv}.${ciphertext}.${tag}AA`, `V1.${iv}.${ciphertext}.${tag}`,
        `v1.${iv}.${ciphertext}!.${tag}`, `v1.${Buffer.from(iv!, "base64url").toString("base64")}.${ciphertext}.${tag}+/`
      ]
      for (const text of malformed) {
        const exit = yield* Effect.exit(box.open(text))
        expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error._tag : exit).toBe("SecretUnreadable")
      }
      expect((yield* Effect.flip(box.open(`v2.${iv}.${ciphertext}.${tag}`))).reason).toBe("unknown_version")
      expect((yield* Effect.flip(box.open("v1.a.b.c"))).reason).toBe("malformed")
    }))

  it("a key that is not 32 bytes is refused when the box is made", () => {
    expect(() => makeSecretBox(randomBytes(16))).toThrow(/32-byte key, got 16 bytes/)
  })

  it.effect("SecretBoxAesGcm provides the port", () =>
    Effect.gen(function* () {
      const secretBox = yield* SecretBox
      expect(yield* secretBox.open(yield* secretBox.seal("through the layer"))).toBe("through the layer")
    }).pipe(Effect.provide(SecretBoxAesGcm(randomBytes(32)))))
})
