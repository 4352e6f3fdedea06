import { Context, type Effect } from "effect"

export interface CallbackEvent {
  readonly event: "execution.completed" | "execution.failed" | "thread.escalated"
  readonly organizationId: string
  readonly workflowId: string
  readonly executionId: string
  readonly threadId: string
  readonly status: string
  readonly output?: unknown
  readonly error?: unknown
  readonly reason?: string
  /** The workflow's `callbackUrl`; the adapter falls back to `LIVCHAT_CALLBACK_URL`. */
  readonly callbackUrl?: string
}

/** Signed webhooks out (§7). A receiver's failure never fails the execution. */
export class Callbacks extends Context.Tag("ast/Callbacks")<Callbacks, {
  /** Queues one callback for delivery (retried with backoff by the adapter). */
  readonly notify: (event: CallbackEvent) => Effect.Effect<void>
}>() {}
