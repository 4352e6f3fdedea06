import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"

export interface StoreRef {
  readonly organizationId: string
  readonly workflowId: string
  readonly threadId: string
}

export type StoreScope = "thread" | "workflow"

/** What the thread and the workflow hold: read as `store.thread.*` and `store.workflow.*`. */
export interface StoredValues {
  readonly thread: Record<string, unknown>
  readonly workflow: Record<string, unknown>
}

/** Values the `store` node keeps for later executions (`store.thread.*`, `store.workflow.*`). */
export class Store extends Context.Tag("ast/Store")<Store, {
  /** What the thread and the workflow hold now. */
  readonly load: (ref: StoreRef) => Effect.Effect<StoredValues, Unavailable>
  /** Merges values into one scope. */
  readonly save: (ref: StoreRef, scope: StoreScope, values: Record<string, unknown>) => Effect.Effect<void, Unavailable>
}>() {}
