import type { Edge, Graph } from "../domain/Graph.ts"
import type { Node } from "../domain/Node.ts"

/** A validated graph indexed for the runner; computed once per graph object. */
export interface Plan {
  readonly trigger: Node
  readonly nodes: ReadonlyMap<string, Node>
  readonly incoming: ReadonlyMap<string, ReadonlyArray<number>>
  readonly outgoing: ReadonlyMap<string, ReadonlyArray<number>>
  readonly edges: ReadonlyArray<Edge>
  /** Whether a node may read stored values (`store.*`): when none can, a run does not load them. */
  readonly readsStore: boolean
}

/**
 * JsonLogic that reads a path it computes, or the whole scope (`{"var": ""}`, `{"var": {...}}`, `val`,
 * `exists`, `missing`): it could read `store` without naming it. Matched on the graph's JSON text, which
 * `JSON.stringify` writes without spaces.
 */
const computedRead = /"(?:val|exists|missing|missing_some)":|"var":(?:""|null|\[\]|\[""|\[null|\{|\[\{|\[\[)/

/**
 * Conservative: any mention of `store` in the nodes (a `store` node, a `store.*` path, even a prompt
 * that says "store") or any computed read counts, so a graph that might read the store always gets it.
 */
const mayReadStore = (nodes: ReadonlyArray<Node>): boolean => {
  const text = JSON.stringify(nodes)
  return text.includes("store") || computedRead.test(text)
}

const plans = new WeakMap<Graph, Plan>()

export const planOf = (graph: Graph): Plan => {
  const cached = plans.get(graph)
  if (cached) return cached
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]))
  const incoming = new Map<string, Array<number>>(graph.nodes.map((n) => [n.id, []]))
  const outgoing = new Map<string, Array<number>>(graph.nodes.map((n) => [n.id, []]))
  graph.edges.forEach((e, i) => {
    outgoing.get(e.from)?.push(i)
    incoming.get(e.to)?.push(i)
  })
  const trigger = graph.nodes.find((n) => n.type === "trigger")
  if (trigger === undefined) throw new Error("planOf: the graph was not validated (no trigger)")
  const plan = { trigger, nodes, incoming, outgoing, edges: graph.edges, readsStore: mayReadStore(graph.nodes) }
  plans.set(graph, plan)
  return plan
}
