import { describe, expect, layer } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Redacted, Stream } from "effect"
import { randomBytes } from "node:crypto"
import { Redis } from "ioredis"
import { EventBusMemory } from "../../src/adapters/memory/EventBus.ts"
import { makeEventBusRedis } from "../../src/adapters/redis/EventBus.ts"
import type { ExecutionEvent } from "../../src/domain/Execution.ts"
import { type DeliveredEvent, EventBus, subscribe } from "../../src/ports/EventBus.ts"
import { skipServices } from "../support/databases.ts"

const node = (nodeId: string, status: "started" | "completed"): ExecutionEvent => ({ type: "node", nodeId, nodeType: "transform", status })
const end = (executionId: string): ExecutionEvent => ({ type: "execution", executionId, status: "completed" })

const adapters = [
  { name: "memory", layer: EventBusMemory, needsServices: false },
  { name: "Redis", layer: Layer.scoped(EventBus, makeEventBusRedis(Redacted.make("redis://127.0.0.1:6379/7"), `ast-test-${randomBytes(4).toString("hex")}`)), needsServices: true }
]

for (const adapter of adapters) {
  describe.skipIf(adapter.needsServices && skipServices)(`EventBus on ${adapter.name}`, () => {
    layer(adapter.layer, { timeout: "30 seconds" })((it) => {
      it.effect("replays what happened, follows live events, numbers them 1, 2, 3… and ends with the execution", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const id = crypto.randomUUID()
          yield* bus.publish(id, { type: "execution", executionId: id, status: "running" })
          yield* bus.publish(id, node("a", "started"))
          const following = yield* Effect.fork(Stream.runCollect(subscribe(bus, id)))
          yield* Effect.yieldNow()
          yield* bus.publish(id, node("a", "completed"))
          yield* bus.publish(id, end(id))
          yield* bus.publish(id, node("late", "started"))
          const all = Chunk.toReadonlyArray(yield* Fiber.join(following))
          expect(all.map((d) => d.seq)).toEqual([1, 2, 3, 4])
          expect(all.map((d) => d.event)).toEqual([{ type: "execution", executionId: id, status: "running" }, node("a", "started"), node("a", "completed"), end(id)])
        }))

      it.effect("a subscriber that resumes after seq N gets exactly what followed", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const id = crypto.randomUUID()
          for (const n of ["a", "b", "c"]) yield* bus.publish(id, node(n, "started"))
          yield* bus.publish(id, end(id))
          const resumed = Chunk.toReadonlyArray(yield* Stream.runCollect(subscribe(bus, id, 2)))
          expect(resumed.map((d) => d.seq)).toEqual([3, 4])
          expect(resumed[0]?.event).toEqual(node("c", "started"))
        }))

      it.effect("many executions publishing at once: each one's events all arrive, numbered in the order they were published", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const ids = Array.from({ length: 40 }, () => crypto.randomUUID())
          const published = (id: string) => [...Array.from({ length: 25 }, (_, n) => node(`n${n}`, n % 2 === 0 ? "started" : "completed")), end(id)]
          yield* Effect.forEach(ids, (id) => Effect.forEach(published(id), (event) => bus.publish(id, event), { discard: true }), { concurrency: "unbounded", discard: true })
          for (const id of ids) {
            const delivered = Chunk.toReadonlyArray(yield* Stream.runCollect(subscribe(bus, id)))
            expect(delivered.map((d) => d.seq)).toEqual(published(id).map((_, n) => n + 1))
            expect(delivered.map((d) => d.event)).toEqual(published(id))
          }
        }))

      it.effect("executions are separate streams", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const one = crypto.randomUUID()
          const two = crypto.randomUUID()
          yield* bus.publish(one, node("x", "started"))
          yield* bus.publish(two, node("y", "started"))
          yield* bus.publish(one, end(one))
          yield* bus.publish(two, end(two))
          const first = Chunk.toReadonlyArray(yield* Stream.runCollect(subscribe(bus, one)))
          expect(first.map((d) => d.event)).toEqual([node("x", "started"), end(one)])
        }))

      it.effect("a follower gets live events as they are published, nothing after it stops, and end only once the execution ends", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const id = crypto.randomUUID()
          const heard: Array<string> = []
          const ended: Array<true> = []
          const listener = (mark: string) => ({ event: (d: DeliveredEvent) => void heard.push(`${mark}${d.seq}`), end: () => void ended.push(true) })
          yield* bus.publish(id, node("a", "started"))
          const stopA = yield* bus.follow(id, undefined, listener("a"))
          yield* bus.follow(id, 1, listener("b"))
          yield* bus.publish(id, node("a", "completed"))
          // Real time (the test clock does not move by itself): Redis delivers from its reader's loop.
          const pause = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
          const until = (seen: () => boolean): Effect.Effect<void> =>
            Effect.suspend(() => (seen() ? Effect.void : Effect.zipRight(pause(20), until(seen))))
          yield* until(() => heard.includes("a2") && heard.includes("b2"))
          stopA()
          stopA()
          yield* bus.publish(id, node("b", "started"))
          yield* until(() => heard.includes("b3"))
          expect(ended).toEqual([])
          yield* bus.publish(id, end(id))
          yield* until(() => ended.length > 0)
          yield* bus.publish(id, node("late", "started"))
          yield* pause(100)
          // Each follower in order (two followers' calls may interleave either way).
          expect(heard.filter((h) => h.startsWith("a"))).toEqual(["a1", "a2"])
          expect(heard.filter((h) => h.startsWith("b"))).toEqual(["b2", "b3", "b4"])
          expect(ended).toEqual([true])
        }))

      it.effect("a listener that throws never fails the execution publishing", () =>
        Effect.gen(function* () {
          const bus = yield* EventBus
          const id = crypto.randomUUID()
          yield* bus.follow(id, undefined, { event: () => { throw new Error("listener bug") }, end: () => undefined })
          const published = yield* Effect.exit(Effect.forEach([node("a", "started"), node("a", "completed"), end(id)], (event) => bus.publish(id, event), { discard: true }))
          expect(published._tag).toBe("Success")
          const all = Chunk.toReadonlyArray(yield* Stream.runCollect(subscribe(bus, id)))
          expect(all.map((d) => d.seq)).toEqual([1, 2, 3])
        }))
    })
  })
}

describe.skipIf(skipServices)("EventBus on Redis: one reader connection per instance", () => {
  const prefix = `ast-test-${randomBytes(4).toString("hex")}`
  const readerName = `${prefix}:events-reader`
  const admin = Effect.acquireRelease(
    Effect.sync(() => new Redis("redis://127.0.0.1:6379/7", { maxRetriesPerRequest: 1 })),
    (r) => Effect.promise(() => r.quit())
  )
  /** The ids of the connections the bus's reader opened, from CLIENT LIST. */
  const readerConnections = (redis: Redis) =>
    Effect.promise(() => redis.client("LIST") as Promise<string>).pipe(
      Effect.map((list) => list.split("\n").filter((line) => line.includes(` name=${readerName} `)).map((line) => /\bid=(\d+)/.exec(line)![1]!))
    )
  const pause = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))
  const until = (seen: () => boolean, what: string, deadline = Date.now() + 10_000): Effect.Effect<void> =>
    Effect.suspend(() =>
      seen() ? Effect.void : Date.now() > deadline ? Effect.die(new Error(`timed out waiting for ${what}`)) : Effect.zipRight(pause(20), until(seen, what, deadline)))

  layer(Layer.scoped(EventBus, makeEventBusRedis(Redacted.make("redis://127.0.0.1:6379/7"), prefix)), { timeout: "30 seconds" })((it) => {
    it.scoped("40 followers of 40 executions share one connection, each gets its own events live and its end", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const redis = yield* admin
        const ids = Array.from({ length: 40 }, () => crypto.randomUUID())
        const heard = new Map(ids.map((id) => [id, [] as Array<number>]))
        const ended = new Set<string>()
        for (const id of ids) yield* bus.follow(id, undefined, { event: (d) => void heard.get(id)!.push(d.seq), end: () => void ended.add(id) })
        for (const id of ids) yield* bus.publish(id, node("a", "started"))
        yield* until(() => ids.every((id) => heard.get(id)!.length === 1), "the first event of every execution")
        expect(yield* readerConnections(redis)).toHaveLength(1)
        for (const id of ids) {
          yield* bus.publish(id, node("a", "completed"))
          yield* bus.publish(id, end(id))
        }
        yield* until(() => ended.size === ids.length, "every execution's end")
        for (const id of ids) expect(heard.get(id)).toEqual([1, 2, 3])
        expect(yield* readerConnections(redis)).toHaveLength(1)
      }))

    it.scoped("a follower that joins while the reader waits gets its events at once, not after the wait", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const waiting = crypto.randomUUID()
        yield* bus.follow(waiting, undefined, { event: () => undefined, end: () => undefined })
        yield* pause(200)
        // The reader is now blocked (up to 5 s) on `waiting` alone.
        const late = crypto.randomUUID()
        const heard: Array<number> = []
        yield* bus.publish(late, node("a", "started"))
        const joinedAt = Date.now()
        yield* bus.follow(late, undefined, { event: (d) => void heard.push(d.seq), end: () => undefined })
        yield* until(() => heard.length === 1, "the late follower's event")
        expect(Date.now() - joinedAt).toBeLessThan(2_000)
        yield* bus.publish(waiting, end(waiting))
      }))

    it.scoped("followers go on after Redis drops the reader's connection", () =>
      Effect.gen(function* () {
        const bus = yield* EventBus
        const redis = yield* admin
        const id = crypto.randomUUID()
        const heard: Array<number> = []
        const ended: Array<true> = []
        yield* bus.follow(id, undefined, { event: (d) => void heard.push(d.seq), end: () => void ended.push(true) })
        yield* bus.publish(id, node("a", "started"))
        yield* until(() => heard.length === 1, "the first event")
        for (const connection of yield* readerConnections(redis)) yield* Effect.promise(() => redis.client("KILL", "ID", connection))
        yield* bus.publish(id, node("a", "completed"))
        yield* bus.publish(id, end(id))
        yield* until(() => ended.length === 1, "the end after the reconnection")
        expect(heard).toEqual([1, 2, 3])
      }))
  })
})
