import { Cause, Duration, Effect, Exit, FiberSet, Queue, Schedule } from "effect"
import { NodeFailed } from "../domain/errors.ts"
import type { ExecutionError, Step } from "../domain/Execution.ts"
import type { Graph } from "../domain/Graph.ts"
import type { Node } from "../domain/Node.ts"
import { EventBus } from "../ports/EventBus.ts"
import { makeJournal } from "./journal.ts"
import { makeNodeTally, observedAttempt } from "./nodeTelemetry.ts"
import type { NodeContext, RunSpec } from "./NodeContext.ts"
import { type GraphPorts, runHandler } from "./nodes/index.ts"
import { planOf } from "./plan.ts"
import type { Scope } from "./Scope.ts"

export interface RunResult {
  readonly status: "completed" | "error"
  /** Outputs of the nodes that ran last (no outgoing edge fired), by node id. */
  readonly output: Record<string, unknown>
  readonly error?: ExecutionError
  /** Step records not yet stored: the caller stores them with the outcome (one write). */
  readonly steps: ReadonlyArray<Step>
}

export interface RunOptions {
  /** Steps recorded before the graph's (the accumulator's): stored with the graph's first ones. */
  readonly precedingSteps?: ReadonlyArray<Step>
  /** How many nodes may wait at once (default unbounded); 1 runs every node one after the other. */
  readonly concurrency?: number | "unbounded"
}

/** A value travelling along a fired edge, with the `vars` set upstream of it. */
interface Arrival {
  readonly value: unknown
  readonly vars: Record<string, unknown>
}

type Outcome = { readonly _tag: "Right"; readonly right: unknown } | { readonly _tag: "Left"; readonly left: NodeFailed }

/** Nodes that only compute: run in the driver's fiber rather than a fiber of their own. */
const isCompute = (node: Node) =>
  (node.type === "transform" || node.type === "condition" || node.type === "trigger") &&
  node.timeoutMs === undefined && node.retry === undefined

/**
 * Runs a validated graph (§4.1): the trigger first, each node once every incoming edge that can still
 * fire has fired (parallel fan-out, merge joins), nodes cut off by a condition `skipped`, `error` edges
 * followed on failure. One step per node attempt; node events on the EventBus. Never fails: the result
 * says `completed` or `error`. Interrupting it stops every branch and closes their steps.
 *
 * A driver loop takes ready nodes in order: compute nodes run in its fiber, nodes that wait (agent,
 * send, http, delay, ...) each get a fiber, and their completions come back through a queue.
 */
export const runGraph = (graph: Graph, spec: RunSpec, options: RunOptions = {}): Effect.Effect<RunResult, never, GraphPorts> =>
  Effect.scoped(Effect.gen(function* () {
    const plan = planOf(graph)
    const bus = yield* EventBus
    const journal = yield* makeJournal(spec, options.precedingSteps)
    // Stopped mid-run: no final write will carry what is still queued (pure nodes' records wait for a
    // node that waits, or for the end), so it is stored now.
    yield* Effect.addFinalizer((exit) => Exit.isInterrupted(exit) ? Effect.ignore(journal.flush) : Effect.void)
    const tally = makeNodeTally()
    yield* Effect.addFinalizer(() => tally.flush)
    const limit = options.concurrency === undefined || options.concurrency === "unbounded" ? Infinity : options.concurrency
    const remaining = new Map<string, number>()
    for (const [id, edges] of plan.incoming) remaining.set(id, edges.length)
    const arrivals = new Map<number, Arrival>()
    const nodes: Record<string, { output: unknown }> = {}
    const store = { thread: { ...spec.store.thread }, workflow: { ...spec.store.workflow } }
    const output: Record<string, unknown> = {}
    const ready: Array<string> = [plan.trigger.id]
    const done = yield* Queue.unbounded<{ readonly id: string; readonly outcome: Outcome; readonly vars: Record<string, unknown> }>()
    const waiting = yield* FiberSet.make()
    let inFlight = 0
    let failure: ExecutionError | undefined

    /** Settles one edge (fired with a value, or dead); its target is ready once all its edges are settled. */
    const settle = (edgeIndex: number, arrival: Arrival | undefined) => {
      const to = plan.edges[edgeIndex]!.to
      if (arrival !== undefined) arrivals.set(edgeIndex, arrival)
      const left = remaining.get(to)! - 1
      remaining.set(to, left)
      if (left === 0) ready.push(to)
    }

    const firedInto = (id: string): Array<number> => {
      const fired: Array<number> = []
      for (const i of plan.incoming.get(id)!) if (arrivals.has(i)) fired.push(i)
      return fired
    }

    const inputOf = (node: Node, fired: ReadonlyArray<number>): unknown => {
      if (node.type === "trigger") return spec.input
      if (plan.incoming.get(node.id)!.length === 1) return arrivals.get(fired[0]!)!.value
      const merged: Record<string, unknown> = {}
      for (const i of fired) merged[plan.edges[i]!.from] = arrivals.get(i)!.value
      return merged
    }

    const varsOf = (fired: ReadonlyArray<number>): Record<string, unknown> => {
      if (fired.length === 1) return arrivals.get(fired[0]!)!.vars
      return Object.assign({}, ...fired.map((i) => arrivals.get(i)!.vars))
    }

    const attemptsOf = (node: Node, input: unknown, scope: Scope): Effect.Effect<unknown, NodeFailed, GraphPorts> => {
      let attempt = 0
      const started = { type: "node", nodeId: node.id, nodeType: node.type, status: "started" } as const
      const failed = { type: "node", nodeId: node.id, nodeType: node.type, status: "error" } as const
      const once = Effect.suspend(() => {
        attempt += 1
        const ctx: NodeContext = { spec, input, scope, stepId: `${node.id}:${attempt}`, journal }
        const run = runHandler(node, ctx, attempt)
        const timed = node.timeoutMs === undefined ? run : run.pipe(
          Effect.timeoutFail({
            duration: Duration.millis(node.timeoutMs),
            onTimeout: () => new NodeFailed({ code: "timeout", message: `node '${node.id}' took longer than ${node.timeoutMs} ms` })
          })
        )
        const step = { id: ctx.stepId, nodeId: node.id, stepName: node.type, attempt, input }
        return bus.publish(spec.executionId, started).pipe(
          Effect.zipRight(journal.step(step, timed, { isPure: isCompute(node) })),
          Effect.tapError(() => bus.publish(spec.executionId, failed)),
          isCompute(node) ? tally.pureAttempt(node, attempt) : observedAttempt(node, attempt)
        )
      })
      if (node.retry === undefined || node.retry.maxAttempts <= 1) return once
      const schedule = Schedule.exponential(Duration.millis(node.retry.backoffMs)).pipe(
        Schedule.intersect(Schedule.recurs(node.retry.maxAttempts - 1))
      )
      return Effect.retry(once, schedule)
    }

    /** Records what a node's run means for its edges; a failure without an error edge ends the run. */
    const conclude = (id: string, outcome: Outcome, vars: Record<string, unknown>) => {
      const node = plan.nodes.get(id)!
      const outgoing = plan.outgoing.get(id)!
      if (outcome._tag === "Right") {
        const value = outcome.right
        nodes[id] = { output: value }
        if (node.type === "store") Object.assign(store[node.config.scope], value)
        const passed = node.type === "transform" ? { ...vars, ...(value as Record<string, unknown>) } : vars
        let anyFired = false
        for (const e of outgoing) {
          const when = plan.edges[e]!.when
          const fires = when === undefined || (when !== "error" && (value as { result: boolean }).result === (when === "true"))
          anyFired ||= fires
          settle(e, fires ? { value, vars: passed } : undefined)
        }
        if (!anyFired) output[id] = value
        return bus.publish(spec.executionId, { type: "node", nodeId: id, nodeType: node.type, status: "completed" })
      }
      const error = { code: outcome.left.code, message: outcome.left.message, nodeId: id }
      let hasErrorEdge = false
      for (const e of outgoing) {
        const isErrorEdge = plan.edges[e]!.when === "error"
        hasErrorEdge ||= isErrorEdge
        settle(e, isErrorEdge ? { value: { error }, vars } : undefined)
      }
      if (!hasErrorEdge) failure ??= error
      return Effect.void
    }

    /** Starts (or skips) one ready node. */
    const start = (id: string) => {
      const node = plan.nodes.get(id)!
      const fired = firedInto(id)
      if (node.type !== "trigger" && fired.length === 0) {
        for (const e of plan.outgoing.get(id)!) settle(e, undefined)
        return journal.skipped({ id: `${id}:0`, nodeId: id, stepName: node.type, attempt: 0, input: null }).pipe(
          Effect.zipLeft(tally.skipped(node)),
          Effect.catchAll((e) => Effect.sync(() => void (failure ??= { code: e.code, message: e.message, nodeId: id })))
        )
      }
      const vars = node.type === "trigger" ? {} : varsOf(fired)
      const scope: Scope = { input: spec.input, context: spec.context, thread: spec.thread, nodes, vars, store }
      const attempts: Effect.Effect<Outcome, never, GraphPorts> = Effect.matchCause(attemptsOf(node, inputOf(node, fired), scope), {
        onSuccess: (right) => ({ _tag: "Right", right }),
        onFailure: (cause) => {
          const failure = Cause.failureOption(cause)
          return failure._tag === "Some"
            ? { _tag: "Left", left: failure.value }
            : { _tag: "Left", left: new NodeFailed({ code: "internal", message: `node '${id}' crashed: ${Cause.pretty(cause).split("\n")[0]}` }) }
        }
      })
      if (limit === 1 || isCompute(node) || inFlight >= limit) {
        return Effect.flatMap(attempts, (outcome) => conclude(id, outcome, vars))
      }
      inFlight += 1
      return FiberSet.run(waiting, Effect.flatMap(attempts, (outcome) => Queue.offer(done, { id, outcome, vars }))).pipe(Effect.asVoid)
    }

    while (failure === undefined) {
      const next = ready.shift()
      if (next !== undefined) {
        yield* start(next)
        continue
      }
      if (inFlight === 0) break
      const finished = yield* Queue.take(done)
      inFlight -= 1
      yield* conclude(finished.id, finished.outcome, finished.vars)
    }
    if (failure !== undefined) yield* FiberSet.clear(waiting)
    // The journal writes behind the run: what it has not written yet goes with the outcome.
    const steps = yield* journal.settle
    if (failure === undefined) return { status: "completed", output, steps } satisfies RunResult
    return { status: "error", output, error: failure, steps } satisfies RunResult
  })).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.succeed({ status: "error", output: {}, error: { code: "internal", message: Cause.pretty(cause).split("\n")[0] ?? "defect" }, steps: [] } satisfies RunResult)
    )
  )

