import { Clock, Effect, Exit } from "effect"
import { countOne, nodeDuration, nodeRuns, observe, secondsSince } from "../domain/metrics.ts"
import type { Node } from "../domain/Node.ts"

/**
 * One attempt of a node as a span (`Node.<type>`, a child of the execution's, parent of its model and
 * tool calls) and in `ast_node_runs_total` (completed or error) and `ast_node_duration_seconds`.
 */
export const observedAttempt = (node: Node, attempt: number) => <A, E, R>(work: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(Clock.currentTimeNanos, (startedNanos) =>
    Effect.onExit(work, (exit) =>
      Effect.flatMap(secondsSince(startedNanos), (seconds) =>
        Effect.zipRight(
          countOne(nodeRuns, { node_type: node.type, status: Exit.isSuccess(exit) ? "completed" : "error" }),
          observe(nodeDuration, { node_type: node.type }, seconds)
        )))).pipe(
    Effect.withSpan(`Node.${node.type}`, { attributes: { "ast.node.id": node.id, "ast.node.type": node.type, "ast.node.attempt": attempt } })
  )

/** A node none of whose incoming edges fired, in `ast_node_runs_total` as `skipped`. */
export const countSkipped = (node: Node) => countOne(nodeRuns, { node_type: node.type, status: "skipped" })
