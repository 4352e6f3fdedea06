import { PGlite } from "@electric-sql/pglite"
import { unaccent } from "@electric-sql/pglite/contrib/unaccent"
import { vector } from "@electric-sql/pglite-pgvector"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import type { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { SqlError } from "@effect/sql/SqlError"
import { Context, Duration, Effect, Layer, Redacted } from "effect"
import { mkdirSync } from "node:fs"
import Pg from "pg"
import { join } from "node:path"
import { Unavailable } from "../../domain/errors.ts"
import { describeUrl } from "../describeUrl.ts"
import { ChangeFeed, listeningChangeFeed, localChangeFeed } from "./ChangeFeed.ts"
import { migrate } from "./migrate.ts"
import { PlannerStatisticsLive } from "./PlannerStatistics.ts"

/**
 * The `pg` pool under the SqlClient: LangGraph's checkpointer (thread memory) runs its queries on the
 * same pool, so both share one set of connections — on PGlite, its single connection.
 */
export class PgPool extends Context.Tag("ast/PgPool")<PgPool, Pg.Pool>() {}

export type Database = PgClient.PgClient | SqlClient.SqlClient | PgPool | ChangeFeed

/**
 * A pool checked with one query (within `connectTimeout`), closed with the scope; the SqlClient and
 * PgPool on it, and the ChangeFeed: `listen` on a connection of its own (instances share the
 * database), or `local` (one process is all there is).
 */
const pooled = (config: Pg.PoolConfig & { readonly connectTimeout: Duration.Duration }, changes: "listen" | "local") =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const pool = new Pg.Pool({ ...config, connectionTimeoutMillis: Duration.toMillis(config.connectTimeout) })
          pool.on("error", () => {}) // an idle connection that drops is replaced on the next query
          return pool
        }),
        (pool) => Effect.promise(() => pool.end()).pipe(Effect.interruptible, Effect.timeoutOption(1000))
      )
      yield* Effect.tryPromise({ try: () => pool.query("SELECT 1"), catch: (cause) => new SqlError({ cause, message: "PgClient: Failed to connect" }) }).pipe(
        Effect.timeoutFail({ duration: config.connectTimeout, onTimeout: () => new SqlError({ cause: new Error("Connection timed out"), message: "PgClient: Connection timed out" }) })
      )
      const { max: _max, idleTimeoutMillis: _idle, connectTimeout, ...connection } = config
      const feed = changes === "local"
        ? localChangeFeed()
        : yield* listeningChangeFeed({ ...connection, connectionTimeoutMillis: Duration.toMillis(connectTimeout), application_name: "ast-changes" })
      return Layer.mergeAll(
        Layer.succeed(PgPool, pool),
        Layer.succeed(ChangeFeed, feed),
        PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "ast" })
      )
    })
  )

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

/**
 * PostgreSQL at `DATABASE_URL` (Neon, Fly Postgres, any PG ≥ 14), migrated at startup, its tables'
 * planner statistics kept fresh (PlannerStatistics.ts).
 */
export const PostgresDatabase = (url: Redacted.Redacted<string>, options: { readonly maxConnections?: number } = {}) =>
  PlannerStatisticsLive.pipe(Layer.provideMerge(migrated(
    pooled({
      connectionString: Redacted.value(url),
      max: options.maxConnections ?? 10,
      connectTimeout: Duration.seconds(5),
      idleTimeoutMillis: 30_000,
      application_name: "ast"
    }, "listen"),
    `PostgreSQL at ${describeUrl(Redacted.value(url))}`
  ))).pipe(Layer.mapError(failedToStart(`cannot use PostgreSQL at ${describeUrl(Redacted.value(url))}`)))

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
        // unaccent and pgvector are in the bundle: knowledge search matches "horarios" to "horários", and is
        // hybrid when an embeddings model is configured.
        const db = await PGlite.create(directory, { extensions: { unaccent, vector } })
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
      pooled({ host: "127.0.0.1", port, user: "postgres", database: "postgres", max: 1, connectTimeout: Duration.seconds(5) }, "local")
    )
  )
  return migrated(client, `embedded PGlite in ${directory}`).pipe(Layer.mapError(failedToStart("cannot start the embedded database")))
}
