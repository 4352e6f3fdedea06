import { Effect, Layer } from "effect"
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from "node:crypto"
import { SecretBox } from "../../ports/SecretBox.ts"

import { SecretUnreadable } from "../../domain/errors.ts"

export { SecretUnreadable }

const version = "v1"
const algorithm = "aes-256-gcm"
const ivBytes = 12
const tagBytes = 16
/** The version is authenticated too, so a sealed text cannot be relabelled under another scheme. */
const associatedData = Buffer.from(`ast/SecretBox/${version}`, "utf8")

/**
 * Strict base64url: Node's decoder skips foreign characters and ignores a last character's spare bits,
 * so two different strings could decode to the same bytes; only the canonical spelling is accepted.
 */
const decodeBase64Url = (text: string): Buffer | undefined => {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined
  const bytes = Buffer.from(text, "base64url")
  return bytes.toString("base64url") === text ? bytes : undefined
}

const unreadable = (reason: SecretUnreadable["reason"]) =>
  new SecretUnreadable({
    reason,
    message: reason === "malformed"
      ? `the sealed secret is malformed (expected ${version}.<iv>.<ciphertext>.<tag> in base64url)`
      : reason === "unknown_version"
      ? `the sealed secret uses an unknown format version (this build reads ${version})`
      : "the sealed secret cannot be opened: it was altered or sealed under another key"
  })

/**
 * AES-256-GCM with a random 12-byte IV per seal and a 16-byte tag, written
 * `v1.<base64url iv>.<base64url ciphertext>.<base64url tag>`; the prefix leaves room to rotate keys or
 * algorithms later. Plaintext is UTF-8, so a string with a lone surrogate comes back with U+FFFD.
 */
export const makeSecretBox = (key: Buffer) => {
  if (key.length !== 32) throw new RangeError(`SecretBox needs a 32-byte key, got ${key.length} bytes`)
  const secretKey = createSecretKey(Buffer.from(key))

  const seal = (plaintext: string) =>
    Effect.sync(() => {
      const iv = randomBytes(ivBytes)
      const cipher = createCipheriv(algorithm, secretKey, iv, { authTagLength: tagBytes })
      cipher.setAAD(associatedData)
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
      return [version, iv, ciphertext, cipher.getAuthTag()].map((part) => typeof part === "string" ? part : part.toString("base64url")).join(".")
    }).pipe(Effect.withSpan("SecretBox.seal"))

  const open = (sealed: string) =>
    Effect.suspend(() => {
      const parts = sealed.split(".")
      if (parts.length !== 4) return Effect.fail(unreadable("malformed"))
      if (parts[0] !== version) return Effect.fail(unreadable(/^v\d+$/.test(parts[0] ?? "") ? "unknown_version" : "malformed"))
      const [iv, ciphertext, tag] = parts.slice(1).map(decodeBase64Url)
      if (iv?.length !== ivBytes || ciphertext === undefined || tag?.length !== tagBytes) return Effect.fail(unreadable("malformed"))
      try {
        const decipher = createDecipheriv(algorithm, secretKey, iv, { authTagLength: tagBytes })
        decipher.setAAD(associatedData)
        decipher.setAuthTag(tag)
        return Effect.succeed(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8"))
      } catch {
        // GCM reports a failed tag check by throwing; the cause says nothing more useful than "not authentic"
        return Effect.fail(unreadable("not_authentic"))
      }
    }).pipe(Effect.withSpan("SecretBox.open"))

  return { seal, open }
}

/** The SecretBox port on AES-256-GCM under `key` (32 bytes, from `loadEncryptionKey`). */
export const SecretBoxAesGcm = (key: Buffer) => Layer.sync(SecretBox, () => makeSecretBox(key))
