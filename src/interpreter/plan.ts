import type { Edge, Graph } from "../domain/Graph.ts"
import type { Node } from "../domain/Node.ts"

/** A validated graph indexed for the runner; computed once per graph object. */
export interface Plan {
  readonly trigger: Node
  readonly nodes: ReadonlyMap<string, Node>
  readonly incoming: ReadonlyMap<string, ReadonlyArray<number>>
  readonly outgoing: ReadonlyMap<string, ReadonlyArray<number>>
  readonly edges: ReadonlyArray<Edge>
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
  const plan = { trigger, nodes, incoming, outgoing, edges: graph.edges }
  plans.set(graph, plan)
  return plan
}
