import { Context, type Effect, type Scope } from "effect"
import type { Unavailable } from "../domain/errors.ts"

/** What handling a job says: finished, or come back at `at`. */
export type JobOutcome = { readonly _tag: "Done" } | { readonly _tag: "RetryAt"; readonly at: Date }

/**
 * Timers and work shared by every instance (BullMQ on Redis, or in process): one job per execution id,
 * run when due by one worker at a time, with bounded concurrency per instance.
 */
export class JobQueue extends Context.Tag("ast/JobQueue")<JobQueue, {
  /** Makes sure the execution's job runs at `at` or sooner (idempotent; the sooner time wins). */
  readonly schedule: (executionId: string, at: Date) => Effect.Effect<void, Unavailable>
  /** Runs `handle` for due jobs until the scope closes (then waits for the running ones, up to the shutdown timeout). */
  readonly work: (handle: (executionId: string) => Effect.Effect<JobOutcome>) => Effect.Effect<void, Unavailable, Scope.Scope>
}>() {}
