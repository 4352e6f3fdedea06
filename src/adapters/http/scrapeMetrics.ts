import { Effect, Either, Metric } from "effect"
import { queueDepth } from "../../domain/metrics.ts"
import { JobQueue } from "../../ports/JobQueue.ts"
import { prometheusText } from "./prometheusText.ts"

const states = ["waiting", "delayed", "active"] as const

/**
 * `GET /metrics`: reads the queue's depth (NaN while the queue cannot be asked, rather than a stale
 * number), then the service's own metrics (`ast_*`) as Prometheus text. Effect's fiber metrics are left
 * out: they count only some fibers, and `effect_fiber_active` is a counter that goes down.
 */
export const scrapeMetrics = Effect.gen(function* () {
  const depth = yield* Effect.either((yield* JobQueue).depth)
  for (const state of states) {
    yield* Metric.set(Metric.tagged(queueDepth, "state", state), Either.isRight(depth) ? depth.right[state] : NaN)
  }
  if (Either.isLeft(depth)) yield* Effect.logDebug(`metrics: queue depth unknown (${depth.left.message})`)
  return prometheusText((yield* Metric.snapshot).filter((pair) => pair.metricKey.name.startsWith("ast_")))
}).pipe(Effect.withSpan("Metrics.scrape"))
