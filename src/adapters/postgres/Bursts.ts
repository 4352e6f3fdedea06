import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import type { AccumulatorConfig } from "../../domain/Accumulator.ts"
import { burstInput as inputOf, flushAt, notAccumulating, stampMessages } from "../../domain/burstWindow.ts"
import type { InputMessage } from "../../domain/RunRequest.ts"
import { type Arrival, Bursts, type ClosedBurst } from "../../ports/Bursts.ts"
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

const configOf = (r: BurstRow): AccumulatorConfig => ({
  enabled: true, timeoutSeconds: r.timeout_ms / 1000, maxWaitSeconds: r.max_wait_ms / 1000, maxMessages: r.max_messages,
  resetOnNewMessage: r.is_reset_on_new_message, separator: r.separator
})

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


/** Bursts on PostgreSQL: appends of one burst key, and claims of one thread, are serialized by advisory locks. */
export const makeBurstsPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const lockKey = (...parts: ReadonlyArray<string>) => sql`SELECT pg_advisory_xact_lock(hashtext(${parts.join("\u001f")}))`
  const service: Bursts["Type"] = {
    append: (key, arrival: Arrival, requested, now) =>
      sql.withTransaction(Effect.gen(function* () {
        const isAccumulating = requested !== undefined && requested.enabled
        const config = isAccumulating ? requested : notAccumulating
        yield* lockKey("burst", key.organizationId, key.workflowId, key.threadId)
        const ids = arrival.messages.flatMap((m) => (m.id === undefined ? [] : [m.id]))
        if (ids.length > 0) {
          const seen = yield* sql<{ execution_id: string }>`
            SELECT execution_id FROM accepted_messages
            WHERE organization_id = ${key.organizationId} AND workflow_id = ${key.workflowId}
              AND message_id IN ${sql.in(ids)} AND accepted_at > ${new Date(now.getTime() - 24 * 3600 * 1000)} LIMIT 1`
          if (seen[0] !== undefined) return { _tag: "Duplicate" as const, executionId: seen[0].execution_id }
        }
        const messages = stampMessages(arrival.messages, now)
        const open = isAccumulating
          ? yield* sql<BurstRow>`
              SELECT * FROM bursts WHERE organization_id = ${key.organizationId} AND workflow_id = ${key.workflowId}
                AND thread_id = ${key.threadId} AND status = 'open' FOR UPDATE`
          : []
        const burst = open[0]
        let executionId: string
        let due: number
        if (burst !== undefined) {
          executionId = burst.execution_id
          due = flushAt(configOf(burst), { firstAt: burst.first_at.getTime(), lastAt: now.getTime(), messageCount: burst.message_count + messages.length })
          yield* sql`
            UPDATE bursts SET messages = messages || ${asJson(messages)}::jsonb, message_count = message_count + ${messages.length},
              last_at = ${now}, flush_at = ${new Date(due)}, sender = COALESCE(${asJson(arrival.sender ?? null)}::jsonb, sender),
              context = ${asJson(arrival.context)}::jsonb, sealed_secret = COALESCE(${arrival.sealedSecret}, sealed_secret)
            WHERE execution_id = ${executionId}`
        } else {
          executionId = crypto.randomUUID()
          due = flushAt(config, { firstAt: now.getTime(), lastAt: now.getTime(), messageCount: messages.length })
          const status = isAccumulating ? "open" : "closed"
          yield* sql`
            INSERT INTO executions (id, organization_id, workflow_id, workflow_version, thread_id, status, started_at)
            VALUES (${executionId}, ${key.organizationId}, ${key.workflowId}, ${arrival.workflowVersion}, ${key.threadId}, 'pending', ${now})`
          yield* sql`
            INSERT INTO execution_data (execution_id, organization_id, input)
            VALUES (${executionId}, ${key.organizationId}, ${asJson(inputOf(key.threadId, messages, arrival.sender, arrival.context, config.separator, isAccumulating ? null : arrival.aggregatedInput))}::jsonb)`
          yield* sql`
            INSERT INTO bursts (execution_id, organization_id, workflow_id, thread_id, workflow_version, status, messages, message_count,
              sender, context, sealed_secret, separator, aggregated_input, timeout_ms, max_wait_ms, max_messages, is_reset_on_new_message,
              first_at, last_at, flush_at, closed_at)
            VALUES (${executionId}, ${key.organizationId}, ${key.workflowId}, ${key.threadId}, ${arrival.workflowVersion}, ${status},
              ${asJson(messages)}::jsonb, ${messages.length}, ${asJson(arrival.sender ?? null)}::jsonb, ${asJson(arrival.context)}::jsonb,
              ${arrival.sealedSecret}, ${config.separator}, ${isAccumulating ? null : arrival.aggregatedInput ?? null}, ${config.timeoutSeconds * 1000}, ${config.maxWaitSeconds * 1000},
              ${config.maxMessages}, ${config.resetOnNewMessage}, ${now}, ${now}, ${new Date(due)}, ${isAccumulating ? null : now})`
        }
        for (const id of ids) {
          yield* sql`
            INSERT INTO accepted_messages (organization_id, workflow_id, message_id, execution_id, accepted_at)
            VALUES (${key.organizationId}, ${key.workflowId}, ${id}, ${executionId}, ${now})
            ON CONFLICT (organization_id, workflow_id, message_id) DO UPDATE SET execution_id = EXCLUDED.execution_id, accepted_at = EXCLUDED.accepted_at`
        }
        return { _tag: "Accepted" as const, executionId, flushAt: new Date(due), isNew: burst === undefined }
      })).pipe(orUnavailable("Bursts.append")),

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
