import { Cause, Duration, Effect, Exit, Schedule } from "effect"
import { NodeFailed } from "../domain/errors.ts"
import type { ExecutionError } from "../domain/Execution.ts"
import type { Graph } from "../domain/Graph.ts"
import type { Node } from "../domain/Node.ts"
import { EventBus } from "../ports/EventBus.ts"
import { journaled, recordSkipped } from "./journal.ts"
import type { NodeContext, RunSpec } from "./NodeContext.ts"
import { type GraphPorts, runHandler } from "./nodes/index.ts"
import { planOf } from "./plan.ts"
import type { Scope } from "./Scope.ts"

export interface RunResult {
  readonly status: "completed" | "error"
  /** Outputs of the nodes that ran last (no outgoing edge fired), by node id. */
  readonly output: Record<string, unknown>
  readonly error?: ExecutionError
}

export interface RunOptions {
  /** How many branches run at once (default unbounded); 1 runs them one by one. */
  readonly concurrency?: number | "unbounded"
}

/** A value travelling along a fired edge, with the `vars` set upstream of it. */
interface Arrival {
  readonly value: unknown
  readonly vars: Record<string, unknown>
}

class ExecutionFailed {
  readonly _tag = "ExecutionFailed"
  readonly error: ExecutionError
  constructor(error: ExecutionError) {
    this.error = error
  }
}

/**
 * Runs a validated graph (§4.1): the trigger first, each node once every incoming edge that can still
 * fire has fired (parallel fan-out, merge joins), nodes cut off by a condition `skipped`, `error` edges
 * followed on failure. One step per node attempt; node events on the EventBus. Never fails: the result
 * says `completed` or `error`. Interrupting it stops every branch and closes their steps.
 */
export const runGraph = (graph: Graph, spec: RunSpec, options: RunOptions = {}): Effect.Effect<RunResult, never, GraphPorts> =>
  Effect.gen(function* () {
    const plan = planOf(graph)
    const bus = yield* EventBus
    const concurrency = options.concurrency ?? "unbounded"
    const remaining = new Map<string, number>()
    for (const [id, edges] of plan.incoming) remaining.set(id, edges.length)
    const arrivals = new Map<number, Arrival>()
    const nodes: Record<string, { output: unknown }> = {}
    const store = { thread: { ...spec.store.thread }, workflow: { ...spec.store.workflow } }
    const output: Record<string, unknown> = {}

    /** Settles one edge (fired with a value, or dead) and answers its target when it became ready. */
    const settle = (edgeIndex: number, arrival: Arrival | undefined, ready: Array<string>) => {
      const to = plan.edges[edgeIndex]!.to
      if (arrival !== undefined) arrivals.set(edgeIndex, arrival)
      const left = remaining.get(to)! - 1
      remaining.set(to, left)
      if (left === 0) ready.push(to)
    }

    const inputOf = (node: Node, fired: ReadonlyArray<number>): unknown => {
      if (node.type === "trigger") return spec.input
      const incoming = plan.incoming.get(node.id)!
      if (incoming.length === 1) return arrivals.get(fired[0]!)!.value
      return Object.fromEntries(fired.map((i) => [plan.edges[i]!.from, arrivals.get(i)!.value]))
    }

    const varsOf = (fired: ReadonlyArray<number>): Record<string, unknown> => {
      if (fired.length === 1) return arrivals.get(fired[0]!)!.vars
      return Object.assign({}, ...fired.map((i) => arrivals.get(i)!.vars))
    }

    const attemptsOf = (node: Node, input: unknown, scope: Scope) => {
      let attempt = 0
      const once = Effect.suspend(() => {
        attempt += 1
        const ctx: NodeContext = { spec, input, scope, stepId: `${node.id}:${attempt}` }
        const run = runHandler(node, ctx, attempt)
        const timed = node.timeoutMs === undefined ? run : run.pipe(
          Effect.timeoutFail({
            duration: Duration.millis(node.timeoutMs),
            onTimeout: () => new NodeFailed({ code: "timeout", message: `node '${node.id}' took longer than ${node.timeoutMs} ms` })
          })
        )
        const step = { id: ctx.stepId, nodeId: node.id, stepName: node.type, attempt, input }
        return bus.publish(spec.executionId, { type: "node", nodeId: node.id, nodeType: node.type, status: "started" }).pipe(
          Effect.zipRight(journaled(spec, step, timed)),
          Effect.tapError(() => bus.publish(spec.executionId, { type: "node", nodeId: node.id, nodeType: node.type, status: "error" }))
        )
      })
      if (node.retry === undefined || node.retry.maxAttempts <= 1) return once
      const schedule = Schedule.exponential(Duration.millis(node.retry.backoffMs)).pipe(
        Schedule.intersect(Schedule.recurs(node.retry.maxAttempts - 1))
      )
      return Effect.retry(once, schedule)
    }

    const visit = (id: string): Effect.Effect<void, ExecutionFailed, GraphPorts> =>
      Effect.suspend(() => {
        const node = plan.nodes.get(id)!
        const fired = plan.incoming.get(id)!.filter((i) => arrivals.has(i))
        const outgoing = plan.outgoing.get(id)!
        const ready: Array<string> = []
        if (node.type !== "trigger" && fired.length === 0) {
          for (const e of outgoing) settle(e, undefined, ready)
          return recordSkipped(spec, { id: `${id}:0`, nodeId: id, stepName: node.type, attempt: 0, input: null }).pipe(
            Effect.mapError((e) => new ExecutionFailed({ code: e.code, message: e.message, nodeId: id })),
            Effect.zipRight(visitAll(ready))
          )
        }
        const input = inputOf(node, fired)
        const vars = node.type === "trigger" ? {} : varsOf(fired)
        const scope: Scope = { input: spec.input, context: spec.context, thread: spec.thread, nodes, vars, store }
        return Effect.either(attemptsOf(node, input, scope)).pipe(
          Effect.flatMap((result) => {
            if (result._tag === "Right") {
              const value = result.right
              nodes[id] = { output: value }
              if (node.type === "store") Object.assign(store[node.config.scope], value)
              const passed = node.type === "transform" ? { ...vars, ...(value as Record<string, unknown>) } : vars
              let anyFired = false
              for (const e of outgoing) {
                const when = plan.edges[e]!.when
                const fires = when === undefined || (when !== "error" && (value as { result: boolean }).result === (when === "true"))
                anyFired ||= fires
                settle(e, fires ? { value, vars: passed } : undefined, ready)
              }
              if (!anyFired) output[id] = value
              return Effect.zipRight(bus.publish(spec.executionId, { type: "node", nodeId: id, nodeType: node.type, status: "completed" }), visitAll(ready))
            }
            const failure = { code: result.left.code, message: result.left.message, nodeId: id }
            const errorEdges = outgoing.filter((e) => plan.edges[e]!.when === "error")
            if (errorEdges.length === 0) return Effect.fail(new ExecutionFailed(failure))
            for (const e of outgoing) settle(e, errorEdges.includes(e) ? { value: { error: failure }, vars } : undefined, ready)
            return visitAll(ready)
          })
        )
      })

    const visitAll = (ids: ReadonlyArray<string>): Effect.Effect<void, ExecutionFailed, GraphPorts> =>
      ids.length === 0 ? Effect.void : ids.length === 1 ? visit(ids[0]!) : Effect.forEach(ids, visit, { concurrency, discard: true })

    const exit = yield* Effect.exit(visit(plan.trigger.id))
    if (Exit.isSuccess(exit)) return { status: "completed", output } satisfies RunResult
    const failure = Cause.failureOption(exit.cause)
    if (failure._tag === "Some") return { status: "error", output, error: failure.value.error } satisfies RunResult
    if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
    return { status: "error", output, error: { code: "internal", message: Cause.pretty(exit.cause).split("\n")[0] ?? "defect" } } satisfies RunResult
  })
