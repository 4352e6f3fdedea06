import { Clock, Effect, Option, Redacted } from "effect"
import { createHmac } from "node:crypto"
import { CallbackOutbox } from "../ports/CallbackOutbox.ts"
import type { Callbacks } from "../ports/Callbacks.ts"
import { JobQueue, type JobOutcome } from "../ports/JobQueue.ts"
import { WebhookSender } from "../ports/WebhookSender.ts"

/** Job ids of callback deliveries share the queue with bursts (BullMQ ids may not hold ':'). */
export const callbackJobPrefix = "callback-"

/**
 * The Callbacks port as an outbox: each event is recorded in the database with a `deliveryId` and the
 * exact body, then delivered by the queue (so it survives restarts). No URL (neither the workflow's
 * `callbackUrl` nor `LIVCHAT_CALLBACK_URL`): nothing is sent. A receiver's failure never fails an execution.
 */
export const makeOutboxCallbacks = (defaultUrl: string | undefined) =>
  Effect.map(Effect.context<CallbackOutbox | JobQueue>(), (context): Callbacks["Type"] => ({
    notify: (event) =>
      Effect.gen(function* () {
        const url = event.callbackUrl ?? defaultUrl
        if (url === undefined) return
        const now = new Date(yield* Clock.currentTimeMillis)
        const deliveryId = crypto.randomUUID()
        const { callbackUrl: _url, ...fields } = event
        const body = JSON.stringify({ ...fields, event: event.event, deliveryId, occurredAt: now.toISOString() })
        yield* (yield* CallbackOutbox).add({ deliveryId, organizationId: event.organizationId, event: event.event, url, body }, now)
        yield* (yield* JobQueue).schedule(`${callbackJobPrefix}${deliveryId}`, now).pipe(Effect.ignore)
      }).pipe(
        Effect.catchAll((e) => Effect.logWarning(`callback ${event.event} not recorded: ${e.message}`)),
        Effect.annotateLogs({ executionId: event.executionId }),
        Effect.provide(context)
      )
  }))

/** `sha256=<hex HMAC-SHA256 of the raw body>` (§7). */
export const signature = (secret: Redacted.Redacted<string>, body: string) =>
  `sha256=${createHmac("sha256", Redacted.value(secret)).update(body, "utf8").digest("hex")}`

export interface DeliveryOptions {
  readonly secret: Redacted.Redacted<string> | undefined
  readonly maxAttempts: number
  readonly timeoutMs: number
}

/** Backoff between attempts: 1 s, 2 s, 4 s… capped at 10 minutes. */
const backoff = (attempts: number) => Math.min(600_000, 1000 * 2 ** Math.max(0, attempts - 1))

/** One delivery attempt of a recorded callback; failures come back later until `maxAttempts`. */
export const deliverCallback = (options: DeliveryOptions) => (deliveryId: string) =>
  Effect.gen(function* () {
    const outbox = yield* CallbackOutbox
    const found = yield* outbox.get(deliveryId)
    if (Option.isNone(found) || found.value.status !== "pending") return { _tag: "Done" } satisfies JobOutcome
    const delivery = found.value
    const headers: Record<string, string> = { "x-ast-event": delivery.event, "x-ast-delivery": delivery.deliveryId }
    if (options.secret !== undefined) headers["x-ast-signature"] = signature(options.secret, delivery.body)
    const answer = yield* (yield* WebhookSender).post(delivery.url, delivery.body, headers, options.timeoutMs).pipe(Effect.either)
    const now = yield* Clock.currentTimeMillis
    if (answer._tag === "Right" && answer.right.status >= 200 && answer.right.status < 300) {
      yield* outbox.recordAttempt(deliveryId, { isDelivered: true }, new Date(now))
      return { _tag: "Done" } satisfies JobOutcome
    }
    const error = answer._tag === "Left" ? answer.left : `the receiver answered ${answer.right.status}`
    const attempts = delivery.attempts + 1
    const next = attempts >= options.maxAttempts ? null : new Date(now + backoff(attempts))
    yield* outbox.recordAttempt(deliveryId, { isDelivered: false, error, nextAttemptAt: next }, new Date(now))
    yield* Effect.logWarning(`callback ${delivery.event} to ${new URL(delivery.url).host}: attempt ${attempts} failed (${error})${next === null ? "; giving up" : ""}`)
    return next === null ? ({ _tag: "Done" } satisfies JobOutcome) : ({ _tag: "RetryAt", at: next } satisfies JobOutcome)
  }).pipe(
    Effect.catchAll((e) =>
      Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<JobOutcome> =>
        Effect.logWarning(`callback ${deliveryId} not delivered now: ${e.message}`).pipe(Effect.as({ _tag: "RetryAt", at: new Date(now + 5000) })))),
    Effect.annotateLogs({ deliveryId })
  )

/** Reschedules deliveries whose timer was lost (a restart with the in-process queue, Redis flushed). */
export const sweepCallbacks = Effect.fn("Callbacks.sweep")(function* (graceMs: number) {
  const now = yield* Clock.currentTimeMillis
  const overdue = yield* (yield* CallbackOutbox).overdue(new Date(now), graceMs)
  const queue = yield* JobQueue
  yield* Effect.forEach(overdue, (id) => queue.schedule(`${callbackJobPrefix}${id}`, new Date(now)), { discard: true })
  return overdue.length
})
