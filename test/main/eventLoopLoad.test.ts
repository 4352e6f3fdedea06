import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import type { EventLoopUtilization } from "node:perf_hooks"
import { eventLoopLoad } from "../../src/main/eventLoopLoad.ts"

/** Readings of a loop that was busy `share` of each 50 ms sample, as Node's `eventLoopUtilization` gives them. */
const loopBusy = (shares: ReadonlyArray<number>) => {
  let at = 0
  let active = 0
  let idle = 0
  return () => {
    const share = shares[Math.min(at, shares.length - 1)]!
    at++
    active += 50 * share
    idle += 50 * (1 - share)
    return { active, idle, utilization: share } satisfies EventLoopUtilization
  }
}

/** A clock that reads `lateMs[i]` ms more than the 50 ms sample each time (the sampling timer fired that late). */
const timerLate = (lateMs: ReadonlyArray<number>) => {
  let at = 0
  let now = 0
  return () => {
    now += at === 0 ? 0 : 50 + lateMs[Math.min(at - 1, lateMs.length - 1)]!
    at++
    return now
  }
}

const onTime = timerLate([0])

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("event loop load", () => {
  it.scopedLive("is overloaded while the loop was busy more than 85 % of the last sample, and not otherwise", () =>
    Effect.gen(function* () {
      // The first reading is the start; each later one closes a sample.
      const isOverloaded = yield* eventLoopLoad({ utilization: loopBusy([0, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]), now: onTime })
      expect(isOverloaded()).toBe(false)
      yield* Effect.iterate(0, { while: () => !isOverloaded(), body: (n) => Effect.as(sleep(20), n + 1) }).pipe(Effect.timeout("5 seconds"))
      expect(isOverloaded()).toBe(true)
      const relaxed = yield* eventLoopLoad({ utilization: loopBusy([0, 0.5]), now: timerLate([20]) })
      yield* sleep(200)
      expect(relaxed()).toBe(false)
    }))

  it.scopedLive("is overloaded while its timer fires more than 20 ms late, even with the loop mostly idle (the process waits for a CPU)", () =>
    Effect.gen(function* () {
      const late = yield* eventLoopLoad({ utilization: loopBusy([0, 0.2]), now: timerLate([30]) })
      yield* Effect.iterate(0, { while: () => !late(), body: (n) => Effect.as(sleep(20), n + 1) }).pipe(Effect.timeout("5 seconds"))
      expect(late()).toBe(true)
    }))

  it.scopedLive("reads Node's own utilization by default", () =>
    Effect.gen(function* () {
      const isOverloaded = yield* eventLoopLoad()
      // A loop kept busy for 300 ms is seen as overloaded once a sample ends inside it.
      const until = performance.now() + 300
      let seen = false
      while (performance.now() < until) {
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        const busyUntil = performance.now() + 20
        while (performance.now() < busyUntil) { /* keep the loop busy */ }
        seen ||= isOverloaded()
      }
      expect(seen).toBe(true)
    }))
})
