import { Effect, Layer } from "effect"
import { Store, type StoreRef } from "../../ports/Store.ts"

/** `store` node values in process memory. */
export const makeStoreMemory = () => {
  const values = new Map<string, Record<string, unknown>>()
  const keyOf = (ref: StoreRef, scope: "thread" | "workflow") =>
    scope === "thread"
      ? `t\u0000${ref.organizationId}\u0000${ref.threadId}`
      : `w\u0000${ref.organizationId}\u0000${ref.workflowId}`
  const service: Store["Type"] = {
    load: (ref) =>
      Effect.sync(() => ({
        thread: { ...values.get(keyOf(ref, "thread")) },
        workflow: { ...values.get(keyOf(ref, "workflow")) }
      })),
    save: (ref, scope, set) =>
      Effect.sync(() => {
        values.set(keyOf(ref, scope), { ...values.get(keyOf(ref, scope)), ...set })
      })
  }
  return service
}

export const StoreMemory = Layer.sync(Store, makeStoreMemory)
