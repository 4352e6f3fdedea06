import { Clock, Deferred, Duration, Effect, FiberMap, FiberSet } from "effect"
import { CronExpressionParser } from "cron-parser"
import { Unavailable } from "../../domain/errors.ts"
import { type CronSchedule, type JobHandlers, JobQueue } from "../../ports/JobQueue.ts"

/**
 * The in-process queue (no `REDIS_URL`, single instance): one timer fiber per execution id on Effect's
 * Clock (so `TestClock` drives it), at most `concurrency` jobs running at once.
 */
export const makeJobQueueMemory = (options: { readonly concurrency: number; readonly shutdownTimeout?: Duration.DurationInput }) =>
  Effect.gen(function* () {
    const timers = yield* FiberMap.make<string>()
    const jobs = yield* FiberSet.make()
    const due = new Map<string, number>()
    const running = new Set<string>()
    /** Jobs holding a permit (the others in `running` wait for one). */
    const active = new Set<string>()
    const again = new Map<string, number>()
    const permits = yield* Effect.makeSemaphore(options.concurrency)
    const handler = yield* Deferred.make<JobHandlers>()
    const schedules = yield* FiberMap.make<string>()

    const run = (executionId: string): Effect.Effect<void> =>
      Effect.gen(function* () {
        const handle = (yield* Deferred.await(handler)).job
        due.delete(executionId)
        running.add(executionId)
        const started = Effect.sync(() => active.add(executionId)).pipe(
          Effect.zipRight(handle(executionId)),
          Effect.ensuring(Effect.sync(() => active.delete(executionId)))
        )
        const outcome = yield* permits.withPermits(1)(started).pipe(Effect.ensuring(Effect.sync(() => running.delete(executionId))))
        const next = again.get(executionId)
        again.delete(executionId)
        const at = outcome._tag === "RetryAt" ? outcome.at.getTime() : undefined
        const soonest = at === undefined ? next : next === undefined ? at : Math.min(at, next)
        if (soonest !== undefined) yield* schedule(executionId, new Date(soonest))
      })

    const schedule = (executionId: string, at: Date): Effect.Effect<void> =>
      Effect.gen(function* () {
        if (running.has(executionId)) {
          again.set(executionId, Math.min(at.getTime(), again.get(executionId) ?? Infinity))
          return
        }
        const known = due.get(executionId)
        if (known !== undefined && known <= at.getTime()) return
        due.set(executionId, at.getTime())
        const now = yield* Clock.currentTimeMillis
        const wait = Math.max(0, at.getTime() - now)
        // The timer fiber removes itself from the map before running, so the job is never interrupted by its own reschedule.
        yield* FiberMap.run(timers, executionId, Effect.sleep(Duration.millis(wait)).pipe(
          Effect.zipRight(FiberSet.run(jobs, Effect.suspend(() => run(executionId)))),
          Effect.asVoid
        ))
      })

    /** Sleeps until each next occurrence of the cron expression, on Effect's Clock, and ticks. */
    const repeat = (scheduleId: string, spec: CronSchedule) =>
      Effect.gen(function* () {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const next = CronExpressionParser.parse(spec.cron, { currentDate: new Date(now), ...(spec.timezone === undefined ? {} : { tz: spec.timezone }) }).next().getTime()
          yield* Effect.sleep(Duration.millis(Math.max(1, next - now)))
          const { tick } = yield* Deferred.await(handler)
          yield* FiberSet.run(jobs, permits.withPermits(1)(tick(scheduleId)))
        }
      })

    const service: JobQueue["Type"] = {
      schedule: (executionId, at) => schedule(executionId, at),
      setSchedule: (scheduleId, spec) =>
        spec === undefined
          ? FiberMap.remove(schedules, scheduleId)
          : Effect.try({
            try: () => CronExpressionParser.parse(spec.cron, spec.timezone === undefined ? {} : { tz: spec.timezone }),
            catch: (e) => new Unavailable({ dependency: "queue", message: `invalid schedule '${spec.cron}': ${String(e)}` })
          }).pipe(Effect.zipRight(FiberMap.run(schedules, scheduleId, repeat(scheduleId, spec))), Effect.asVoid),
      depth: Effect.map(Clock.currentTimeMillis, (now) => {
        let delayed = 0
        for (const at of due.values()) if (at > now) delayed += 1
        return { waiting: due.size - delayed + running.size - active.size, delayed, active: active.size }
      }),
      work: (handlers) =>
        Effect.gen(function* () {
          yield* Deferred.succeed(handler, handlers)
          // At shutdown: let running jobs finish (bounded); the queue's own scope then interrupts the rest.
          yield* Effect.addFinalizer(() =>
            Effect.flatMap(FiberSet.size(jobs), (n) =>
              n === 0 ? Effect.void : Effect.logInfo(`shutting down: waiting up to ${Duration.format(Duration.decode(options.shutdownTimeout ?? "30 seconds"))} for ${n} running burst(s)`).pipe(
                // Finalizers are uninterruptible: the wait must be made interruptible for its timeout to bound it.
                Effect.zipRight(FiberSet.awaitEmpty(jobs).pipe(Effect.interruptible, Effect.timeoutOption(options.shutdownTimeout ?? "30 seconds"), Effect.asVoid))
              )))
        })
    }
    return service
  })
