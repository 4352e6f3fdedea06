import { Context, type Effect } from "effect"
import type { AccumulatorConfig } from "../domain/Accumulator.ts"
import type { Unavailable } from "../domain/errors.ts"
import type { InputMessage, PublicContext, RunInput } from "../domain/RunRequest.ts"

export interface BurstKey {
  readonly organizationId: string
  readonly workflowId: string
  readonly threadId: string
}

/** What one trigger adds to a burst: its messages (arrival order), the sender and context it came with. */
export interface Arrival {
  readonly messages: ReadonlyArray<InputMessage>
  readonly sender: RunInput["sender"]
  readonly context: PublicContext
  /** `context.livchatApiKey`, sealed by the SecretBox; the latest arrival's is kept. */
  readonly sealedSecret: string | null
  readonly workflowVersion: number
  /** The caller's own `aggregatedInput`, kept when the workflow does not accumulate (§5). */
  readonly aggregatedInput?: string
}

export type AppendResult =
  | {
    readonly _tag: "Accepted"
    readonly executionId: string
    /** When the burst is due now (its window, or at once when full or not accumulating). */
    readonly flushAt: Date
    /** The burst was opened by this arrival: its flush must be scheduled. */
    readonly isNew: boolean
  }
  | { readonly _tag: "Duplicate"; readonly executionId: string }

/** A closed burst, ready to run. */
export interface ClosedBurst {
  readonly executionId: string
  readonly key: BurstKey
  readonly workflowVersion: number
  readonly messages: ReadonlyArray<InputMessage>
  readonly sender: RunInput["sender"]
  readonly context: PublicContext
  readonly sealedSecret: string | null
  readonly separator: string
  /** Set when the caller gave one and the burst did not accumulate. */
  readonly aggregatedInput?: string
  readonly firstAt: Date
  readonly windowEnd: Date
  readonly closedAt: Date
}

export type CloseResult =
  | { readonly _tag: "Closed" }
  | { readonly _tag: "NotDue"; readonly flushAt: Date }
  | { readonly _tag: "NotOpen" }

export type ClaimResult =
  | { readonly _tag: "Claimed"; readonly burst: ClosedBurst }
  /** Another burst of the thread runs, or an earlier one has not run yet: try again later. */
  | { readonly _tag: "Busy" }
  | { readonly _tag: "Done" }

export type TakeResult = ClaimResult | { readonly _tag: "NotDue"; readonly flushAt: Date }

/**
 * The accumulator's durable truth (§5.1), in PostgreSQL: bursts of messages per organization + workflow +
 * thread, their windows, and who runs them. Accepted means recorded here.
 */
export class Bursts extends Context.Tag("ast/Bursts")<Bursts, {
  /**
   * Records an arrival in the open burst of `key` (opening one, with its pending execution, if none); with
   * `config` absent or disabled every arrival is a burst of its own, due at once. A message id already
   * accepted for the workflow within 24 h makes the whole arrival a duplicate (nothing recorded).
   */
  readonly append: (key: BurstKey, arrival: Arrival, config: AccumulatorConfig | undefined, now: Date) => Effect.Effect<AppendResult, Unavailable>
  /** Closes an open burst whose window has ended (a later message may have moved it: `NotDue`). */
  readonly close: (executionId: string, now: Date) => Effect.Effect<CloseResult, Unavailable>
  /**
   * Takes a closed burst to run it, with a lease that `renew` extends: at most one holder per thread,
   * bursts of a thread in order; a lease that expired (a crashed holder) can be taken over.
   */
  readonly claim: (executionId: string, owner: string, leaseMs: number) => Effect.Effect<ClaimResult, Unavailable>
  /** `close` then, unless it is not due, `claim`: what a queued job does first, in one call. */
  readonly take: (executionId: string, owner: string, leaseMs: number, now: Date) => Effect.Effect<TakeResult, Unavailable>
  /** Extends the lease; false when it was lost. */
  readonly renew: (executionId: string, owner: string, leaseMs: number) => Effect.Effect<boolean, Unavailable>
  /** Marks the burst run (or hands it back, `isDone` false, for another holder), wiping its sealed secret when done. */
  readonly release: (executionId: string, owner: string, isDone: boolean) => Effect.Effect<void, Unavailable>
  /** The thread's next closed burst waiting to run (after `executionId` ran), if any: it can be started at once. */
  readonly nextOfThread: (executionId: string) => Effect.Effect<string | undefined, Unavailable>
  /** `release`, then (when done) `nextOfThread`: what a job does last, in one call. */
  readonly finish: (executionId: string, owner: string, isDone: boolean) => Effect.Effect<string | undefined, Unavailable>
  /** Bursts whose flush or run is overdue by `graceMs` (lost timers, crashed holders): the sweeper reschedules them. */
  readonly overdue: (now: Date, graceMs: number) => Effect.Effect<ReadonlyArray<{ readonly executionId: string; readonly dueAt: Date }>, Unavailable>
  /** Forgets accepted message ids older than `cutoff` (duplicate detection covers 24 h). */
  readonly forgetMessageIds: (cutoff: Date) => Effect.Effect<number, Unavailable>
}>() {}
