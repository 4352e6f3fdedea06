import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { execFile } from "node:child_process"
import { randomBytes } from "node:crypto"
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { loadEncryptionKey } from "../../../src/adapters/crypto/encryptionKey.ts"

const freshDir = () => mkdtempSync(join(tmpdir(), "ast-key-"))
const configured = (text: string) => ({ configured: Redacted.make(text), dataDir: freshDir(), isEmbedded: false })
const embedded = (dataDir: string) => ({ configured: undefined, dataDir, isEmbedded: true })

describe("loadEncryptionKey (AST_ENCRYPTION_KEY)", () => {
  it.effect("a configured key is accepted as 64 hex characters, base64 or base64url, padded or not", () =>
    Effect.gen(function* () {
      const key = randomBytes(32)
      const spellings = [
        key.toString("hex"), key.toString("hex").toUpperCase(), key.toString("base64"), key.toString("base64url"),
        key.toString("base64").replace(/=+$/, ""), `  ${key.toString("base64")}\n`
      ]
      for (const text of spellings) expect((yield* loadEncryptionKey(configured(text))).equals(key)).toBe(true)
    }))

  it.effect("a configured key of the wrong length or alphabet is refused with the accepted forms, never echoing the key", () =>
    Effect.gen(function* () {
      const bad = [
        randomBytes(16).toString("hex"), randomBytes(31).toString("hex"), randomBytes(16).toString("base64"),
        randomBytes(33).toString("base64"), randomBytes(64).toString("base64"), "correct horse battery staple", "", "zz".repeat(32)
      ]
      for (const text of bad) {
        const error = yield* Effect.flip(loadEncryptionKey(configured(text)))
        expect(error._tag).toBe("EncryptionKeyInvalid")
        expect(error.message).toMatch(/AST_ENCRYPTION_KEY must be 32 bytes written as 64 hex characters or as base64/)
        expect(error.message).toContain("openssl rand -base64 32")
        expect(error.message).toContain("randomBytes(32).toString('base64')")
        if (text !== "") expect(error.message).not.toContain(text)
      }
      expect((yield* Effect.flip(loadEncryptionKey(configured(randomBytes(16).toString("base64"))))).message).toContain("decodes to 16 bytes")
    }))

  it.effect("without a key and with DATABASE_URL the load fails naming AST_ENCRYPTION_KEY and DATABASE_URL", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const error = yield* Effect.flip(loadEncryptionKey({ configured: undefined, dataDir, isEmbedded: false }))
      expect(error.message).toMatch(/AST_ENCRYPTION_KEY is not set/)
      expect(error.message).toContain("DATABASE_URL")
      expect(readdirSync(dataDir)).toEqual([])
    }))

  it.effect("embedded without a key generates <dataDir>/encryption.key with mode 0600, and the next load reads the same key", () =>
    Effect.gen(function* () {
      const dataDir = join(freshDir(), "nested", "data")
      const first = yield* loadEncryptionKey(embedded(dataDir))
      const path = join(dataDir, "encryption.key")
      expect(first.length).toBe(32)
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(readdirSync(dataDir)).toEqual(["encryption.key"])
      expect(Buffer.from(readFileSync(path, "utf8").trim(), "base64").equals(first)).toBe(true)
      expect((yield* loadEncryptionKey(embedded(dataDir))).equals(first)).toBe(true)
    }))

  it.effect("a configured key wins over the embedded key file", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const fromFile = yield* loadEncryptionKey(embedded(dataDir))
      const key = randomBytes(32)
      const loaded = yield* loadEncryptionKey({ configured: Redacted.make(key.toString("hex")), dataDir, isEmbedded: true })
      expect(loaded.equals(key)).toBe(true)
      expect(loaded.equals(fromFile)).toBe(false)
    }))

  it.effect("concurrent first loads in one process all get the same key and leave no temporary file", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const keys = yield* Effect.all(Array.from({ length: 16 }, () => loadEncryptionKey(embedded(dataDir))), { concurrency: "unbounded" })
      expect(new Set(keys.map((k) => k.toString("hex"))).size).toBe(1)
      expect(readdirSync(dataDir)).toEqual(["encryption.key"])
    }))

  it("concurrent first loads in separate processes all get the same key", async () => {
    const dataDir = freshDir()
    const module = resolve(import.meta.dirname, "../../../src/adapters/crypto/encryptionKey.ts")
    const script = `import { Effect, Logger } from "effect"
      import { loadEncryptionKey } from ${JSON.stringify(module)}
      const key = await Effect.runPromise(loadEncryptionKey({ configured: undefined, dataDir: ${JSON.stringify(dataDir)}, isEmbedded: true }).pipe(Effect.provide(Logger.remove(Logger.defaultLogger))))
      process.stdout.write(key.toString("hex"))`
    const outputs = await Promise.all(Array.from({ length: 6 }, () =>
      promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { cwd: resolve(import.meta.dirname, "../../..") })))
    expect(new Set(outputs.map((o) => o.stdout)).size).toBe(1)
    expect(outputs[0]!.stdout).toMatch(/^[0-9a-f]{64}$/)
    expect(readdirSync(dataDir)).toEqual(["encryption.key"])
  })

  it.effect("a key file that does not hold a key fails naming the file, never replacing it", () =>
    Effect.gen(function* () {
      const dataDir = freshDir()
      const path = join(dataDir, "encryption.key")
      writeFileSync(path, "not a key\n", { mode: 0o600 })
      const error = yield* Effect.flip(loadEncryptionKey(embedded(dataDir)))
      expect(error._tag).toBe("EncryptionKeyInvalid")
      expect(error.message).toContain(path)
      expect(readFileSync(path, "utf8")).toBe("not a key\n")
    }))

  it.effect("an unreadable data directory fails as EncryptionKeyInvalid, not a defect", () =>
    Effect.gen(function* () {
      if (process.getuid?.() === 0) return // root reads through any mode
      const parent = freshDir()
      chmodSync(parent, 0o500)
      const error = yield* Effect.flip(loadEncryptionKey(embedded(join(parent, "data"))))
      chmodSync(parent, 0o700)
      expect(error._tag).toBe("EncryptionKeyInvalid")
      expect(error.message).toMatch(/cannot create the encryption key file/)
    }))
})
