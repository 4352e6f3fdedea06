import { LogicEngine } from "json-logic-engine"
import type { EdgeWhen, Graph } from "../src/domain/Graph.ts"
import type { Node } from "../src/domain/Node.ts"
import type { RunSpec } from "../src/interpreter/NodeContext.ts"
import { isTruthy } from "../src/interpreter/jsonLogic.ts"

// The interpreter's configuration of the engine: the interpreted `run`, default methods.
const engine = new LogicEngine()

/** A graph whose nodes are listed in topological order, indexed by position (built once, untimed). */
export interface LoopPlan {
  readonly nodes: ReadonlyArray<Node>
  readonly incoming: ReadonlyArray<ReadonlyArray<number>>
  readonly outgoing: ReadonlyArray<ReadonlyArray<number>>
  readonly edgeFrom: ReadonlyArray<number>
  readonly edgeWhen: ReadonlyArray<EdgeWhen | undefined>
}

export const loopPlanOf = (graph: Graph): LoopPlan => {
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]))
  const incoming = graph.nodes.map((): Array<number> => [])
  const outgoing = graph.nodes.map((): Array<number> => [])
  const edgeFrom = graph.edges.map((e, i) => {
    const from = position.get(e.from)!
    const to = position.get(e.to)!
    if (from >= to) throw new Error(`loopPlanOf: edges[${i}] ${e.from} → ${e.to} points backwards; nodes must be in topological order`)
    outgoing[from]!.push(i)
    incoming[to]!.push(i)
    return from
  })
  return { nodes: graph.nodes, incoming, outgoing, edgeFrom, edgeWhen: graph.edges.map((e) => e.when) }
}

/**
 * The baseline: the graph's JsonLogic evaluated by the same engine in one `for` loop, over the scope the
 * interpreter builds (`vars` merged from the fired edges, `nodes.<id>.output`), with the same edge rules.
 * Answers `nodes` as the last node saw it.
 */
export const plainLoop = (plan: LoopPlan, spec: RunSpec): Record<string, { output: unknown }> => {
  const nodes: Record<string, { output: unknown }> = {}
  const store = { thread: { ...spec.store.thread }, workflow: { ...spec.store.workflow } }
  const passed: Array<Record<string, unknown>> = new Array(plan.nodes.length)
  const fired = new Uint8Array(plan.edgeFrom.length)
  const sources: Array<number> = []
  for (let i = 0; i < plan.nodes.length; i++) {
    const node = plan.nodes[i]!
    const outgoing = plan.outgoing[i]!
    let output: unknown
    if (node.type === "trigger") {
      const { messages, aggregatedInput, sender } = spec.input
      output = sender === undefined ? { messages, aggregatedInput } : { messages, aggregatedInput, sender }
      passed[i] = {}
    } else {
      sources.length = 0
      for (const e of plan.incoming[i]!) if (fired[e] === 1) sources.push(plan.edgeFrom[e]!)
      if (sources.length === 0) continue
      const vars = sources.length === 1 ? passed[sources[0]!]! : Object.assign({}, ...sources.map((s) => passed[s]))
      const scope = { input: spec.input, context: spec.context, thread: spec.thread, nodes, vars, store }
      if (node.type === "condition") {
        output = { result: isTruthy(engine.run(node.config.if, scope)) }
        passed[i] = vars
      } else if (node.type === "transform") {
        const values: Record<string, unknown> = {}
        for (const name in node.config.set) values[name] = engine.run(node.config.set[name], scope)
        output = values
        passed[i] = { ...vars, ...values }
      } else {
        throw new Error(`plainLoop: no baseline for a '${node.type}' node`)
      }
    }
    nodes[node.id] = { output }
    for (const e of outgoing) {
      const when = plan.edgeWhen[e]
      fired[e] = when === undefined || (when !== "error" && (output as { result: boolean }).result === (when === "true")) ? 1 : 0
    }
  }
  return nodes
}
