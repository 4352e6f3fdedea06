import { Clock, Context, Effect, Exit } from "effect"
import { countBy, countOne, nodeDuration, nodeRuns, observe, secondsSince } from "../domain/metrics.ts"
import type { Node } from "../domain/Node.ts"

/**
 * Whether pure nodes (trigger, condition, transform run inline) get a span of their own. A span costs more
 * than such a node, so they get one only when traces are exported (main sets it with the exporter).
 */
export class TracePureNodes extends Context.Reference<TracePureNodes>()("ast/TracePureNodes", { defaultValue: () => false }) {}

const span = (node: Node, attempt: number) =>
  // No stack trace per node: capturing one costs more than running a transform.
  Effect.withSpan(`Node.${node.type}`, { attributes: { "ast.node.id": node.id, "ast.node.type": node.type, "ast.node.attempt": attempt }, captureStackTrace: false })

/**
 * One attempt of a node that waits (agent, send, http, ...) as a span (`Node.<type>`, a child of the
 * execution's, parent of its model and tool calls) and in `ast_node_runs_total` and `ast_node_duration_seconds`.
 */
export const observedAttempt = (node: Node, attempt: number) => <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Clock.currentTimeNanos, (startedNanos) =>
    Effect.onExit(work, (exit) =>
      Effect.flatMap(secondsSince(startedNanos), (seconds) =>
        Effect.zipRight(
          countOne(nodeRuns, { node_type: node.type, status: Exit.isSuccess(exit) ? "completed" : "error" }),
          observe(nodeDuration, { node_type: node.type }, seconds)
        )))).pipe(span(node, attempt))

/**
 * Node runs of one execution counted in memory and added to `ast_node_runs_total` once at its end, so a
 * pure node costs a map update rather than a metric update (they run in microseconds; no duration kept).
 */
export const makeNodeTally = () => {
  const counts = new Map<string, { readonly nodeType: string; readonly status: string; n: number }>()
  const add = (nodeType: string, status: "completed" | "error" | "skipped") => {
    const key = `${nodeType}\u0000${status}`
    const known = counts.get(key)
    if (known === undefined) counts.set(key, { nodeType, status, n: 1 })
    else known.n += 1
  }
  return {
    /** Counts a skipped node (no incoming edge fired). */
    skipped: (node: Node) => Effect.sync(() => add(node.type, "skipped")),
    /** One attempt of a pure node: counted, and a span when traces are exported. */
    pureAttempt: (node: Node, attempt: number) => <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.flatMap(TracePureNodes, (traced) => {
        const counted = Effect.onExit(work, (exit) => Effect.sync(() => add(node.type, Exit.isSuccess(exit) ? "completed" : "error")))
        return traced ? counted.pipe(span(node, attempt)) : counted
      }),
    /** Adds the counts to the metrics (once, at the end of the run). */
    flush: Effect.suspend(() =>
      Effect.forEach(counts.values(), (c) => countBy(nodeRuns, { node_type: c.nodeType, status: c.status }, c.n), { discard: true }))
  }
}
