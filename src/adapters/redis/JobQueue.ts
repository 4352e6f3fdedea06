import { DelayedError, Queue, Worker } from "bullmq"
import { Duration, Effect, Fiber, type Redacted, Runtime } from "effect"
import { type JobHandlers, JobQueue, type JobOutcome } from "../../ports/JobQueue.ts"
import { redisCall, redisConnection } from "./connection.ts"

const queueName = "bursts"

/**
 * How much later than its due time the shared job of a job an instance runs itself (`scheduleHere`) is
 * handed out by the queue: only if that instance is gone (or too slow) by then does another one run it.
 */
export const HERE_FALLBACK_MS = 1_000

export interface JobQueueRedisOptions {
  readonly url: Redacted.Redacted<string>
  readonly concurrency: number
  readonly shutdownTimeout: Duration.DurationInput
  /** How long a worker holds a job before BullMQ considers it stalled (its process died) and hands it on. */
  readonly lockDurationMs?: number
  /** Key prefix, so several deployments (or test runs) can share one Redis. */
  readonly prefix?: string
}

/**
 * The queue shared by every instance (BullMQ on Redis): one job per execution id (`jobId`), delayed until
 * the burst is due; a sooner schedule moves it forward; a job whose worker died is picked up again
 * (stalled-job handling). PostgreSQL stays the truth: a lost job is found again by the sweeper.
 */
export const makeJobQueueRedis = (options: JobQueueRedisOptions) =>
  Effect.gen(function* () {
    const prefix = options.prefix ?? "ast"
    const connection = yield* redisConnection(options.url)
    const queue = yield* Effect.acquireRelease(
      Effect.sync(() => new Queue(queueName, { connection, prefix })),
      (q) => Effect.promise(() => q.close()).pipe(Effect.timeout("2 seconds"), Effect.ignore)
    )
    queue.on("error", () => undefined)

    /**
     * A delayed job becomes due inside Redis, but a blocked worker only hears of it when its blocking
     * read times out, and Redis times those out on its own clock (`hz`: every 100 ms by default): jobs
     * started ~50 ms late on average, up to 100 ms, on an idle machine. So the instance that times a job
     * also promotes it when it is due, from a timer of its own; a worker then takes it at once. If this
     * instance is gone by then, Redis' own timing still applies.
     */
    const promoting = new Map<string, ReturnType<typeof setTimeout>>()
    const promoteWhenDue = (jobId: string, at: number) => {
      clearTimeout(promoting.get(jobId))
      promoting.delete(jobId)
      const delay = at - Date.now()
      if (delay <= 0) return
      const timer = setTimeout(() => {
        promoting.delete(jobId)
        // Not delayed any more (taken, moved sooner, removed): nothing to do.
        queue.getJob(jobId).then((job) => job?.promote()).catch(() => undefined)
      }, delay + 1)
      timer.unref()
      promoting.set(jobId, timer)
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => {
      for (const timer of promoting.values()) clearTimeout(timer)
      promoting.clear()
    }))

    /** Makes sure the job exists and is due at `at` or sooner (a sooner time moves it); `isNew`: it does not exist yet. */
    const ensureDue = async (jobId: string, at: number, isNew = false) => {
      const delay = Math.max(0, at - Date.now())
      const job = isNew ? undefined : await queue.getJob(jobId)
      if (job === undefined || job === null) {
        // (Had it existed after all, BullMQ would leave it as it is: one job per id.)
        await queue.add("burst", { executionId: jobId }, { jobId, delay, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } })
        return true
      }
      const dueAt = job.timestamp + (job.delay ?? 0)
      if (dueAt > at && (await job.isDelayed())) {
        // Gone meanwhile (run and removed): nothing left to move.
        return job.changeDelay(delay).then(() => true, (e: unknown) => {
          if (e instanceof Error && e.message.startsWith("Missing key")) return false
          throw e
        })
      }
      return false
    }

    const schedule = (executionId: string, at: Date, isNew = false) =>
      redisCall("schedule a burst", async () => {
        if (await ensureDue(executionId, at.getTime(), isNew)) promoteWhenDue(executionId, at.getTime())
      })

    /**
     * Jobs this instance runs itself when due (`scheduleHere`), while its worker runs: one timer per job
     * (a later call moves it), and the runs in progress (waited for at shutdown like the worker's jobs).
     *
     * A job found not due yet (its burst took another message) is looked at again only if this instance
     * took it over from the shared queue (`isChasing`): a message that moved it was timed by the instance
     * that took the message (if that one runs bursts; if not, the shared job comes back here or elsewhere),
     * so the instances that timed earlier messages of a burst do not all look at it again.
     */
    let here: { readonly handlers: JobHandlers; readonly runtime: Runtime.Runtime<never> } | undefined
    const hereTimers = new Map<string, ReturnType<typeof setTimeout>>()
    const hereRuns = new Set<Fiber.RuntimeFiber<void>>()
    /**
     * Jobs running here now, and whether to run again once done: one run of a job here at a time (a
     * second could only find it taken, a wasted round trip), and a time set meanwhile is not lost.
     */
    const hereActive = new Map<string, boolean>()
    const runHere = (jobId: string, armedAt: number, isChasing: boolean) => {
      if (here === undefined) return
      if (hereActive.has(jobId)) return void hereActive.set(jobId, true)
      hereActive.set(jobId, false)
      const fiber = Runtime.runFork(here.runtime)(
        here.handlers.job(jobId, true).pipe(
          Effect.flatMap((outcome) => {
            // Done: the shared job is not needed any more (if a worker holds it now, it finds the job done).
            if (outcome._tag === "Done") return Effect.promise(() => queue.remove(jobId).catch(() => 0)).pipe(Effect.asVoid)
            // Not due yet at the time it was timed for (a clock read a little early): again. Busy or failed:
            // the shared job retries it.
            const isToLookAgain = outcome.isNotDueYet === true && (isChasing || outcome.at.getTime() <= armedAt)
            return Effect.sync(() => void (isToLookAgain && armHere(jobId, outcome.at.getTime(), isChasing)))
          })
        )
      )
      hereRuns.add(fiber)
      fiber.addObserver(() => {
        hereRuns.delete(fiber)
        const isAgain = hereActive.get(jobId) === true
        hereActive.delete(jobId)
        if (isAgain) runHere(jobId, Date.now(), isChasing)
      })
    }
    const armHere = (jobId: string, at: number, isChasing: boolean) => {
      if (here === undefined) return
      clearTimeout(hereTimers.get(jobId))
      // One millisecond more: a timer may fire up to a millisecond before `Date.now()` reaches its time.
      const timer = setTimeout(() => {
        hereTimers.delete(jobId)
        runHere(jobId, at, isChasing)
      }, Math.max(0, at - Date.now()) + 1)
      hereTimers.set(jobId, timer)
    }

    const service: JobQueue["Type"] = {
      schedule: (executionId, at) => schedule(executionId, at),
      scheduleHere: (jobId, at, timing) => Effect.suspend(() => {
        if (timing === "later") return Effect.sync(() => armHere(jobId, at.getTime(), false))
        if (here === undefined) return schedule(jobId, at, timing === "new")
        // The shared job first, then this instance's timer (also if Redis failed): a run here that ends
        // at once removes the job, which must not be looked for after that.
        return redisCall("schedule a burst", () => ensureDue(jobId, at.getTime() + HERE_FALLBACK_MS, timing === "new")).pipe(
          Effect.ensuring(Effect.sync(() => armHere(jobId, at.getTime(), false)))
        )
      }),
      setSchedule: (scheduleId, spec) =>
        redisCall("set a schedule", async () => {
          if (spec === undefined) await queue.removeJobScheduler(scheduleId)
          else {
            await queue.upsertJobScheduler(
              scheduleId,
              { pattern: spec.cron, ...(spec.timezone === undefined ? {} : { tz: spec.timezone }) },
              { name: "tick", data: { scheduleId }, opts: { removeOnComplete: true, removeOnFail: { age: 24 * 3600 } } }
            )
          }
        }),
      depth: redisCall("count queued jobs", async () => {
        const counts = await queue.getJobCounts("waiting", "prioritized", "delayed", "active")
        return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), delayed: counts.delayed ?? 0, active: counts.active ?? 0 }
      }),
      work: (handlers) =>
        Effect.gen(function* () {
          const runtime = yield* Effect.runtime<never>()
          const workerConnection = yield* redisConnection(options.url, { forWorker: true })
          yield* Effect.acquireRelease(
            Effect.sync(() => {
              const worker = new Worker(
                queueName,
                async (job, token) => {
                  if (job.name === "tick") return Runtime.runPromise(runtime)(handlers.tick(String(job.data.scheduleId)))
                  const outcome: JobOutcome = await Runtime.runPromise(runtime)(handlers.job(String(job.data.executionId), false))
                  if (outcome._tag === "RetryAt") {
                    const at = Math.max(outcome.at.getTime(), Date.now())
                    // Not due yet: this instance runs it itself when it is (the shared job is the fallback).
                    await job.moveToDelayed(outcome.isNotDueYet === true ? at + HERE_FALLBACK_MS : at, token)
                    if (job.id !== undefined) {
                      if (outcome.isNotDueYet === true) armHere(job.id, at, true)
                      else promoteWhenDue(job.id, at)
                    }
                    throw new DelayedError()
                  }
                },
                {
                  connection: workerConnection,
                  prefix,
                  concurrency: options.concurrency,
                  lockDuration: options.lockDurationMs ?? 15_000,
                  stalledInterval: options.lockDurationMs ?? 15_000,
                  maxStalledCount: 100
                }
              )
              worker.on("error", () => undefined)
              here = { handlers, runtime }
              return worker
            }),
            // Shutdown: time nothing more here, let running jobs finish (bounded), then hand the rest back
            // (the queue's jobs stall over to another instance; a job run here hands its burst back).
            (worker) =>
              Effect.logInfo(`shutting down: waiting up to ${Duration.format(options.shutdownTimeout)} for running bursts, then handing the rest back`).pipe(
                Effect.zipRight(Effect.sync(() => {
                  here = undefined
                  for (const timer of hereTimers.values()) clearTimeout(timer)
                  hereTimers.clear()
                })),
                Effect.zipRight(Effect.all([
                  Effect.promise(() => worker.close()).pipe(Effect.interruptible),
                  Effect.forEach([...hereRuns], Fiber.await, { discard: true })
                ], { concurrency: "unbounded", discard: true })),
                Effect.timeoutOption(options.shutdownTimeout),
                Effect.flatMap((closed) => (closed._tag === "Some"
                  ? Effect.void
                  : Effect.zip(Effect.promise(() => worker.close(true)), Fiber.interruptAll([...hereRuns]), { concurrent: true }))),
                Effect.ignore
              )
          )
        })
    }
    return service
  }).pipe(Effect.tap(() => Effect.logDebug(`queue: BullMQ "${queueName}"`)))

