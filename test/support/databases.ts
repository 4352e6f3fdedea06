import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EmbeddedDatabase, PostgresDatabase } from "../../src/adapters/postgres/Database.ts"

/** The PostgreSQL the tests use; each test file gets a database of its own inside it. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** `AST_SKIP_SERVICES=1` skips the suites that need PostgreSQL or Redis, on purpose only. */
export const skipServices = process.env.AST_SKIP_SERVICES === "1"

const howToStart =
  "start it (on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start), " +
  "point TEST_DATABASE_URL at another one, or set AST_SKIP_SERVICES=1 to skip these suites on purpose"

const withDatabase = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const admin = PgClient.layer({ url: Redacted.make(testDatabaseUrl), maxConnections: 1 }).pipe(
  Layer.mapError((e) => new Error(`PostgreSQL is not reachable at ${testDatabaseUrl} (${e.message}): ${howToStart}`))
)

/** The URL of a new, empty database on the test PostgreSQL, dropped when the scope closes. */
export const freshDatabaseUrl = Effect.gen(function* () {
  const name = `ast_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
  // The admin connection lives as long as the scope, so the release can still drop the database.
  const sql = Context.get(yield* Layer.build(admin), PgClient.PgClient)
  yield* Effect.acquireRelease(
    sql.unsafe(`CREATE DATABASE ${name}`),
    () => Effect.ignore(sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
  )
  return Redacted.make(withDatabase(testDatabaseUrl, name))
}).pipe(Effect.orDie)

/** A fresh database on the test PostgreSQL (dropped afterwards), migrated, as the service would use it. */
export const freshPostgres = (options: { readonly maxConnections?: number } = {}) =>
  Layer.unwrapScoped(Effect.map(freshDatabaseUrl, (url) => PostgresDatabase(url, options)))

/** The embedded database in a temporary directory (removed afterwards). */
export const freshPglite = () =>
  Layer.unwrapScoped(
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-pglite-"))),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      ),
      (dir) => EmbeddedDatabase(dir)
    )
  )
