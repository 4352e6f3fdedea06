import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"

export interface CallbackDelivery {
  readonly deliveryId: string
  readonly organizationId: string
  readonly event: string
  readonly url: string
  /** The exact JSON sent, byte for byte the same on every attempt (its signature covers it). */
  readonly body: string
  readonly status: "pending" | "delivered" | "failed"
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly lastError: string | null
}

/** Callbacks to deliver, kept in the database until delivered (§7): they survive restarts. */
export class CallbackOutbox extends Context.Tag("ast/CallbackOutbox")<CallbackOutbox, {
  /** Records a callback to deliver now. */
  readonly add: (delivery: Pick<CallbackDelivery, "deliveryId" | "organizationId" | "event" | "url" | "body">, now: Date) => Effect.Effect<void, Unavailable>
  readonly get: (deliveryId: string) => Effect.Effect<Option.Option<CallbackDelivery>, Unavailable>
  /** Records an attempt: delivered, or failed with the next attempt's time (none: given up). */
  readonly recordAttempt: (deliveryId: string, outcome: { readonly isDelivered: true } | { readonly isDelivered: false; readonly error: string; readonly nextAttemptAt: Date | null }, now: Date) => Effect.Effect<void, Unavailable>
  /** Pending deliveries whose attempt is overdue by `graceMs` (a lost timer): the sweeper reschedules them. */
  readonly overdue: (now: Date, graceMs: number) => Effect.Effect<ReadonlyArray<string>, Unavailable>
}>() {}
