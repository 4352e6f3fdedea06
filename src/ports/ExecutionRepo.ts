import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { Execution, ExecutionError, ExecutionStatus, Step } from "../domain/Execution.ts"
import type { Thread } from "../domain/Thread.ts"

export type ExecutionSummary = Omit<Execution, "steps" | "input" | "output">

/** An execution within its organization: every query is scoped by both. */
export interface ExecutionRef {
  readonly organizationId: string
  readonly executionId: string
}

export interface NewExecution {
  readonly id: string
  readonly organizationId: string
  readonly workflowId: string
  readonly workflowVersion: number
  readonly threadId: string
  readonly status: ExecutionStatus
  readonly input: unknown
}

/** How a run starts: its execution recorded now, or moved on from `pending` (where `/trigger` recorded it). */
export type ExecutionStart =
  | { readonly execution: Omit<NewExecution, "status"> }
  | { readonly pending: ExecutionRef; readonly threadId: string }

export interface ExecutionQuery {
  readonly organizationId: string
  readonly workflowId?: string
  readonly threadId?: string
  readonly status?: ExecutionStatus
  readonly limit: number
  readonly cursor?: string
}

/** Executions and their steps: a light row for lists, heavy input/output and steps kept apart. */
export class ExecutionRepo extends Context.Tag("ast/ExecutionRepo")<ExecutionRepo, {
  /** Records a new execution. */
  readonly create: (execution: NewExecution) => Effect.Effect<void, Unavailable>
  /**
   * Starts a run in one atomic write: its execution recorded `running` (created, or moved on from
   * `pending`) and its thread touched (created if new, last activity now). Answers the thread as it is
   * now: an escalated one runs no graph.
   */
  readonly begin: (start: ExecutionStart) => Effect.Effect<Thread, Unavailable>
  /**
   * Moves an execution to a new status; a final status also records its output or error and
   * `finishedAt`. `steps` are recorded in the same write, as `recordSteps` would.
   */
  readonly setStatus: (
    ref: ExecutionRef,
    status: ExecutionStatus,
    result?: { readonly output?: unknown; readonly error?: ExecutionError; readonly steps?: ReadonlyArray<Step> }
  ) => Effect.Effect<void, Unavailable>
  /**
   * Inserts or replaces steps, keyed by the execution id and each step's stable id, in one write; a new
   * step is listed after those stored before it, in the order given (one id appears at most once).
   */
  readonly recordSteps: (ref: ExecutionRef, steps: ReadonlyArray<Step>) => Effect.Effect<void, Unavailable>
  /** One execution with its steps, within its organization. */
  readonly get: (organizationId: string, id: string) => Effect.Effect<Option.Option<Execution>, Unavailable>
  /** A page of executions, newest first. */
  readonly list: (query: ExecutionQuery) => Effect.Effect<{ items: ReadonlyArray<ExecutionSummary>; nextCursor: string | null }, Unavailable>
  /** Soft-deletes (gone from the API, purged later); answers whether a live execution was there. */
  readonly remove: (organizationId: string, id: string) => Effect.Effect<boolean, Unavailable>
  /** Erases soft-deleted executions and those started before `cutoff`, with their data and steps; answers how many. */
  readonly purge: (cutoff: Date) => Effect.Effect<number, Unavailable>
}>() {}
