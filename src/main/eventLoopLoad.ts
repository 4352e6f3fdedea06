import { Effect } from "effect"
import { type EventLoopUtilization, performance } from "node:perf_hooks"

/** The share of the time between two readings the loop was busy. */
const busyBetween = (before: EventLoopUtilization, after: EventLoopUtilization) => {
  const active = after.active - before.active
  const total = active + after.idle - before.idle
  return total > 0 ? active / total : 0
}

/** Busier than this share of the time, the event loop answers its callbacks late: the instance is overloaded. */
export const OVERLOADED_UTILIZATION = 0.85
/**
 * A timer of this process firing this much later than asked: overloaded too. The loop may look idle while
 * the process waits for a CPU (the machine is busy with other processes: other instances, the database),
 * and its timers — the bursts it flushes — are late all the same.
 */
export const OVERLOADED_TIMER_LATENESS_MS = 20
/** How often the event loop is sampled (each sample covers the time since the previous). */
const SAMPLE_EVERY_MS = 50

export interface EventLoopReadings {
  /** Node's event loop utilization (`performance.eventLoopUtilization`), or a test's readings. */
  readonly utilization: () => EventLoopUtilization
  /** A monotonic clock in milliseconds (`performance.now`), or a test's. */
  readonly now: () => number
}

const nodeReadings: EventLoopReadings = { utilization: () => performance.eventLoopUtilization(), now: () => performance.now() }

/**
 * Whether this process is overloaded: over the last sample (50 ms) its event loop was busy more than
 * 85 % of the time, or the sampling timer itself fired more than 20 ms late. Sampled by a timer that does
 * not keep the process alive and stops with the scope.
 */
export const eventLoopLoad = (readings: EventLoopReadings = nodeReadings) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        const state = { last: readings.utilization(), lastAt: readings.now(), busy: 0, lateMs: 0 }
        const timer = setInterval(() => {
          const now = readings.utilization()
          const at = readings.now()
          state.busy = busyBetween(state.last, now)
          state.lateMs = at - state.lastAt - SAMPLE_EVERY_MS
          state.last = now
          state.lastAt = at
        }, SAMPLE_EVERY_MS)
        timer.unref()
        return { state, timer }
      }),
      ({ timer }) => Effect.sync(() => clearInterval(timer))
    ),
    ({ state }) => () => state.busy > OVERLOADED_UTILIZATION || state.lateMs > OVERLOADED_TIMER_LATENESS_MS
  )
