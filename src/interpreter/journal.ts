import { Cause, type Clock, Deferred, Effect, FiberId } from "effect"
import { NodeFailed } from "../domain/errors.ts"
import type { Step } from "../domain/Execution.ts"
import { type ExecutionRef, ExecutionRepo } from "../ports/ExecutionRepo.ts"

export interface StepStart {
  readonly id: string
  readonly nodeId: string
  readonly stepName: string
  readonly attempt: number
  readonly input: unknown
}

export interface Journal {
  /**
   * Runs `work` as one journaled step: recorded `running` before, then `completed` with its output or
   * `error` with its message. An interruption is recorded as an error too, so no step stays `running`.
   * `isPure`: the work has no effect outside the execution (trigger, condition, transform), so a crash
   * mid-step loses nothing and only its outcome is recorded.
   */
  readonly step: <A, E extends { readonly message: string }, R>(
    start: StepStart,
    work: Effect.Effect<A, E, R>,
    options?: { readonly isPure?: boolean }
  ) => Effect.Effect<A, E | NodeFailed, R>
  /** A node never reached because no incoming edge fired. */
  readonly skipped: (start: StepStart) => Effect.Effect<void, NodeFailed>
  /** Waits until every record so far is stored; fails when they could not be (the database is down). */
  readonly flush: Effect.Effect<void, NodeFailed>
  /**
   * The end of the run: waits for the write in flight, and hands over the records not yet written, in
   * order, for the caller to store with the run's outcome (one write for both).
   */
  readonly settle: Effect.Effect<ReadonlyArray<Step>>
}

/** `older`'s records, then `newer`'s: a step keeps its first place and takes its newest record. */
const inOrder = (older: ReadonlyMap<string, Step>, newer: ReadonlyMap<string, Step>): Map<string, Step> => {
  const merged = new Map(older)
  for (const [id, step] of newer) merged.set(id, step)
  return merged
}

const stepLogDown = (e: { readonly message: string }) => new NodeFailed({ code: "unavailable", message: `step log: ${e.message}` })

/**
 * The step journal of one execution, with its repository and clock looked up once.
 *
 * Records are written behind the run, not before it goes on: a record joins a queue that one writer per
 * execution stores in batches (`recordSteps`, one round trip for all that queued meanwhile; a step's
 * `running` record still queued when it ends is replaced by its outcome). The writer is started by the
 * records of nodes that wait (agent, send, http…), not by pure ones. So a node never waits for the
 * database to log the one before it, and order is kept (a step is stored where it was first queued).
 * At the end, `settle` hands what is still queued to the run's final status write (one statement for
 * both); `flush` instead waits until everything is stored. When a write fails, the next step fails as
 * `unavailable` (the run ends as it did when every write was awaited) and the records go with the next
 * attempt.
 */
export const makeJournal = (execution: ExecutionRef, preceding: ReadonlyArray<Step> = []): Effect.Effect<Journal, never, ExecutionRepo> =>
  Effect.map(Effect.zip(ExecutionRepo, Effect.clock), ([repo, clock]: [ExecutionRepo["Type"], Clock.Clock]) => {
    /** Queued records by step id, in the order they were first queued (`preceding` first: written with the next). */
    let queued = new Map<string, Step>(preceding.map((step) => [step.id, step]))
    let failure: NodeFailed | undefined
    /** Completed when the writer running now has emptied the queue (or failed). */
    let writing: Deferred.Deferred<void> | undefined

    const drain: Effect.Effect<void, NodeFailed> = Effect.suspend(() => {
      if (queued.size === 0) return Effect.void
      const batch = queued
      queued = new Map()
      return repo.recordSteps(execution, [...batch.values()]).pipe(
        Effect.matchEffect({
          onSuccess: () => drain,
          onFailure: (e) =>
            Effect.suspend(() => {
              // Put the batch back in front of what queued meanwhile.
              queued = inOrder(batch, queued)
              failure = stepLogDown(e)
              return Effect.fail(failure)
            })
        })
      )
    })

    const startWriter = Effect.suspend(() => {
      if (writing !== undefined || failure !== undefined) return Effect.void
      const done = Deferred.unsafeMake<void>(FiberId.none)
      writing = done
      return Effect.forkDaemon(drain.pipe(
        Effect.ignore,
        Effect.ensuring(Effect.suspend(() => {
          writing = undefined
          return Deferred.succeed(done, undefined)
        }))
      ))
    })

    /**
     * Queues a record; `wakes` starts the writer. Records of pure nodes do not: they wait for the next
     * node that waits anyway (or for the run's end), so a graph of pure nodes makes one write in all.
     */
    const record = (step: Step, wakes: boolean): Effect.Effect<void, NodeFailed> =>
      Effect.suspend(() => {
        if (failure !== undefined) return Effect.fail(failure)
        queued.set(step.id, step)
        return wakes ? startWriter : Effect.void
      })

    /** Waits for the writer running now, if any, to empty the queue or fail. */
    const writerDone = Effect.suspend(() => writing === undefined ? Effect.void : Deferred.await(writing))

    const flush: Effect.Effect<void, NodeFailed> = writerDone.pipe(
      Effect.zipRight(Effect.suspend(() => {
        if (failure === undefined && queued.size === 0) return Effect.void
        failure = undefined
        return drain
      }))
    )

    const settle: Effect.Effect<ReadonlyArray<Step>> = Effect.suspend(() => {
      // What the writer has not taken yet is the caller's now: it goes with the outcome.
      const mine = queued
      queued = new Map()
      return Effect.map(writerDone, () => {
        // A failed write put its batch back: it is older than `mine`, so it goes first.
        const all = inOrder(queued, mine)
        queued = new Map()
        failure = undefined
        return [...all.values()]
      })
    })

    return {
      step: (start, work, options) =>
        Effect.suspend(() => {
          const wakes = options?.isPure !== true
          const startedMs = clock.unsafeCurrentTimeMillis()
          const startedAt = new Date(startedMs).toISOString()
          const finish = (status: Step["status"], output: unknown, error: string | null) =>
            Effect.suspend(() => {
              const now = clock.unsafeCurrentTimeMillis()
              return record({
                ...start, status, output, error, startedAt,
                durationMs: now - startedMs,
                finishedAt: now === startedMs ? startedAt : new Date(now).toISOString()
              }, wakes)
            })
          const running: Step = { ...start, status: "running", output: null, error: null, durationMs: null, startedAt, finishedAt: null }
          return (wakes ? record(running, true) : Effect.void).pipe(
            Effect.zipRight(work.pipe(
              Effect.matchCauseEffect({
                onSuccess: (output) => Effect.as(finish("completed", output ?? null, null), output),
                onFailure: (cause) => {
                  const failure = Cause.failureOption(cause)
                  const message = failure._tag === "Some" ? failure.value.message : Cause.isInterruptedOnly(cause) ? "interrupted" : "unexpected failure"
                  return Effect.ignore(finish("error", null, message)).pipe(Effect.zipRight(Effect.failCause(cause)))
                }
              }),
              Effect.onInterrupt(() => Effect.ignore(finish("error", null, "interrupted")))
            ))
          )
        }),
      skipped: (start) =>
        Effect.suspend(() => {
          const at = new Date(clock.unsafeCurrentTimeMillis()).toISOString()
          return record({ ...start, status: "skipped", output: null, error: null, durationMs: 0, startedAt: at, finishedAt: at }, false)
        }),
      flush,
      settle
    }
  })
