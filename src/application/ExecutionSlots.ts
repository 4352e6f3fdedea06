import { Context, Deferred, Duration, Effect, FiberId, Layer, Queue } from "effect"

/** How long a trigger waits at most for the backlog to shrink; then it is accepted anyway. */
export const ADMISSION_MAX_WAIT = Duration.seconds(5)

/**
 * The instance's execution slots (`AST_WORKER_CONCURRENCY`): a flushed burst runs once one is free,
 * first come, first served, one waiter resumed per freed slot (a bounded queue's back-pressure, not a
 * semaphore whose every release wakes every waiter). `admit` is the back-pressure on `/trigger`: while
 * a full round of bursts already waits for slots here, a new message waits too (woken when the backlog
 * falls below a round; at most 5 s, then it is accepted anyway), so the instance takes messages no
 * faster than it runs their bursts and every burst is flushed when its window ends instead of ever later.
 */
export class ExecutionSlots extends Context.Tag("ast/ExecutionSlots")<ExecutionSlots, {
  /** Runs `execution` in a slot, after waiting for one. */
  readonly run: <A, E, R>(execution: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Executions waiting for a slot now. */
  readonly waiting: () => number
  /** Waits while as many executions wait for a slot as there are slots (at most 5 s). */
  readonly admit: Effect.Effect<void>
}>() {
  static readonly make = (slots: number): Effect.Effect<ExecutionSlots["Type"]> =>
    Effect.map(Queue.bounded<void>(slots), (taken) => {
      let waiting = 0
      const isBehind = () => waiting >= slots
      /** Completed (and replaced) when the backlog falls below a round: the triggers waiting on it go on. */
      let caughtUp = Deferred.unsafeMake<void>(FiberId.none)
      const started = Effect.sync(() => {
        waiting--
        if (!isBehind()) {
          Deferred.unsafeDone(caughtUp, Effect.void)
          caughtUp = Deferred.unsafeMake<void>(FiberId.none)
        }
      })
      /** Waits for the backlog to fall below a round (looking again after each wake-up). */
      const untilCaughtUp: Effect.Effect<void> = Effect.suspend(() =>
        isBehind() ? Effect.zipRight(Deferred.await(caughtUp), untilCaughtUp) : Effect.void)
      return {
        run: (execution) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.sync(() => void waiting++).pipe(
              Effect.zipRight(restore(Queue.offer(taken, undefined)).pipe(Effect.ensuring(started))),
              Effect.zipRight(restore(execution).pipe(Effect.ensuring(Queue.take(taken))))
            )
          ),
        waiting: () => waiting,
        admit: Effect.suspend(() => isBehind() ? Effect.asVoid(Effect.timeoutOption(untilCaughtUp, ADMISSION_MAX_WAIT)) : Effect.void)
      }
    })

  static readonly layer = (slots: number) => Layer.effect(ExecutionSlots, ExecutionSlots.make(slots))
}
