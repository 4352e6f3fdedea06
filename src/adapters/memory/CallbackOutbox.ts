import { Effect, Option } from "effect"
import { type CallbackDelivery, CallbackOutbox } from "../../ports/CallbackOutbox.ts"

/** The callback outbox in process memory (tests, `ast run`). */
export const makeCallbackOutboxMemory = () => {
  const rows = new Map<string, CallbackDelivery>()
  const service: CallbackOutbox["Type"] & { readonly all: () => ReadonlyArray<CallbackDelivery> } = {
    all: () => [...rows.values()],
    add: (d, now) =>
      Effect.sync(() => {
        if (!rows.has(d.deliveryId)) rows.set(d.deliveryId, { ...d, status: "pending", attempts: 0, nextAttemptAt: now, lastError: null })
      }),
    get: (deliveryId) => Effect.sync(() => Option.fromNullable(rows.get(deliveryId))),
    recordAttempt: (deliveryId, outcome) =>
      Effect.sync(() => {
        const row = rows.get(deliveryId)
        if (row === undefined || row.status !== "pending") return
        rows.set(deliveryId, outcome.isDelivered
          ? { ...row, status: "delivered", attempts: row.attempts + 1, lastError: null }
          : { ...row, attempts: row.attempts + 1, lastError: outcome.error, status: outcome.nextAttemptAt === null ? "failed" : "pending", nextAttemptAt: outcome.nextAttemptAt ?? row.nextAttemptAt })
      }),
    overdue: (now, graceMs) =>
      Effect.sync(() => [...rows.values()].filter((r) => r.status === "pending" && r.nextAttemptAt.getTime() < now.getTime() - graceMs).map((r) => r.deliveryId))
  }
  return service
}

export { CallbackOutbox }
