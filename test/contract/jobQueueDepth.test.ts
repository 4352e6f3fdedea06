import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Redacted, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { makeJobQueueMemory } from "../../src/adapters/memory/JobQueue.ts"
import { makeJobQueueRedis } from "../../src/adapters/redis/JobQueue.ts"
import type { JobQueue, QueueDepth } from "../../src/ports/JobQueue.ts"
import { skipServices } from "../support/databases.ts"

/** Redis database 13 is this suite's own; the prefix is unique per run. */
const adapters = [
  { name: "memory", make: makeJobQueueMemory({ concurrency: 1, shutdownTimeout: "1 second" }), needsServices: false },
  {
    name: "Redis (BullMQ)",
    make: makeJobQueueRedis({
      url: Redacted.make("redis://127.0.0.1:6379/13"), concurrency: 1, shutdownTimeout: "1 second", prefix: `ast-test-depth-${randomBytes(4).toString("hex")}`
    }),
    needsServices: true
  }
]

/** Reads the depth until it is `expected`, or fails with the last reading after a few seconds. */
const depthBecomes = (queue: JobQueue["Type"], expected: QueueDepth) =>
  queue.depth.pipe(
    Effect.filterOrFail((d) => d.waiting === expected.waiting && d.delayed === expected.delayed && d.active === expected.active, (d) => d),
    Effect.retry(Schedule.spaced(Duration.millis(50)).pipe(Schedule.upTo("10 seconds"))),
    Effect.catchAll((last) => Effect.sync(() => expect(last).toEqual(expected)))
  )

for (const adapter of adapters) {
  describe.skipIf(adapter.needsServices && skipServices)(`JobQueue.depth on ${adapter.name} (ast_queue_depth)`, () => {
    it.live("jobs timed for later are delayed; a due job is active while it runs, the next one waits for the worker; done, they leave", () =>
      Effect.gen(function* () {
        const queue = yield* adapter.make
        const later = new Date(Date.now() + 3_600_000)
        yield* queue.schedule(crypto.randomUUID(), later)
        yield* queue.schedule(crypto.randomUUID(), later)
        yield* depthBecomes(queue, { waiting: 0, delayed: 2, active: 0 })

        const release = yield* Deferred.make<void>()
        const started = yield* Deferred.make<void>()
        yield* queue.work({
          job: () => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Deferred.await(release)), Effect.as({ _tag: "Done" as const })),
          tick: () => Effect.void
        })
        yield* queue.schedule(crypto.randomUUID(), new Date())
        yield* Deferred.await(started)
        yield* queue.schedule(crypto.randomUUID(), new Date())
        // One worker slot: the first due job runs, the second waits for it.
        yield* depthBecomes(queue, { waiting: 1, delayed: 2, active: 1 })
        yield* Deferred.succeed(release, undefined)
        yield* depthBecomes(queue, { waiting: 0, delayed: 2, active: 0 })
      }).pipe(Effect.scoped), { timeout: 30_000 })
  })
}
