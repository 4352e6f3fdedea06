import { PgClient } from "@effect/sql-pg"
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres"
import { Effect, Layer } from "effect"
import type Pg from "pg"
import { Unavailable } from "../../domain/errors.ts"
import { Checkpointer, checkpointThreadId, saverCall, withPrefetch } from "../langgraph/Checkpointer.ts"
import { PgPool } from "./Database.ts"
import { orUnavailable } from "./orUnavailable.ts"

/** An arbitrary, fixed key: instances starting at once create LangGraph's tables one at a time. */
const CHECKPOINTER_LOCK = 7_342_019_002

/**
 * Creates or migrates LangGraph's checkpoint tables under an advisory lock. The saver's own `setup`
 * records its version with a plain INSERT, so two instances starting together would collide; it runs
 * here on the one connection that holds the lock (PGlite has no second connection to give it).
 */
const setupCheckpointer = (pool: Pg.Pool) =>
  Effect.tryPromise({
    try: async () => {
      const client = await pool.connect()
      try {
        await client.query("SELECT pg_advisory_lock($1)", [CHECKPOINTER_LOCK])
        try {
          // The saver releases what it connects: give it a view of this client whose release does nothing.
          const held = new Proxy(client, { get: (target, key) => (key === "release" ? () => {} : Reflect.get(target, key, target)) })
          const onThisConnection = { connect: async () => held } as unknown as Pg.Pool
          await new PostgresSaver(onThisConnection).setup()
        } finally {
          await client.query("SELECT pg_advisory_unlock($1)", [CHECKPOINTER_LOCK])
        }
      } finally {
        client.release()
      }
    },
    catch: (e) => new Unavailable({ dependency: "database", message: `cannot set up the agent memory tables: ${e instanceof Error ? e.message : String(e)}` })
  })

/** Agent memory on PostgreSQL (or PGlite): LangGraph's PostgresSaver on the service's pool, expiry in `thread_memory`. */
export const CheckpointerPg = Layer.effect(
  Checkpointer,
  Effect.gen(function* () {
    const pool = yield* PgPool
    const sql = yield* PgClient.PgClient
    yield* setupCheckpointer(pool)
    const { saver, prefetch } = withPrefetch(new PostgresSaver(pool))
    const service: Checkpointer["Type"] = {
      saver,
      prefetch: (key) => Effect.sync(() => prefetch(checkpointThreadId(key))),
      touch: (key, expiresAt) =>
        sql`INSERT INTO thread_memory (organization_id, thread_id, expires_at)
            VALUES (${key.organizationId}, ${key.threadId}, ${expiresAt})
            ON CONFLICT (organization_id, thread_id) DO UPDATE SET used_at = now(), expires_at = EXCLUDED.expires_at`.pipe(
          Effect.asVoid,
          orUnavailable("Checkpointer.touch")
        ),
      expired: (now, limit) =>
        sql<{ organization_id: string; thread_id: string }>`
          SELECT organization_id, thread_id FROM thread_memory WHERE expires_at < ${now} ORDER BY expires_at LIMIT ${limit}`.pipe(
          Effect.map((rows) => rows.map((r) => ({ organizationId: r.organization_id, threadId: r.thread_id }))),
          orUnavailable("Checkpointer.expired")
        ),
      erase: (key) =>
        saverCall("Checkpointer.erase", () => saver.deleteThread(checkpointThreadId(key))).pipe(
          Effect.zipRight(
            sql`DELETE FROM thread_memory WHERE organization_id = ${key.organizationId} AND thread_id = ${key.threadId}`.pipe(
              Effect.asVoid,
              orUnavailable("Checkpointer.forget")
            )
          )
        )
    }
    return service
  })
)
