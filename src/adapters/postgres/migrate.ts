import { Migrator, SqlClient } from "@effect/sql"
import { Effect } from "effect"
import init from "./migrations/0001_init.ts"
import bursts from "./migrations/0002_bursts.ts"
import callbacks from "./migrations/0003_callbacks.ts"
import knowledge from "./migrations/0004_knowledge.ts"
import threadMemory from "./migrations/0005_thread_memory.ts"
import burstFunctions from "./migrations/0006_burst_functions.ts"
import noStatisticsOnPayloads from "./migrations/0007_no_statistics_on_payloads.ts"

const all = { "0001_init": init, "0002_bursts": bursts, "0003_callbacks": callbacks, "0004_knowledge": knowledge, "0005_thread_memory": threadMemory, "0006_burst_functions": burstFunctions,
  "0007_no_statistics_on_payloads": noStatisticsOnPayloads }

/** Every migration, in order. Never edit one that has shipped: add the next. */
const migrations = Migrator.fromRecord(all)

/** How the startup log names them: `1_init, 2_bursts, …`. */
export const migrationNames = Object.keys(all).map((k) => k.replace(/^0+/, ""))

/** The migrator without a schema dump (which would need pg_dump on the machine). */
const runMigrator = Migrator.make({})

/** An arbitrary, fixed key: instances starting at once take turns on it. */
const MIGRATION_LOCK = 7_342_019_001

/**
 * Runs pending migrations. The advisory lock makes instances that start together run them one at a
 * time (the migrator's own table lock does not cover creating its table); migrations only add.
 */
export const migrate = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql.withTransaction(
    sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.pipe(
      // The migrator's "does its table exist" probe aborts a transaction: create the table first, under the lock.
      Effect.zipRight(sql`CREATE TABLE IF NOT EXISTS ast_migrations (
        migration_id integer PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), name text NOT NULL)`),
      Effect.zipRight(runMigrator({ loader: migrations, table: "ast_migrations" }))
    )
  )
}).pipe(Effect.withSpan("Database.migrate"))
