import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option } from "effect"
import { type CallbackDelivery, CallbackOutbox } from "../../ports/CallbackOutbox.ts"
import { orUnavailable } from "./orUnavailable.ts"

interface Row {
  readonly delivery_id: string
  readonly organization_id: string
  readonly event: string
  readonly url: string
  readonly body: string
  readonly status: CallbackDelivery["status"]
  readonly attempts: number
  readonly next_attempt_at: Date
  readonly last_error: string | null
}

const deliveryOf = (r: Row): CallbackDelivery => ({
  deliveryId: r.delivery_id, organizationId: r.organization_id, event: r.event, url: r.url, body: r.body,
  status: r.status, attempts: r.attempts, nextAttemptAt: r.next_attempt_at, lastError: r.last_error
})

/** The callback outbox on PostgreSQL. */
export const makeCallbackOutboxPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const service: CallbackOutbox["Type"] = {
    add: (d, now) =>
      sql`INSERT INTO callback_deliveries (delivery_id, organization_id, event, url, body, status, next_attempt_at)
          VALUES (${d.deliveryId}, ${d.organizationId}, ${d.event}, ${d.url}, ${d.body}, 'pending', ${now})
          ON CONFLICT (delivery_id) DO NOTHING`.pipe(Effect.asVoid, orUnavailable("CallbackOutbox.add")),
    get: (deliveryId) =>
      sql<Row>`SELECT * FROM callback_deliveries WHERE delivery_id = ${deliveryId}`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), deliveryOf)),
        orUnavailable("CallbackOutbox.get")
      ),
    recordAttempt: (deliveryId, outcome, now) =>
      (outcome.isDelivered
        ? sql`UPDATE callback_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ${now}, last_error = NULL
              WHERE delivery_id = ${deliveryId} AND status = 'pending'`
        : sql`UPDATE callback_deliveries SET attempts = attempts + 1, last_error = ${outcome.error},
                status = ${outcome.nextAttemptAt === null ? "failed" : "pending"}, next_attempt_at = COALESCE(${outcome.nextAttemptAt}, next_attempt_at)
              WHERE delivery_id = ${deliveryId} AND status = 'pending'`
      ).pipe(Effect.asVoid, orUnavailable("CallbackOutbox.recordAttempt")),
    overdue: (now, graceMs) =>
      sql<{ delivery_id: string }>`
        SELECT delivery_id FROM callback_deliveries WHERE status = 'pending' AND next_attempt_at < ${new Date(now.getTime() - graceMs)}
        ORDER BY next_attempt_at LIMIT 1000`.pipe(
        Effect.map((rows) => rows.map((r) => r.delivery_id)),
        orUnavailable("CallbackOutbox.overdue")
      )
  }
  return service
})

export const CallbackOutboxPg = Layer.effect(CallbackOutbox, makeCallbackOutboxPg)
