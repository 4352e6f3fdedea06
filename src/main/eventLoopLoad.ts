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
/** How often the event loop's utilization is sampled (each sample covers the time since the previous). */
const SAMPLE_EVERY_MS = 50

/**
 * Whether this process's event loop was busy more than 85 % of the last sample (50 ms), from Node's own
 * event loop utilization (`readUtilization`: `performance.eventLoopUtilization`, or a test's readings). Sampled by a timer that does not keep the process alive and stops with the scope.
 */
export const eventLoopLoad = (readUtilization: () => EventLoopUtilization = () => performance.eventLoopUtilization()) =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => {
        const state = { last: readUtilization(), busy: 0 }
        const timer = setInterval(() => {
          const now = readUtilization()
          state.busy = busyBetween(state.last, now)
          state.last = now
        }, SAMPLE_EVERY_MS)
        timer.unref()
        return { state, timer }
      }),
      ({ timer }) => Effect.sync(() => clearInterval(timer))
    ),
    ({ state }) => () => state.busy > OVERLOADED_UTILIZATION
  )
