import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Logger, Option } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describeUrl, EmbeddedDatabase, PostgresDatabase } from "../../../src/adapters/postgres/Database.ts"
import { migrationNames } from "../../../src/adapters/postgres/migrate.ts"
import { PostgresRepositories } from "../../../src/adapters/postgres/Repositories.ts"
import { WorkflowRepo } from "../../../src/ports/WorkflowRepo.ts"
import { freshOrg, workflowFor } from "../../contract/fixtures.ts"
import { freshDatabaseUrl, skipServices } from "../../support/databases.ts"

/** Runs `self` with every log message kept in `lines`. */
const capturingLogs = (lines: Array<string>) =>
  Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(Array.isArray(message) ? message.join(" ") : message))))

describe("the embedded database", () => {
  it.live("keeps its data across a restart in the same AST_DATA_DIR, and says which database it is", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-restart-"))),
        (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
      )
      const org = freshOrg()
      const wf = workflowFor(org)
      const lines: Array<string> = []
      const repos = () => PostgresRepositories.pipe(Layer.provide(EmbeddedDatabase(dir)), Layer.provide(capturingLogs(lines)))
      yield* Effect.flatMap(WorkflowRepo, (r) => r.save(wf)).pipe(Effect.provide(repos()))
      const read = yield* Effect.flatMap(WorkflowRepo, (r) => r.get(org, wf.id)).pipe(Effect.provide(repos()))
      expect(Option.getOrThrow(read)).toEqual(wf)
      expect(lines[0]).toBe(`database: embedded PGlite in ${join(dir, "pg")}, migrated ${migrationNames.join(", ")}`)
      expect(lines[1]).toBe(`database: embedded PGlite in ${join(dir, "pg")}, schema up to date`)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})

describe.skipIf(skipServices)("PostgreSQL", () => {
  it("the startup line names the database without its password", () => {
    expect(describeUrl("postgres://ast:s3cr3t-pass@db.internal:5432/ast?sslmode=require")).toBe("postgres://ast@db.internal:5432/ast")
  })

  it.live("instances starting at once migrate once, in turn", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabaseUrl
      const lines: Array<string> = []
      const instance = PostgresDatabase(url, { maxConnections: 2 }).pipe(Layer.provide(capturingLogs(lines)))
      yield* Effect.all(Array.from({ length: 4 }, () => Layer.build(instance)), { concurrency: "unbounded" })
      expect(lines.filter((l) => l.includes(`migrated ${migrationNames.join(", ")}`))).toHaveLength(1)
      expect(lines.filter((l) => l.includes("schema up to date"))).toHaveLength(3)
      const applied = yield* Effect.flatMap(PgClient.PgClient, (sql) => sql<{ n: number }>`SELECT count(*)::int AS n FROM ast_migrations`).pipe(
        Effect.provide(PgClient.layer({ url }))
      )
      expect(applied[0]?.n).toBe(migrationNames.length)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
