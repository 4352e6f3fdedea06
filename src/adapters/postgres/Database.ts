import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Layer, Redacted } from "effect"
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { Unavailable } from "../../domain/errors.ts"
import { describeUrl } from "../describeUrl.ts"
import { migrate } from "./migrate.ts"

export type Database = PgClient.PgClient | SqlClient.SqlClient

export { describeUrl }

const migrated = <E, R>(client: Layer.Layer<Database, E, R>, describe: string) =>
  Layer.effectDiscard(
    migrate.pipe(
      Effect.tap((done) => Effect.logInfo(`database: ${describe}${done.length > 0 ? `, migrated ${done.map(([id, name]) => `${id}_${name}`).join(", ")}` : ", schema up to date"}`))
    )
  ).pipe(Layer.provideMerge(client))

/** The driver's own words (a SqlError's message is generic; its cause says what happened). */
export const reasonOf = (e: { readonly message: string; readonly cause?: unknown }): string =>
  e.cause instanceof Error && e.cause.message !== "" ? `${e.message}: ${e.cause.message}` : e.message

const failedToStart = (what: string) => (e: { readonly message: string; readonly cause?: unknown }) =>
  new Unavailable({ dependency: "database", message: `${what}: ${reasonOf(e)}` })

/** PostgreSQL at `DATABASE_URL` (Neon, Fly Postgres, any PG ≥ 14), migrated at startup. */
export const PostgresDatabase = (url: Redacted.Redacted<string>, options: { readonly maxConnections?: number } = {}) =>
  migrated(
    PgClient.layer({
      url,
      maxConnections: options.maxConnections ?? 10,
      connectTimeout: Duration.seconds(5),
      idleTimeout: Duration.seconds(30),
      applicationName: "ast"
    }),
    `PostgreSQL at ${describeUrl(Redacted.value(url))}`
  ).pipe(Layer.mapError(failedToStart(`cannot use PostgreSQL at ${describeUrl(Redacted.value(url))}`)))

/**
 * The embedded default (no `DATABASE_URL`): PGlite stored under `dataDir/pg`, served to the same
 * `@effect/sql-pg` code through a socket on a private loopback port. Data survives restarts.
 */
export const EmbeddedDatabase = (dataDir: string) => {
  const directory = join(dataDir, "pg")
  const server = Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        mkdirSync(directory, { recursive: true })
        const db = await PGlite.create(directory)
        const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 })
        await socket.start()
        return { db, socket, port: Number(socket.getServerConn().split(":").pop()) }
      },
      catch: (e) => new Unavailable({ dependency: "database", message: `cannot open the embedded database in ${directory}: ${e instanceof Error ? e.message : String(e)}` })
    }),
    ({ db, socket }) => Effect.promise(async () => {
      await socket.stop()
      await db.close()
    })
  )
  const client = Layer.unwrapScoped(
    Effect.map(server, ({ port }) =>
      // One connection: PGlite is single-user, and queries of several connections would interleave
      // mid-protocol (electric-sql/pglite#1046: "portal cannot be run").
      PgClient.layer({ host: "127.0.0.1", port, username: "postgres", database: "postgres", maxConnections: 1, connectTimeout: Duration.seconds(5) })
    )
  )
  return migrated(client, `embedded PGlite in ${directory}`).pipe(Layer.mapError(failedToStart("cannot start the embedded database")))
}
