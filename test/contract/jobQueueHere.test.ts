import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Option, Redacted, Schedule, Scope } from "effect"
import { randomBytes } from "node:crypto"
import { HERE_FALLBACK_MS, makeJobQueueRedis } from "../../src/adapters/redis/JobQueue.ts"
import type { JobOutcome, JobQueue } from "../../src/ports/JobQueue.ts"
import { skipServices } from "../support/databases.ts"

/**
 * `scheduleHere` on Redis: the instance that times a job runs it itself when due; the shared BullMQ job
 * is the fallback for when that instance is gone or runs no jobs. Redis database 13; a prefix per test,
 * so instances made in one test share their queue and nothing else.
 */
const instance = (prefix: string, shutdownTimeout: Duration.DurationInput = "1 second") =>
  makeJobQueueRedis({ url: Redacted.make("redis://127.0.0.1:6379/13"), concurrency: 4, shutdownTimeout, prefix })

const freshPrefix = () => `ast-test-here-${randomBytes(4).toString("hex")}`

interface Call {
  readonly jobId: string
  readonly isHere: boolean
  readonly at: number
}

/** A worker that records every job it is handed (by which path) and answers `answer`. */
const recording = (queue: JobQueue["Type"], calls: Array<Call>, answer: (call: Call) => Effect.Effect<JobOutcome> = () => Effect.succeed({ _tag: "Done" })) =>
  queue.work({
    job: (jobId, isHere) => Effect.suspend(() => {
      const call = { jobId, isHere, at: Date.now() }
      calls.push(call)
      return answer(call)
    }),
    tick: () => Effect.void
  })

/** Waits (up to 10 s) until `condition` holds. */
const eventually = (condition: () => boolean) =>
  Effect.sync(condition).pipe(
    Effect.filterOrFail((ok) => ok, () => "not yet"),
    Effect.retry(Schedule.spaced(Duration.millis(20)).pipe(Schedule.upTo("10 seconds"))),
    Effect.orElse(() => Effect.sync(() => expect(condition()).toBe(true)))
  )

const queueEmpties = (queue: JobQueue["Type"]) =>
  queue.depth.pipe(
    Effect.filterOrFail((d) => d.waiting + d.delayed + d.active === 0, (d) => d),
    Effect.retry(Schedule.spaced(Duration.millis(50)).pipe(Schedule.upTo("10 seconds"))),
    Effect.catchAll((last) => Effect.sync(() => expect(last).toEqual({ waiting: 0, delayed: 0, active: 0 })))
  )

/** Long enough for the shared job's fallback to have come, had it still been there. */
const pastTheFallback = Effect.sleep(Duration.millis(HERE_FALLBACK_MS + 700))

/**
 * One instance with a recording worker: `schedule` times a job (returning the time it must not run
 * before, or a time it must run before when `isBefore`); the job must then run here exactly once, with
 * the shared job removed and not run after its fallback time.
 */
const runsOnceHere = (schedule: (queue: JobQueue["Type"], jobId: string) => Effect.Effect<{ readonly at: number; readonly isBefore?: boolean }, unknown>) =>
  Effect.gen(function* () {
    const queue = yield* instance(freshPrefix())
    const calls: Array<Call> = []
    yield* recording(queue, calls)
    const jobId = crypto.randomUUID()
    const { at, isBefore } = yield* schedule(queue, jobId)
    yield* eventually(() => calls.length > 0)
    yield* queueEmpties(queue)
    yield* pastTheFallback
    expect(calls.map((c) => ({ jobId: c.jobId, isHere: c.isHere }))).toEqual([{ jobId, isHere: true }])
    if (isBefore === true) expect(calls[0]!.at).toBeLessThan(at)
    else expect(calls[0]!.at).toBeGreaterThanOrEqual(at)
  }).pipe(Effect.scoped)

describe.skipIf(skipServices)("JobQueue.scheduleHere on Redis (BullMQ)", () => {
  it.live("the instance that timed a job runs it itself when it is due, once; the shared job is then removed", () =>
    runsOnceHere((queue, jobId) => {
      const at = Date.now() + 300
      return Effect.as(queue.scheduleHere(jobId, new Date(at), "new"), { at })
    }), { timeout: 30_000 })

  it.live("timed again for later (another message), it runs once, not before the later time", () =>
    runsOnceHere((queue, jobId) => {
      const later = Date.now() + 700
      return queue.scheduleHere(jobId, new Date(Date.now() + 200), "new").pipe(
        Effect.zipRight(queue.scheduleHere(jobId, new Date(later), "later")),
        Effect.as({ at: later })
      )
    }), { timeout: 30_000 })

  it.live("timed again for sooner (a burst that filled up, the next burst of a thread), it runs once, then", () =>
    runsOnceHere((queue, jobId) => {
      const later = Date.now() + 60_000
      return queue.scheduleHere(jobId, new Date(later), "new").pipe(
        Effect.zipRight(queue.scheduleHere(jobId, new Date(), "any")),
        Effect.as({ at: later, isBefore: true })
      )
    }), { timeout: 30_000 })

  it.live("timed again while it runs here: one run at a time here, and it runs again after", () =>
    Effect.gen(function* () {
      const queue = yield* instance(freshPrefix())
      const calls: Array<Call> = []
      const release = yield* Deferred.make<void>()
      let active = 0
      let mostAtOnce = 0
      yield* recording(queue, calls, () =>
        Effect.sync(() => {
          active++
          mostAtOnce = Math.max(mostAtOnce, active)
        }).pipe(
          Effect.zipRight(Deferred.await(release)),
          Effect.ensuring(Effect.sync(() => void active--)),
          Effect.as<JobOutcome>({ _tag: "Done" })
        ))
      const jobId = crypto.randomUUID()
      yield* queue.scheduleHere(jobId, new Date(), "new")
      yield* eventually(() => calls.length === 1)
      yield* queue.scheduleHere(jobId, new Date(), "any")
      yield* queue.scheduleHere(jobId, new Date(), "any")
      yield* Effect.sleep(Duration.millis(300))
      expect(calls.length).toBe(1)
      yield* Deferred.succeed(release, undefined)
      yield* eventually(() => calls.length === 2)
      yield* queueEmpties(queue)
      yield* pastTheFallback
      expect(calls.map((c) => c.isHere)).toEqual([true, true])
      expect(mostAtOnce).toBe(1)
    }).pipe(Effect.scoped), { timeout: 30_000 })

  it.live("an instance that runs no jobs (AST_ROLE=api) leaves it to the shared queue: a worker elsewhere runs it", () =>
    Effect.gen(function* () {
      const prefix = freshPrefix()
      const api = yield* instance(prefix)
      const worker = yield* instance(prefix)
      const calls: Array<Call> = []
      yield* recording(worker, calls)
      const jobId = crypto.randomUUID()
      yield* api.scheduleHere(jobId, new Date(Date.now() + 200), "new")
      yield* eventually(() => calls.length > 0)
      yield* queueEmpties(worker)
      expect(calls.map((c) => ({ jobId: c.jobId, isHere: c.isHere }))).toEqual([{ jobId, isHere: false }])
    }).pipe(Effect.scoped), { timeout: 30_000 })

  it.live("the instance that timed it stops before it is due: another instance runs it from the shared queue", () =>
    Effect.gen(function* () {
      const prefix = freshPrefix()
      const goneScope = yield* Scope.make()
      const gone = yield* instance(prefix).pipe(Scope.extend(goneScope))
      const goneCalls: Array<Call> = []
      yield* recording(gone, goneCalls).pipe(Scope.extend(goneScope))
      const other = yield* instance(prefix)
      const calls: Array<Call> = []
      yield* recording(other, calls)
      const jobId = crypto.randomUUID()
      yield* gone.scheduleHere(jobId, new Date(Date.now() + 300), "new")
      yield* Scope.close(goneScope, Exit.void)
      yield* eventually(() => calls.length > 0)
      yield* queueEmpties(other)
      expect(goneCalls).toEqual([])
      expect(calls.map((c) => ({ jobId: c.jobId, isHere: c.isHere }))).toEqual([{ jobId, isHere: false }])
    }).pipe(Effect.scoped), { timeout: 30_000 })

  it.live("handed out by the queue before it is due (its time moved), it is then run here when it is", () =>
    Effect.gen(function* () {
      const queue = yield* instance(freshPrefix())
      const calls: Array<Call> = []
      const dueAt = Date.now() + 500
      yield* recording(queue, calls, (call) =>
        Effect.succeed<JobOutcome>(call.at < dueAt ? { _tag: "RetryAt", at: new Date(dueAt), isNotDueYet: true } : { _tag: "Done" }))
      const jobId = crypto.randomUUID()
      yield* queue.schedule(jobId, new Date())
      yield* eventually(() => calls.length > 1)
      yield* queueEmpties(queue)
      yield* pastTheFallback
      expect(calls.map((c) => c.isHere)).toEqual([false, true])
      expect(calls[1]!.at).toBeGreaterThanOrEqual(dueAt)
    }).pipe(Effect.scoped), { timeout: 30_000 })

  it.live("a job running here when the instance stops is waited for (within the shutdown timeout), not cut off", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const queue = yield* instance(freshPrefix(), "10 seconds").pipe(Scope.extend(scope))
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const finished = yield* Deferred.make<void>()
      const calls: Array<Call> = []
      yield* recording(queue, calls, () =>
        Deferred.succeed(started, undefined).pipe(
          Effect.zipRight(Deferred.await(release)),
          Effect.zipRight(Deferred.succeed(finished, undefined)),
          Effect.as<JobOutcome>({ _tag: "Done" })
        )).pipe(Scope.extend(scope))
      yield* queue.scheduleHere(crypto.randomUUID(), new Date(), "new")
      yield* Deferred.await(started)
      const stopping = yield* Effect.fork(Scope.close(scope, Exit.void))
      yield* Effect.sleep(Duration.millis(300))
      expect(Option.isNone(yield* Fiber.poll(stopping))).toBe(true)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(stopping)
      expect(yield* Deferred.isDone(finished)).toBe(true)
      expect(calls.map((c) => c.isHere)).toEqual([true])
    }), { timeout: 30_000 })
})
