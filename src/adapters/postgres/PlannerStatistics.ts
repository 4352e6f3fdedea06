import { SqlClient } from "@effect/sql"
import { Duration, Effect, Layer, Schedule } from "effect"

/** An arbitrary, fixed key: one instance at a time refreshes the statistics. */
const STATISTICS_LOCK = 7_342_019_003

/** How often the tables' change counts are looked at (a cheap read of `pg_stat_user_tables`). */
export const statisticsCheckInterval = Duration.seconds(10)

/**
 * PostgreSQL's own rule for when a table's statistics are stale (autovacuum's defaults): more rows
 * changed since the last ANALYZE than 50 plus a tenth of the table.
 */
const staleTables = `
  SELECT relname AS name
  FROM pg_stat_user_tables
  WHERE schemaname = current_schema() AND n_mod_since_analyze > 50 + 0.1 * GREATEST(n_live_tup, 0)
  ORDER BY n_mod_since_analyze DESC`

/**
 * One round: ANALYZE each of the schema's tables whose statistics are stale, under a transaction
 * lock so instances do not repeat each other's work. Answers the tables analyzed.
 */
export const refreshStatistics = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(Effect.gen(function* () {
    const [lock] = yield* sql<{ readonly held: boolean }>`SELECT pg_try_advisory_xact_lock(${STATISTICS_LOCK}) AS held`
    if (lock?.held !== true) return []
    const stale = yield* sql.unsafe<{ readonly name: string }>(staleTables)
    for (const table of stale) yield* sql`ANALYZE ${sql(table.name)}`
    return stale.map((t) => t.name)
  }))
})

/**
 * Keeps the planner's statistics of AST's tables fresh, checked every 10 s. Without them (a new
 * database, or a server whose autovacuum is off or behind) the planner guesses a table is tiny and
 * may look a row up by its primary key through an index on `organization_id`, reading every row of
 * the organization: each execution's status update then costs as much as the table is large. A round
 * that fails is logged and the next one tries again.
 */
export const PlannerStatisticsLive = Layer.scopedDiscard(
  refreshStatistics.pipe(
    Effect.tap((tables) => tables.length > 0 ? Effect.logDebug(`database: statistics refreshed for ${tables.join(", ")}`) : Effect.void),
    Effect.catchAllCause((cause) => Effect.logWarning("database: the planner statistics were not refreshed", cause)),
    Effect.repeat(Schedule.spaced(statisticsCheckInterval)),
    Effect.delay(statisticsCheckInterval),
    Effect.forkScoped
  )
)
