import { Clock, Effect } from "effect"
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

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * Runs `work` as one journaled step: recorded `running` before, then `completed` with its output or
 * `error` with its message. An interruption is recorded as an error too, so no step stays `running`.
 */
export const journaled = <A, E extends { readonly message: string }, R>(
  execution: ExecutionRef,
  start: StepStart,
  work: Effect.Effect<A, E, R>
): Effect.Effect<A, E | NodeFailed, R | ExecutionRepo> =>
  Effect.gen(function* () {
    const repo = yield* ExecutionRepo
    const startedAt = yield* Clock.currentTimeMillis
    const record = (step: Partial<Step>) =>
      Clock.currentTimeMillis.pipe(
        Effect.flatMap((now) =>
          repo.recordStep(execution, {
            ...start, status: "running", output: null, error: null, durationMs: null,
            startedAt: iso(startedAt), finishedAt: null,
            ...(step.status === "running" ? {} : { durationMs: now - startedAt, finishedAt: iso(now) }),
            ...step
          })
        ),
        Effect.mapError((e) => new NodeFailed({ code: "unavailable", message: `step log: ${e.message}` }))
      )
    yield* record({ status: "running" })
    return yield* work.pipe(
      Effect.tap((output) => record({ status: "completed", output: output ?? null })),
      Effect.tapError((e) => Effect.ignore(record({ status: "error", error: e.message }))),
      Effect.onInterrupt(() => Effect.ignore(record({ status: "error", error: "interrupted" })))
    )
  })

/** A node never reached because no incoming edge fired. */
export const recordSkipped = (execution: ExecutionRef, start: StepStart) =>
  Effect.gen(function* () {
    const repo = yield* ExecutionRepo
    const now = iso(yield* Clock.currentTimeMillis)
    yield* repo.recordStep(execution, {
      ...start, status: "skipped", output: null, error: null, durationMs: 0, startedAt: now, finishedAt: now
    }).pipe(Effect.mapError((e) => new NodeFailed({ code: "unavailable", message: `step log: ${e.message}` })))
  })
