import { Clock, Deferred, Duration, Effect, FiberMap, FiberSet, Queue } from "effect"
import { CronExpressionParser } from "cron-parser"
import { Unavailable } from "../../domain/errors.ts"
import { type CronSchedule, type JobHandlers, JobQueue } from "../../ports/JobQueue.ts"

/**
 * The in-process queue (no `REDIS_URL`, single instance): one timer fiber per execution id on Effect's
 * Clock (so `TestClock` drives it); a due job joins a FIFO line that `concurrency` worker fibers take
 * from, so at most that many run at once and a thousand waiting jobs cost nothing while they wait (a
 * semaphore would wake every waiter on each release).
 */
export const makeJobQueueMemory = (options: { readonly concurrency: number; readonly shutdownTimeout?: Duration.DurationInput }) =>
  Effect.gen(function* () {
    const timers = yield* FiberMap.make<string>()
    const workers = yield* FiberSet.make()
    /** Due jobs, in the order they fell due. */
    const line = yield* Queue.unbounded<Effect.Effect<void>>()
    /** When each known job is due (until it starts). */
    const due = new Map<string, number>()
    /** Jobs started and not yet over. */
    const running = new Set<string>()
    /** A job scheduled again while it ran: when it is due next. */
    const again = new Map<string, number>()
    let ticking = 0
    const handler = yield* Deferred.make<JobHandlers>()
    const schedules = yield* FiberMap.make<string>()

    const run = (executionId: string): Effect.Effect<void> =>
      Effect.gen(function* () {
        const handle = (yield* Deferred.await(handler)).job
        due.delete(executionId)
        running.add(executionId)
        const outcome = yield* handle(executionId, false).pipe(Effect.ensuring(Effect.sync(() => running.delete(executionId))))
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
        // The timer puts the job in line and ends; a reschedule before then replaces the timer.
        yield* FiberMap.run(timers, executionId, Effect.sleep(Duration.millis(wait)).pipe(
          Effect.zipRight(Queue.offer(line, Effect.suspend(() => run(executionId)))),
          Effect.asVoid
        ))
      })

    /** Sleeps until each next occurrence of the cron expression, on Effect's Clock, and puts a tick in line. */
    const repeat = (scheduleId: string, spec: CronSchedule) =>
      Effect.gen(function* () {
        while (true) {
          const now = yield* Clock.currentTimeMillis
          const next = CronExpressionParser.parse(spec.cron, { currentDate: new Date(now), ...(spec.timezone === undefined ? {} : { tz: spec.timezone }) }).next().getTime()
          yield* Effect.sleep(Duration.millis(Math.max(1, next - now)))
          const { tick } = yield* Deferred.await(handler)
          yield* Queue.offer(line, Effect.sync(() => void (ticking += 1)).pipe(
            Effect.zipRight(tick(scheduleId)),
            Effect.ensuring(Effect.sync(() => void (ticking -= 1)))
          ))
        }
      })

    /** One worker: takes the next due job and runs it, until the line is shut down (shutdown). */
    const worker = Effect.forever(Effect.flatMap(Queue.take(line), (job) => Effect.ignore(job)))

    const service: JobQueue["Type"] = {
      schedule: (executionId, at) => schedule(executionId, at),
      // This queue is this instance's own timer already: nothing to run ahead of.
      scheduleHere: (executionId, at, timing) => (timing === "later" ? Effect.void : schedule(executionId, at)),
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
        return { waiting: due.size - delayed, delayed, active: running.size + ticking }
      }),
      work: (handlers) =>
        Effect.gen(function* () {
          yield* Deferred.succeed(handler, handlers)
          for (let i = 0; i < options.concurrency; i++) yield* FiberSet.run(workers, worker)
          // At shutdown: no job starts any more; running ones may finish (bounded), then the queue's own
          // scope interrupts them.
          yield* Effect.addFinalizer(() =>
            Effect.gen(function* () {
              yield* Queue.shutdown(line)
              const busy = running.size + ticking
              if (busy === 0) return
              yield* Effect.logInfo(`shutting down: waiting up to ${Duration.format(Duration.decode(options.shutdownTimeout ?? "30 seconds"))} for ${busy} running burst(s)`)
              // Finalizers are uninterruptible: the wait must be made interruptible for its timeout to bound it.
              yield* FiberSet.awaitEmpty(workers).pipe(Effect.interruptible, Effect.timeoutOption(options.shutdownTimeout ?? "30 seconds"), Effect.asVoid)
            }))
        })
    }
    return service
  })
