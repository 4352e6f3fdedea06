import { DelayedError, Queue, Worker } from "bullmq"
import { Duration, Effect, type Redacted, Runtime } from "effect"
import { JobQueue, type JobOutcome } from "../../ports/JobQueue.ts"
import { redisCall, redisConnection } from "./connection.ts"

const queueName = "bursts"

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

    const schedule = (executionId: string, at: Date) =>
      redisCall("schedule a burst", async () => {
        const delay = Math.max(0, at.getTime() - Date.now())
        const job = await queue.getJob(executionId)
        if (job === undefined || job === null) {
          await queue.add("burst", { executionId }, { jobId: executionId, delay, removeOnComplete: true, removeOnFail: { age: 24 * 3600 } })
          promoteWhenDue(executionId, at.getTime())
          return
        }
        const dueAt = job.timestamp + (job.delay ?? 0)
        if (dueAt > at.getTime() && (await job.isDelayed())) {
          await job.changeDelay(delay)
          promoteWhenDue(executionId, at.getTime())
        }
      })

    const service: JobQueue["Type"] = {
      schedule,
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
                  const outcome: JobOutcome = await Runtime.runPromise(runtime)(handlers.job(String(job.data.executionId)))
                  if (outcome._tag === "RetryAt") {
                    const at = Math.max(outcome.at.getTime(), Date.now())
                    await job.moveToDelayed(at, token)
                    if (job.id !== undefined) promoteWhenDue(job.id, at)
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
              return worker
            }),
            // Shutdown: let running jobs finish (bounded), then leave the rest to stall over to another instance.
            (worker) =>
              Effect.logInfo(`shutting down: waiting up to ${Duration.format(options.shutdownTimeout)} for running bursts, then handing the rest back`).pipe(
                Effect.zipRight(Effect.promise(() => worker.close()).pipe(Effect.interruptible)),
                Effect.timeoutOption(options.shutdownTimeout),
                Effect.flatMap((closed) => (closed._tag === "Some" ? Effect.void : Effect.promise(() => worker.close(true)))),
                Effect.ignore
              )
          )
        })
    }
    return service
  }).pipe(Effect.tap(() => Effect.logDebug(`queue: BullMQ "${queueName}"`)))

