import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"

export interface ExecutionJob {
  readonly executionId: string
  readonly organizationId: string
}

/** The durable queue of executions to run, shared by every worker. */
export class JobQueue extends Context.Tag("ast/JobQueue")<JobQueue, {
  /** Queues an execution to run (at most once per execution id). */
  readonly enqueue: (job: ExecutionJob, delayMs?: number) => Effect.Effect<void, Unavailable>
}>() {}
