import { Context, Deferred, Duration, Effect, FiberId, Layer, Queue } from "effect"

/** How long a trigger waits at most to be admitted; then it is accepted anyway. */
export const ADMISSION_MAX_WAIT = Duration.seconds(2)
/** How often waiting triggers are looked at (only while some wait). */
const ADMISSION_TICK = Duration.millis(10)

/**
 * The instance's execution slots (`AST_WORKER_CONCURRENCY`): a flushed burst runs once one is free,
 * first come, first served, one waiter resumed per freed slot (a bounded queue's back-pressure, not a
 * semaphore whose every release wakes every waiter).
 *
 * `admit` is the back-pressure on `/trigger`: a new message waits while the instance is behind — a full
 * round of flushed bursts waits for slots, or `isOverloaded` (the event loop busy nearly all the time,
 * so the worker could not pick due bursts up on time) — and is let in once it is not (a few per 10 ms
 * tick, or as a waiting burst starts); at most 2 s, then it is accepted anyway. So an instance takes
 * messages no faster than it can flush and run their bursts, and every burst is flushed when its window
 * ends instead of ever later.
 */
export class ExecutionSlots extends Context.Tag("ast/ExecutionSlots")<ExecutionSlots, {
  /** Runs `execution` in a slot, after waiting for one. */
  readonly run: <A, E, R>(execution: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Executions waiting for a slot now. */
  readonly waiting: () => number
  /** Waits while the instance is behind (at most 2 s). */
  readonly admit: Effect.Effect<void>
}>() {
  static readonly make = (slots: number, isOverloaded: () => boolean = () => false): Effect.Effect<ExecutionSlots["Type"]> =>
    Effect.map(Queue.bounded<void>(slots), (taken) => {
      let waiting = 0
      const isBehind = () => waiting >= slots || isOverloaded()
      /** Triggers waiting to be admitted, in arrival order. */
      const admitting: Array<Deferred.Deferred<void>> = []
      /** A few waiting triggers go on, if the instance is no longer behind. */
      const letSomeIn = () => {
        if (!isBehind()) for (const admitted of admitting.splice(0, Math.max(1, Math.ceil(slots / 2)))) Deferred.unsafeDone(admitted, Effect.void)
      }
      /** Runs while triggers wait: every tick, `letSomeIn`. */
      const ticker: Effect.Effect<void> = Effect.sleep(ADMISSION_TICK).pipe(
        Effect.zipRight(Effect.suspend(() => {
          letSomeIn()
          return admitting.length > 0 ? ticker : Effect.void
        }))
      )
      const waitToBeAdmitted = Effect.suspend(() => {
        const admitted = Deferred.unsafeMake<void>(FiberId.none)
        admitting.push(admitted)
        const leave = Effect.sync(() => {
          const at = admitting.indexOf(admitted)
          if (at >= 0) admitting.splice(at, 1)
        })
        return (admitting.length === 1 ? Effect.forkDaemon(ticker) : Effect.void).pipe(
          Effect.zipRight(Deferred.await(admitted)),
          Effect.timeoutOption(ADMISSION_MAX_WAIT),
          Effect.ensuring(leave),
          Effect.asVoid
        )
      })
      return {
        run: (execution) =>
          Effect.uninterruptibleMask((restore) =>
            Effect.sync(() => void waiting++).pipe(
              Effect.zipRight(restore(Queue.offer(taken, undefined)).pipe(Effect.ensuring(Effect.sync(() => {
                waiting--
                letSomeIn()
              })))),
              Effect.zipRight(restore(execution).pipe(Effect.ensuring(Queue.take(taken))))
            )
          ),
        waiting: () => waiting,
        admit: Effect.suspend(() => isBehind() ? waitToBeAdmitted : Effect.void)
      }
    })

  static readonly layer = (slots: number) => Layer.effect(ExecutionSlots, ExecutionSlots.make(slots))
}
