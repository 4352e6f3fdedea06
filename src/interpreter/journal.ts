import { Cause, type Clock, Effect } from "effect"
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
   * mid-step loses nothing and only its outcome is recorded (one write instead of two).
   */
  readonly step: <A, E extends { readonly message: string }, R>(
    start: StepStart,
    work: Effect.Effect<A, E, R>,
    options?: { readonly isPure?: boolean }
  ) => Effect.Effect<A, E | NodeFailed, R>
  /** A node never reached because no incoming edge fired. */
  readonly skipped: (start: StepStart) => Effect.Effect<void, NodeFailed>
}

const stepLogDown = (e: { readonly message: string }) => new NodeFailed({ code: "unavailable", message: `step log: ${e.message}` })

/** The step journal of one execution, with its repository and clock looked up once. */
export const makeJournal = (execution: ExecutionRef): Effect.Effect<Journal, never, ExecutionRepo> =>
  Effect.map(Effect.zip(ExecutionRepo, Effect.clock), ([repo, clock]: [ExecutionRepo["Type"], Clock.Clock]) => {
    const record = (step: Step) => Effect.mapError(repo.recordStep(execution, step), stepLogDown)
    return {
      step: (start, work, options) =>
        Effect.suspend(() => {
          const startedMs = clock.unsafeCurrentTimeMillis()
          const startedAt = new Date(startedMs).toISOString()
          const finish = (status: Step["status"], output: unknown, error: string | null) =>
            Effect.suspend(() => {
              const now = clock.unsafeCurrentTimeMillis()
              return record({
                ...start, status, output, error, startedAt,
                durationMs: now - startedMs,
                finishedAt: now === startedMs ? startedAt : new Date(now).toISOString()
              })
            })
          const running: Step = { ...start, status: "running", output: null, error: null, durationMs: null, startedAt, finishedAt: null }
          return (options?.isPure === true ? Effect.void : record(running)).pipe(
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
          return record({ ...start, status: "skipped", output: null, error: null, durationMs: 0, startedAt: at, finishedAt: at })
        })
    }
  })
