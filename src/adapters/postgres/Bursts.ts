import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import { burstInput as inputOf, flushAt, notAccumulating, stampMessages } from "../../domain/burstWindow.ts"
import type { InputMessage } from "../../domain/RunRequest.ts"
import { type AppendResult, type Arrival, Bursts, type ClosedBurst, type TakeResult } from "../../ports/Bursts.ts"
import { asJson, orUnavailable } from "./orUnavailable.ts"

interface BurstRow {
  readonly execution_id: string
  readonly seq: string
  readonly organization_id: string
  readonly workflow_id: string
  readonly thread_id: string
  readonly workflow_version: number
  readonly status: "open" | "closed" | "running" | "done"
  readonly messages: ReadonlyArray<InputMessage>
  readonly message_count: number
  readonly sender: ClosedBurst["sender"] | null
  readonly context: ClosedBurst["context"]
  readonly sealed_secret: string | null
  readonly separator: string
  readonly aggregated_input: string | null
  readonly timeout_ms: number
  readonly max_wait_ms: number
  readonly max_messages: number
  readonly is_reset_on_new_message: boolean
  readonly first_at: Date
  readonly last_at: Date
  readonly flush_at: Date
  readonly closed_at: Date | null
  readonly lease_owner: string | null
  readonly lease_until: Date | null
}

/** The window end of a burst as it closed: the moment it was due. */
const closedBurstOf = (r: BurstRow): ClosedBurst => ({
  executionId: r.execution_id,
  key: { organizationId: r.organization_id, workflowId: r.workflow_id, threadId: r.thread_id },
  workflowVersion: r.workflow_version,
  messages: r.messages,
  sender: r.sender ?? undefined,
  context: r.context,
  sealedSecret: r.sealed_secret,
  separator: r.separator,
  ...(r.aggregated_input === null ? {} : { aggregatedInput: r.aggregated_input }),
  firstAt: r.first_at,
  windowEnd: r.flush_at,
  closedAt: r.closed_at ?? r.flush_at
})

/** A bursts row as `to_jsonb` gives it (timestamps as text). */
const rowOfJson = (json: Record<string, unknown>): BurstRow => {
  const date = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string))
  return {
    ...(json as unknown as BurstRow),
    seq: String(json.seq),
    first_at: date(json.first_at)!,
    last_at: date(json.last_at)!,
    flush_at: date(json.flush_at)!,
    closed_at: date(json.closed_at),
    lease_until: date(json.lease_until)
  }
}

/** Bursts on PostgreSQL: appends of one burst key, and claims of one thread, are serialized by advisory locks. */
export const makeBurstsPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const lockKey = (...parts: ReadonlyArray<string>) => sql`SELECT pg_advisory_xact_lock(hashtext(${parts.join("\u001f")}))`
  const service: Bursts["Type"] = {
    // One round trip: ast_burst_append (migration 0006) takes the key's lock, checks duplicates, and
    // appends to the open burst or opens one with its pending execution.
    append: (key, arrival: Arrival, requested, now) =>
      Effect.suspend(() => {
        const isAccumulating = requested !== undefined && requested.enabled
        const config = isAccumulating ? requested : notAccumulating
        const ids = arrival.messages.flatMap((m) => (m.id === undefined ? [] : [m.id]))
        const messages = stampMessages(arrival.messages, now)
        const due = flushAt(config, { firstAt: now.getTime(), lastAt: now.getTime(), messageCount: messages.length })
        const aggregated = isAccumulating ? null : arrival.aggregatedInput ?? null
        const input = inputOf(key.threadId, messages, arrival.sender, arrival.context, config.separator, aggregated)
        return sql<{ outcome: "duplicate" | "accepted"; execution_id: string; flush_at: Date | null; is_new: boolean }>`
          SELECT * FROM ast_burst_append(${key.organizationId}, ${key.workflowId}, ${key.threadId}, ${arrival.workflowVersion},
            ${asJson(ids)}::jsonb, ${asJson(messages)}::jsonb, ${messages.length},
            ${arrival.sender === undefined ? null : asJson(arrival.sender)}::jsonb, ${asJson(arrival.context)}::jsonb, ${arrival.sealedSecret},
            ${isAccumulating}, ${config.separator}, ${aggregated}, ${config.timeoutSeconds * 1000}, ${config.maxWaitSeconds * 1000},
            ${config.maxMessages}, ${config.resetOnNewMessage}, ${now}, ${crypto.randomUUID()}, ${new Date(due)}, ${asJson(input)}::jsonb)`
      }).pipe(
        Effect.map(([row]): AppendResult =>
          row!.outcome === "duplicate"
            ? { _tag: "Duplicate", executionId: row!.execution_id }
            : { _tag: "Accepted", executionId: row!.execution_id, flushAt: row!.flush_at!, isNew: row!.is_new }),
        orUnavailable("Bursts.append")
      ),

    close: (executionId, now) =>
      sql.withTransaction(Effect.gen(function* () {
        const closed = yield* sql<BurstRow>`
          UPDATE bursts SET status = 'closed', closed_at = ${now}
          WHERE execution_id = ${executionId} AND status = 'open' AND flush_at <= ${now} RETURNING *`
        const row = closed[0]
        if (row !== undefined) {
          yield* sql`
            UPDATE execution_data SET input = ${asJson(inputOf(row.thread_id, row.messages, row.sender ?? undefined, row.context, row.separator, row.aggregated_input))}::jsonb
            WHERE execution_id = ${executionId}`
          return { _tag: "Closed" as const }
        }
        const current = yield* sql<{ status: string; flush_at: Date }>`SELECT status, flush_at FROM bursts WHERE execution_id = ${executionId}`
        return current[0]?.status === "open" ? { _tag: "NotDue" as const, flushAt: current[0].flush_at } : { _tag: "NotOpen" as const }
      })).pipe(orUnavailable("Bursts.close")),

    claim: (executionId, owner, leaseMs) =>
      sql.withTransaction(Effect.gen(function* () {
        const rows = yield* sql<BurstRow>`SELECT * FROM bursts WHERE execution_id = ${executionId}`
        const row = rows[0]
        if (row === undefined || row.status === "done") return { _tag: "Done" as const }
        if (row.status === "open") return { _tag: "Busy" as const }
        yield* lockKey("thread", row.organization_id, row.thread_id)
        const blocking = yield* sql`
          SELECT 1 FROM bursts
          WHERE organization_id = ${row.organization_id} AND thread_id = ${row.thread_id} AND execution_id <> ${executionId}
            AND ((status = 'running' AND lease_until > now()) OR (status IN ('closed', 'running') AND seq < ${row.seq}))
          LIMIT 1`
        if (blocking.length > 0) return { _tag: "Busy" as const }
        const taken = yield* sql<BurstRow>`
          UPDATE bursts SET status = 'running', lease_owner = ${owner}, lease_until = now() + ${Math.round(leaseMs)}::int * interval '1 millisecond'
          WHERE execution_id = ${executionId}
            AND (status = 'closed' OR (status = 'running' AND (lease_until < now() OR lease_owner = ${owner})))
          RETURNING *`
        return taken[0] === undefined ? { _tag: "Busy" as const } : { _tag: "Claimed" as const, burst: closedBurstOf(taken[0]) }
      })).pipe(orUnavailable("Bursts.claim")),

    // One round trip: ast_burst_take (migration 0006) is `close` then `claim`.
    take: (executionId, owner, leaseMs, now) =>
      sql<{ outcome: "done" | "not_due" | "busy" | "claimed"; flush_at: Date | null; burst: Record<string, unknown> | null }>`
        SELECT * FROM ast_burst_take(${executionId}, ${owner}, ${Math.round(leaseMs)}, ${now})`.pipe(
        Effect.map(([row]): TakeResult => {
          switch (row!.outcome) {
            case "done": return { _tag: "Done" }
            case "not_due": return { _tag: "NotDue", flushAt: row!.flush_at! }
            case "busy": return { _tag: "Busy" }
            case "claimed": return { _tag: "Claimed", burst: closedBurstOf(rowOfJson(row!.burst!)) }
          }
        }),
        orUnavailable("Bursts.take")
      ),

    renew: (executionId, owner, leaseMs) =>
      sql`UPDATE bursts SET lease_until = now() + ${Math.round(leaseMs)}::int * interval '1 millisecond'
          WHERE execution_id = ${executionId} AND lease_owner = ${owner} AND status = 'running' RETURNING execution_id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orUnavailable("Bursts.renew")
      ),

    release: (executionId, owner, isDone) =>
      sql`UPDATE bursts SET status = ${isDone ? "done" : "closed"}, lease_owner = NULL, lease_until = NULL,
            sealed_secret = CASE WHEN ${isDone} THEN NULL ELSE sealed_secret END
          WHERE execution_id = ${executionId} AND lease_owner = ${owner}`.pipe(Effect.asVoid, orUnavailable("Bursts.release")),

    nextOfThread: (executionId) =>
      sql<{ execution_id: string }>`
        SELECT n.execution_id FROM bursts b JOIN bursts n
          ON n.organization_id = b.organization_id AND n.thread_id = b.thread_id AND n.status = 'closed' AND n.seq > b.seq
        WHERE b.execution_id = ${executionId} ORDER BY n.seq LIMIT 1`.pipe(
        Effect.map((rows) => rows[0]?.execution_id),
        orUnavailable("Bursts.nextOfThread")
      ),

    // One statement: the release, and the thread's next closed burst when this one is done.
    finish: (executionId, owner, isDone) =>
      sql<{ execution_id: string }>`
        WITH released AS (
          UPDATE bursts SET status = ${isDone ? "done" : "closed"}, lease_owner = NULL, lease_until = NULL,
            sealed_secret = CASE WHEN ${isDone} THEN NULL ELSE sealed_secret END
          WHERE execution_id = ${executionId} AND lease_owner = ${owner}
          RETURNING organization_id, thread_id, seq)
        SELECT n.execution_id FROM released b JOIN bursts n
          ON n.organization_id = b.organization_id AND n.thread_id = b.thread_id AND n.status = 'closed' AND n.seq > b.seq
        WHERE ${isDone}
        ORDER BY n.seq LIMIT 1`.pipe(
        Effect.map((rows) => rows[0]?.execution_id),
        orUnavailable("Bursts.finish")
      ),

    overdue: (now, graceMs) => {
      const before = new Date(now.getTime() - graceMs)
      return sql<{ execution_id: string; due_at: Date }>`
        SELECT execution_id, flush_at AS due_at FROM bursts
        WHERE (status = 'open' AND flush_at < ${before})
           OR (status = 'closed' AND COALESCE(closed_at, flush_at) < ${before})
           OR (status = 'running' AND lease_until < ${before})
        ORDER BY seq LIMIT 1000`.pipe(
        Effect.map((rows) => rows.map((r) => ({ executionId: r.execution_id, dueAt: r.due_at }))),
        orUnavailable("Bursts.overdue")
      )
    },

    forgetMessageIds: (cutoff) =>
      sql`DELETE FROM accepted_messages WHERE accepted_at < ${cutoff} RETURNING message_id`.pipe(
        Effect.map((rows) => rows.length),
        orUnavailable("Bursts.forgetMessageIds")
      )
  }
  return service
})

export const BurstsPg = Layer.effect(Bursts, makeBurstsPg)
