import { Context, type Effect, type Scope } from "effect"
import type { Unavailable } from "../domain/errors.ts"

/**
 * What handling a job says: finished, or come back at `at` — `isNotDueYet` when the job's own time moved
 * (a burst that took another message), rather than a retry after something was busy or failed.
 */
export type JobOutcome =
  | { readonly _tag: "Done" }
  | { readonly _tag: "RetryAt"; readonly at: Date; readonly isNotDueYet?: boolean }

/** A repeating schedule (`trigger.type = "schedule"`). */
export interface CronSchedule {
  readonly cron: string
  readonly timezone?: string
}

/** Jobs in the queue at one moment, by state. */
export interface QueueDepth {
  /** Due but not started (waiting for a free worker). */
  readonly waiting: number
  /** Timed for later (a burst still accumulating, a retry, a schedule's next tick). */
  readonly delayed: number
  /** Running now. */
  readonly active: number
}

/** What a worker does with due jobs and schedule ticks. */
export interface JobHandlers {
  /**
   * A due job, by id (a burst's execution id, or `callback-<deliveryId>`). `isHere`: run by the instance
   * that timed it (`scheduleHere`) rather than handed out by the shared queue; the same job may then be
   * running from the queue too, so the handler tells the two apart (bursts: another lease owner).
   */
  readonly job: (jobId: string, isHere: boolean) => Effect.Effect<JobOutcome>
  /** One tick of a schedule: runs once per tick across all instances. */
  readonly tick: (scheduleId: string) => Effect.Effect<void>
}

/**
 * Timers and work shared by every instance (BullMQ on Redis, or in process): one job per execution id,
 * run when due by one worker at a time, with bounded concurrency per instance.
 */
export class JobQueue extends Context.Tag("ast/JobQueue")<JobQueue, {
  /** Makes sure the execution's job runs at `at` or sooner (idempotent; the sooner time wins). */
  readonly schedule: (executionId: string, at: Date) => Effect.Effect<void, Unavailable>
  /**
   * `schedule`, for a job a second run of which is harmless (a burst: claiming it is atomic). An instance
   * that runs jobs (`work`) also times it itself and runs it when `at` comes, instead of waiting for the
   * shared queue to hand it out (on Redis a delayed job is handed out late, on Redis' own clock); the
   * shared job is then timed a little later, for the case this instance is gone by then. `timing`:
   * `new` — the job was never scheduled (no need to look for it); `later` — `at` is no sooner than the
   * time the job already has, so the shared job is left as it is; `any` — the sooner time wins.
   */
  readonly scheduleHere: (jobId: string, at: Date, timing: "new" | "later" | "any") => Effect.Effect<void, Unavailable>
  /** Sets (or, with `undefined`, removes) a repeating schedule; its ticks go to `JobHandlers.tick`. */
  readonly setSchedule: (scheduleId: string, schedule: CronSchedule | undefined) => Effect.Effect<void, Unavailable>
  /** How many jobs wait and run now: across every instance on Redis, this process's in process (for `/metrics`). */
  readonly depth: Effect.Effect<QueueDepth, Unavailable>
  /** Runs the handlers for due jobs and ticks until the scope closes (then waits for the running ones, up to the shutdown timeout). */
  readonly work: (handlers: JobHandlers) => Effect.Effect<void, Unavailable, Scope.Scope>
}>() {}
