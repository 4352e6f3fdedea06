import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Schedule } from "effect"
import { PostgresDatabase } from "../../../src/adapters/postgres/Database.ts"
import { freshDatabaseUrl, skipServices } from "../../support/databases.ts"

/** The index a statement's plan reads `executions` through (EXPLAIN, not run). */
const indexOfPlan = (sql: SqlClient.SqlClient, statement: string) =>
  Effect.map(sql.unsafe<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) ${statement}`), (rows) => {
    const found: Array<string> = []
    const walk = (node: any) => {
      if (node === null || typeof node !== "object") return
      if (typeof node["Index Name"] === "string" && node["Relation Name"] === "executions") found.push(node["Index Name"])
      for (const value of Object.values(node)) walk(value)
    }
    walk(rows[0]?.["QUERY PLAN"])
    return found
  })

const lastAnalyzed = (sql: SqlClient.SqlClient, table: string) =>
  Effect.map(
    sql<{ at: Date | null }>`SELECT COALESCE(last_analyze, last_autoanalyze) AS at FROM pg_stat_user_tables WHERE relname = ${table} AND schemaname = current_schema()`,
    (rows) => rows[0]?.at ?? null
  )

describe.skipIf(skipServices)("planner statistics on PostgreSQL", () => {
  it.scopedLive("tables that changed a lot are analyzed by the service itself, and a status update finds its row by primary key", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabaseUrl
      const context = yield* Layer.build(PostgresDatabase(url, { maxConnections: 2 }))
      const sql = yield* Effect.provide(SqlClient.SqlClient, context)
      // One organization's 3,000 executions, as a busy tenant's day makes them.
      yield* sql`
        INSERT INTO executions (id, organization_id, workflow_id, workflow_version, thread_id, status, started_at)
        SELECT gen_random_uuid(), 'org-busy', gen_random_uuid(), 1, 'thread-' || i, 'completed', now() - i * interval '1 second'
        FROM generate_series(1, 3000) AS i`
      const [first] = yield* sql<{ id: string }>`SELECT id FROM executions ORDER BY started_at LIMIT 1`
      // Nobody runs ANALYZE here (this machine's server has autovacuum off): the service must.
      const analyzedAt = yield* lastAnalyzed(sql, "executions").pipe(
        Effect.filterOrFail((at) => at !== null, () => "not analyzed yet" as const),
        Effect.retry({ times: 60, schedule: Schedule.spaced("500 millis") })
      )
      expect(analyzedAt).toBeInstanceOf(Date)
      // A table nothing changed is left alone.
      expect(yield* lastAnalyzed(sql, "api_keys")).toBeNull()
      const update = `UPDATE executions SET status = 'running' WHERE id = '${first?.id}' AND organization_id = 'org-busy' AND deleted_at IS NULL`
      expect(yield* indexOfPlan(sql, update)).toEqual(["executions_pkey"])
    }), { timeout: 60_000 })
})
