import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, TestClock } from "effect"
import { ExecutionSlots } from "../../src/application/ExecutionSlots.ts"

describe("execution slots", () => {
  it.effect("at most N executions run at once; the waiting ones start in the order they came, one per freed slot", () =>
    Effect.gen(function* () {
      const slots = yield* ExecutionSlots.make(2)
      const gates = yield* Effect.forEach([0, 1, 2, 3, 4], () => Deferred.make<void>())
      const started: Array<number> = []
      const fibers = yield* Effect.forEach(gates, (gate, i) =>
        Effect.fork(slots.run(Effect.sync(() => started.push(i)).pipe(Effect.zipRight(Deferred.await(gate))))))
      yield* TestClock.adjust(0)
      expect(started).toEqual([0, 1])
      expect(slots.waiting()).toBe(3)
      yield* Deferred.succeed(gates[1]!, undefined)
      yield* TestClock.adjust(0)
      expect(started).toEqual([0, 1, 2])
      yield* Deferred.succeed(gates[0]!, undefined)
      yield* Deferred.succeed(gates[2]!, undefined)
      yield* TestClock.adjust(0)
      expect(started).toEqual([0, 1, 2, 3, 4])
      expect(slots.waiting()).toBe(0)
      yield* Deferred.succeed(gates[3]!, undefined)
      yield* Deferred.succeed(gates[4]!, undefined)
      yield* Effect.forEach(fibers, Fiber.join)
    }))

  it.effect("an execution interrupted while it waits gives up its place, and a failed one frees its slot", () =>
    Effect.gen(function* () {
      const slots = yield* ExecutionSlots.make(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(slots.run(Deferred.await(gate)))
      const waiter = yield* Effect.fork(slots.run(Effect.void))
      yield* TestClock.adjust(0)
      expect(slots.waiting()).toBe(1)
      yield* Fiber.interrupt(waiter)
      expect(slots.waiting()).toBe(0)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      expect(yield* Effect.either(slots.run(Effect.fail("boom" as const)))).toMatchObject({ _tag: "Left", left: "boom" })
      expect(yield* slots.run(Effect.succeed("ran"))).toBe("ran")
    }))

  it.effect("admit lets a trigger through at once unless a full round of executions waits; then it waits until one starts, or 2 s", () =>
    Effect.gen(function* () {
      const slots = yield* ExecutionSlots.make(1)
      yield* slots.admit // nothing waits
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(slots.run(Deferred.await(gate)))
      const waiter = yield* Effect.fork(slots.run(Effect.void))
      yield* TestClock.adjust(0)
      const admitted = yield* Effect.fork(slots.admit)
      yield* TestClock.adjust(1000)
      expect(admitted.unsafePoll()).toBeNull()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(waiter)
      yield* TestClock.adjust(20)
      expect(admitted.unsafePoll()).not.toBeNull()
      // Behind for good: the wait ends after 2 s anyway.
      const stuck = yield* Deferred.make<void>()
      yield* Effect.fork(slots.run(Deferred.await(stuck)))
      yield* Effect.fork(slots.run(Effect.void))
      yield* TestClock.adjust(0)
      const patient = yield* Effect.fork(slots.admit)
      yield* TestClock.adjust(1_990)
      expect(patient.unsafePoll()).toBeNull()
      yield* TestClock.adjust(20)
      expect(patient.unsafePoll()).not.toBeNull()
      yield* Deferred.succeed(stuck, undefined)
    }))
})
