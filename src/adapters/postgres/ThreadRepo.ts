import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option } from "effect"
import type { Thread, ThreadKey, ThreadStatus } from "../../domain/Thread.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"
import { asJson, iso, orUnavailable } from "./orUnavailable.ts"

export interface ThreadRow {
  readonly organization_id: string
  readonly thread_id: string
  readonly status: ThreadStatus
  readonly metadata: Record<string, unknown>
  readonly message_count: number
  readonly last_activity_at: Date
}

export const threadOf = (r: ThreadRow): Thread => ({
  organizationId: r.organization_id,
  threadId: r.thread_id,
  status: r.status,
  messageCount: r.message_count,
  lastActivityAt: iso(r.last_activity_at)!,
  metadata: r.metadata
})

/**
 * The thread created if new, else its metadata merged and its last activity now; `RETURNING *` (a
 * `ThreadRow`). Also a part of `ExecutionRepo.begin`'s statement.
 */
export const upsertThread = (sql: PgClient.PgClient, key: ThreadKey, metadata?: Record<string, unknown>) => sql`
  INSERT INTO threads (organization_id, thread_id, metadata)
  VALUES (${key.organizationId}, ${key.threadId}, ${asJson(metadata ?? {})}::jsonb)
  ON CONFLICT (organization_id, thread_id) DO UPDATE SET
    metadata = threads.metadata || EXCLUDED.metadata, last_activity_at = now()
  RETURNING *`

/** Threads on PostgreSQL, keyed by organization + thread id. */
export const makeThreadRepoPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const service: ThreadRepo["Type"] = {
    get: (key) =>
      sql<ThreadRow>`SELECT * FROM threads WHERE organization_id = ${key.organizationId} AND thread_id = ${key.threadId}`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), threadOf)),
        orUnavailable("ThreadRepo.get")
      ),
    touch: (key, metadata) =>
      sql<ThreadRow>`${upsertThread(sql, key, metadata)}`.pipe(Effect.map((rows) => threadOf(rows[0]!)), orUnavailable("ThreadRepo.touch")),
    setStatus: (key, status) =>
      sql`
        INSERT INTO threads (organization_id, thread_id, status) VALUES (${key.organizationId}, ${key.threadId}, ${status})
        ON CONFLICT (organization_id, thread_id) DO UPDATE SET status = EXCLUDED.status, last_activity_at = now()`.pipe(
        Effect.asVoid,
        orUnavailable("ThreadRepo.setStatus")
      ),
    remove: (key) =>
      sql`DELETE FROM threads WHERE organization_id = ${key.organizationId} AND thread_id = ${key.threadId}`.pipe(
        Effect.asVoid,
        orUnavailable("ThreadRepo.remove")
      )
  }
  return service
})

export const ThreadRepoPg = Layer.effect(ThreadRepo, makeThreadRepoPg)
