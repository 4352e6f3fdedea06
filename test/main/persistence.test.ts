import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer } from "effect"
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Persistence } from "../../src/main/persistence.ts"
import { SecretBox } from "../../src/ports/SecretBox.ts"
import { WorkflowRepo } from "../../src/ports/WorkflowRepo.ts"

const withEnv = (env: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-settings-"))),
  (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
)

describe("persistence as configured (CONTRACT §1)", () => {
  it.live("no DATABASE_URL: embedded PGlite under AST_DATA_DIR, and a key generated there once", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const layer = Persistence.pipe(Layer.provide(withEnv({ AST_DATA_DIR: dir })))
      const sealed = yield* Effect.gen(function* () {
        expect((yield* (yield* WorkflowRepo).list("org", 1)).items).toEqual([])
        return yield* (yield* SecretBox).seal("lc_live_example")
      }).pipe(Effect.provide(layer))
      expect(statSync(join(dir, "encryption.key")).mode & 0o777).toBe(0o600)
      expect(existsSync(join(dir, "pg"))).toBe(true)
      // After a restart the same key opens what was sealed before.
      const opened = yield* Effect.flatMap(SecretBox, (box) => box.open(sealed)).pipe(Effect.provide(layer))
      expect(opened).toBe("lc_live_example")
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("DATABASE_URL without AST_ENCRYPTION_KEY stops startup with a message naming the variable", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const result = yield* Layer.build(Persistence.pipe(Layer.provide(withEnv({ AST_DATA_DIR: dir, DATABASE_URL: "postgres://postgres@127.0.0.1:5432/test" })))).pipe(Effect.either)
      expect(Either.isLeft(result)).toBe(true)
      expect(Either.isLeft(result) && String(result.left)).toContain("AST_ENCRYPTION_KEY")
      expect(existsSync(join(dir, "encryption.key"))).toBe(false)
    }).pipe(Effect.scoped))

  it.live("a malformed DATABASE_URL or retention is a clear configuration error", () =>
    Effect.gen(function* () {
      const result = yield* Layer.build(Persistence.pipe(Layer.provide(withEnv({ DATABASE_URL: "mysql://x", AST_EXECUTION_RETENTION_DAYS: "soon" })))).pipe(Effect.either)
      const message = Either.isLeft(result) ? String(result.left) : ""
      expect(message).toContain("DATABASE_URL")
      expect(message).toContain("DATABASE_URL: \"must be a postgres:// or postgresql:// URL")
      expect(message).toContain("AST_EXECUTION_RETENTION_DAYS")
      expect(message).not.toContain("mysql://x")
    }).pipe(Effect.scoped))
})
