import { Clock, Effect, Metric, MetricBoundaries } from "effect"

/**
 * Every metric the service records, in one place (served as Prometheus text on `GET /metrics`, CONTRACT
 * §8). They are Effect `Metric`s: descriptions here, updated where the thing happens (an update is an
 * effect), read from Effect's registry at scrape time. Durations are in seconds; labels carry low
 * cardinality values only (route templates, node types, statuses, providers), never an id.
 */

const seconds = (bounds: ReadonlyArray<number>) => MetricBoundaries.fromIterable(bounds)
const counter = (name: string, description: string) => Metric.counter(name, { description, incremental: true })

/** HTTP requests answered, by `method`, `route` (the template, `/api/v1/workflows/:id`) and `status`. */
export const httpRequests = counter("ast_http_requests_total", "HTTP requests answered, by method, route template and status")
export const httpRequestDuration = Metric.histogram(
  "ast_http_request_duration_seconds",
  seconds([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  "Time to answer an HTTP request (to the response head; a stream's body is not counted), by method, route template and status"
)

/** `/trigger` answers, by `outcome`: `accepted` (joined or opened a burst) or `duplicate` (message id seen within 24 h). */
export const triggers = counter("ast_triggers_total", "Trigger requests accepted into a burst or answered as duplicates, by outcome")

/** Bursts closed and handed to their execution, and how long after their window ended. */
export const burstsFlushed = counter("ast_bursts_flushed_total", "Accumulated bursts flushed into an execution")
export const burstFlushLateness = Metric.histogram(
  "ast_burst_flush_lateness_seconds",
  seconds([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]),
  "How long after its window ended a burst was flushed"
)

/** Executions that ended, by final `status` (`completed`, `error`, `skipped`). */
export const executions = counter("ast_executions_total", "Executions ended, by final status")
export const executionDuration = Metric.histogram(
  "ast_execution_duration_seconds",
  seconds([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
  "Execution run time, from running to its final status, by status"
)

/** Node attempts, by `node_type` and `status` (`completed`, `error`, `skipped`). */
export const nodeRuns = counter("ast_node_runs_total", "Node runs (one per attempt), by node type and status")
export const nodeDuration = Metric.histogram(
  "ast_node_duration_seconds",
  seconds([0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  "Node attempt run time, by node type"
)

/** Tokens the model providers reported, by `provider` and `kind` (`input`, `output`). */
export const agentTokens = counter("ast_agent_tokens_total", "Model tokens reported by the provider, by provider and kind (input, output)")
/** From a model call's request to its first streamed token, by `provider`. */
export const modelTimeToFirstToken = Metric.histogram(
  "ast_model_time_to_first_token_seconds",
  seconds([0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60]),
  "From a model request to its first streamed token, by provider"
)
/** One agent turn (model ↔ tools until the answer), by `provider`. */
export const agentTurnDuration = Metric.histogram(
  "ast_agent_turn_duration_seconds",
  seconds([0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300]),
  "Agent turn time (model calls and tool calls until the answer), by provider"
)

/** Jobs in the queue at scrape time, by `state`: `waiting` (due, not started), `delayed` (timed for later), `active` (running). */
export const queueDepth = Metric.gauge("ast_queue_depth", { description: "Queue jobs at scrape time, by state (waiting, delayed, active)" })

/** LivChat attempts that failed and were tried again, by `operation` (`send`, `instance_status`). */
export const livchatRetries = counter("ast_livchat_retries_total", "LivChat calls retried after a network error, timeout, 429 or 5xx, by operation")

/** Adds one to `metric` under `labels`. */
export const countOne = (metric: Metric.Metric.Counter<number>, labels: Readonly<Record<string, string>>) =>
  Metric.increment(withLabels(metric, labels))

/** Seconds since `startedNanos` (read from `Clock.currentTimeNanos`), for the duration histograms. */
export const secondsSince = (startedNanos: bigint) => Effect.map(Clock.currentTimeNanos, (now) => Number(now - startedNanos) / 1e9)

/** Adds `amount` to `metric` under `labels`. */
export const countBy = (metric: Metric.Metric.Counter<number>, labels: Readonly<Record<string, string>>, amount: number) =>
  Metric.incrementBy(withLabels(metric, labels), amount)

/** Records `value` in `metric` under `labels`. */
export const observe = (metric: Metric.Metric.Histogram<number>, labels: Readonly<Record<string, string>>, value: number) =>
  Metric.update(withLabels(metric, labels), value)

/** Labelled metrics, made once per metric and label set: tagging on every update costs more than the update. */
const labelled = new WeakMap<object, Map<string, unknown>>()

const withLabels = <T, In, Out>(metric: Metric.Metric<T, In, Out>, labels: Readonly<Record<string, string>>): Metric.Metric<T, In, Out> => {
  let known = labelled.get(metric)
  if (known === undefined) labelled.set(metric, known = new Map())
  const key = JSON.stringify(labels)
  const found = known.get(key) as Metric.Metric<T, In, Out> | undefined
  if (found !== undefined) return found
  const made = Object.entries(labels).reduce((m, [name, value]) => Metric.tagged(m, name, value), metric)
  known.set(key, made)
  return made
}
