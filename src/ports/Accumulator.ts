import { Context, type Effect } from "effect"
import type { AccumulatorConfig } from "../domain/Accumulator.ts"
import type { Unavailable } from "../domain/errors.ts"
import type { InputMessage } from "../domain/RunRequest.ts"

export interface BurstKey {
  readonly organizationId: string
  readonly workflowId: string
  readonly threadId: string
}

/** Gathers a thread's burst of messages into one execution (§5.1). */
export class Accumulator extends Context.Tag("ast/Accumulator")<Accumulator, {
  /** Appends a message to the open burst (opening one if needed); answers the burst's execution id. */
  readonly append: (key: BurstKey, message: InputMessage, config: AccumulatorConfig) => Effect.Effect<{ readonly executionId: string }, Unavailable>
}>() {}
