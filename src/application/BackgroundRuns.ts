import { Cause, type Duration, Effect, FiberMap, Option } from "effect"

/**
 * Executions running in this process in the background (`/trigger`, `/stream`), by execution id: they
 * outlive the request that started them, can be cancelled, and are awaited (then interrupted) at shutdown.
 */
export class BackgroundRuns extends Effect.Service<BackgroundRuns>()("ast/BackgroundRuns", {
  scoped: Effect.gen(function* () {
    const fibers = yield* FiberMap.make<string, void, never>()
    return {
      /** Starts `run` for `executionId` without waiting for it. */
      start: <E, R>(executionId: string, run: Effect.Effect<unknown, E, R>) =>
        FiberMap.run(fibers, executionId, run.pipe(
          Effect.asVoid,
          Effect.catchAllCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError("background execution failed", cause)),
          Effect.annotateLogs({ executionId })
        )).pipe(Effect.asVoid),
      /** Stops a running execution; answers whether it was running here. */
      cancel: (executionId: string) =>
        Effect.gen(function* () {
          const fiber = yield* FiberMap.get(fibers, executionId).pipe(Effect.option)
          if (Option.isNone(fiber)) return false
          yield* FiberMap.remove(fibers, executionId)
          return true
        }),
      /** Waits up to `timeout` for the running executions to end (shutdown), then interrupts the rest. */
      drain: (timeout: Duration.DurationInput) =>
        FiberMap.awaitEmpty(fibers).pipe(
          // Called from a finalizer (uninterruptible): the wait must be interruptible for the timeout to bound it.
          Effect.interruptible,
          Effect.timeoutOption(timeout),
          Effect.flatMap((drained) => (Option.isSome(drained) ? Effect.void : FiberMap.clear(fibers)))
        ),
      /** How many executions run here now. */
      size: FiberMap.size(fibers)
    }
  })
}) {}
