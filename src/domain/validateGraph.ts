import type { Graph } from "./Graph.ts"
import { issue, type Issue, type Path } from "./Issue.ts"
import type { Node } from "./Node.ts"
import { jsonLogicProblems, templateProblems } from "./expressions.ts"

/** The shape of a graph that its structural rules look at (configs aside). */
export interface GraphSkeleton {
  readonly nodes: ReadonlyArray<{ readonly id: string; readonly type: string }>
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly when?: string | undefined }>
}

/**
 * Every rule of §4.1 a decoded graph must hold, each broken rule reported with its path under `at`
 * (e.g. `["graph","edges",2,"to"]`). An empty result means the interpreter can run the graph.
 */
export const validateGraph = (graph: Graph, at: Path = ["graph"]): ReadonlyArray<Issue> => {
  const ids = new Set(graph.nodes.map((n) => n.id))
  return [
    ...validateGraphStructure(graph, at),
    ...graph.nodes.flatMap((node, i) => expressionIssues(node, ids, [...at, "nodes", i, "config"]))
  ]
}

/** The structural rules: ids, one trigger, edge ends, condition branches, no cycle, reachability. */
export const validateGraphStructure = (graph: GraphSkeleton, at: Path = ["graph"]): ReadonlyArray<Issue> => {
  const issues: Array<Issue> = []
  const nodeAt = (i: number, ...rest: Path) => [...at, "nodes", i, ...rest]
  const edgeAt = (i: number, ...rest: Path) => [...at, "edges", i, ...rest]

  const indexOf = new Map<string, number>()
  graph.nodes.forEach((node, i) => {
    const first = indexOf.get(node.id)
    if (first === undefined) indexOf.set(node.id, i)
    else issues.push(issue(nodeAt(i, "id"), `duplicate node id '${node.id}' (first at nodes[${first}])`))
  })

  const triggers = graph.nodes.flatMap((n, i) => (n.type === "trigger" ? [i] : []))
  if (triggers.length === 0) issues.push(issue([...at, "nodes"], "a graph needs exactly one trigger node; it has none"))
  for (const i of triggers.slice(1)) {
    issues.push(issue(nodeAt(i, "type"), `a graph has exactly one trigger node; this is another (first at nodes[${triggers[0]}])`))
  }

  const typeOf = (id: string) => graph.nodes[indexOf.get(id) ?? -1]?.type
  const seenEdges = new Map<string, number>()
  graph.edges.forEach((edge, i) => {
    for (const end of ["from", "to"] as const) {
      if (!indexOf.has(edge[end])) issues.push(issue(edgeAt(i, end), `unknown node '${edge[end]}'`))
    }
    if (typeOf(edge.to) === "trigger") issues.push(issue(edgeAt(i, "to"), "the trigger node cannot have an incoming edge"))
    if ((edge.when === "true" || edge.when === "false") && indexOf.has(edge.from) && typeOf(edge.from) !== "condition") {
      issues.push(issue(edgeAt(i, "when"), `when '${edge.when}' only leaves a condition node; '${edge.from}' is a ${typeOf(edge.from)}`))
    }
    const key = `${edge.from}\u0000${edge.to}\u0000${edge.when ?? ""}`
    const first = seenEdges.get(key)
    if (first === undefined) seenEdges.set(key, i)
    else issues.push(issue(edgeAt(i), `duplicate of edges[${first}]`))
  })

  const outgoingOf = new Map<string, Array<{ e: GraphSkeleton["edges"][number]; j: number }>>()
  graph.edges.forEach((e, j) => {
    const list = outgoingOf.get(e.from)
    if (list === undefined) outgoingOf.set(e.from, [{ e, j }])
    else list.push({ e, j })
  })
  graph.nodes.forEach((node, i) => {
    if (indexOf.get(node.id) !== i) return
    const outgoing = outgoingOf.get(node.id) ?? []
    const errorEdges = outgoing.filter(({ e }) => e.when === "error")
    for (const { j } of errorEdges.slice(1)) issues.push(issue(edgeAt(j, "when"), `node '${node.id}' already has an error edge`))
    if (node.type !== "condition") return
    for (const branch of ["true", "false"] as const) {
      const edges = outgoing.filter(({ e }) => e.when === branch)
      if (edges.length === 0) issues.push(issue(nodeAt(i), `condition '${node.id}' has no '${branch}' edge`))
      for (const { j } of edges.slice(1)) issues.push(issue(edgeAt(j, "when"), `condition '${node.id}' already has a '${branch}' edge`))
    }
    for (const { j } of outgoing.filter(({ e }) => e.when === undefined)) {
      issues.push(issue(edgeAt(j, "when"), `an edge leaving condition '${node.id}' needs when: "true", "false" or "error"`))
    }
  })

  issues.push(...cycleIssues(graph, indexOf, edgeAt))
  issues.push(...reachabilityIssues(graph, indexOf, triggers, nodeAt))
  return issues
}

const successorsOf = (graph: GraphSkeleton, indexOf: ReadonlyMap<string, number>) => {
  const next = new Map<string, Array<{ to: string; edge: number }>>()
  graph.edges.forEach((e, edge) => {
    if (!indexOf.has(e.from) || !indexOf.has(e.to)) return
    const list = next.get(e.from) ?? []
    list.push({ to: e.to, edge })
    next.set(e.from, list)
  })
  return next
}

/**
 * Reports cycles at the cycle's edge that comes last in `edges` (an editor appends the edge it adds, so
 * that is usually the edit), with a loop it closes; an edge is blamed once. The depth-first walk keeps
 * its own stack, so a graph of any size is checked without exhausting the call stack.
 */
const cycleIssues = (graph: GraphSkeleton, indexOf: ReadonlyMap<string, number>, edgeAt: (i: number) => Path) => {
  const next = successorsOf(graph, indexOf)
  const state = new Map<string, "open" | "done">()
  const issues: Array<Issue> = []
  const reported = new Set<number>()
  for (const root of indexOf.keys()) {
    if (state.has(root)) continue
    const stack: Array<{ id: string; via: number; child: number }> = [{ id: root, via: -1, child: 0 }]
    state.set(root, "open")
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!
      const successor = (next.get(frame.id) ?? [])[frame.child++]
      if (successor === undefined) {
        state.set(frame.id, "done")
        stack.pop()
        continue
      }
      const { to, edge } = successor
      const seen = state.get(to)
      if (seen === undefined) {
        state.set(to, "open")
        stack.push({ id: to, via: edge, child: 0 })
      } else if (seen === "open") {
        const loop = stack.slice(stack.findIndex((f) => f.id === to))
        const blamed = Math.max(edge, ...loop.slice(1).map((f) => f.via))
        if (reported.has(blamed)) continue
        reported.add(blamed)
        const { from, to: end } = graph.edges[blamed]!
        const names = [...loop.map((f) => f.id), to].join(" → ")
        issues.push(issue(edgeAt(blamed), `edge ${from} → ${end} closes a cycle: ${names}`))
      }
    }
  }
  return issues
}

const reachabilityIssues = (
  graph: GraphSkeleton,
  indexOf: ReadonlyMap<string, number>,
  triggers: ReadonlyArray<number>,
  nodeAt: (i: number) => Path
) => {
  const start = triggers[0]
  if (start === undefined) return []
  const next = successorsOf(graph, indexOf)
  const reached = new Set<string>()
  const pending = [graph.nodes[start]!.id]
  while (pending.length > 0) {
    const id = pending.pop()!
    if (reached.has(id)) continue
    reached.add(id)
    for (const { to } of next.get(id) ?? []) pending.push(to)
  }
  return graph.nodes.flatMap((n, i) =>
    reached.has(n.id) || n.type === "trigger" ? [] : [issue(nodeAt(i), `node '${n.id}' is not reachable from the trigger`)]
  )
}

/** Templates and JsonLogic inside a node's config. */
const expressionIssues = (node: Node, ids: ReadonlySet<string>, at: Path): ReadonlyArray<Issue> => {
  const templates = (fields: Record<string, unknown>): ReadonlyArray<Issue> =>
    Object.entries(fields).flatMap(([name, value]) =>
      typeof value === "string" ? templateProblems(value, ids).map((m) => issue([...at, name], m)) : []
    )
  const assignments = (set: Record<string, unknown>): ReadonlyArray<Issue> =>
    Object.entries(set).flatMap(([name, value]) =>
      typeof value === "string"
        ? templateProblems(value, ids).map((m) => issue([...at, "set", name], m))
        : jsonLogicProblems(value, ids, [...at, "set", name]).map((p) => issue(p.path, p.message))
    )
  switch (node.type) {
    case "condition":
      return jsonLogicProblems(node.config.if, ids, [...at, "if"]).map((p) => issue(p.path, p.message))
    case "transform":
    case "store":
      return assignments(node.config.set)
    case "send":
      return templates({ message: node.config.message, to: node.config.to, instanceId: node.config.instanceId })
    case "escalate":
      return templates({ reason: node.config.reason })
    case "agent":
      return templates({ systemPrompt: node.config.systemPrompt })
    case "http": {
      const headers = Object.entries(node.config.headers ?? {}).flatMap(([name, value]) =>
        templateProblems(value, ids).map((m) => issue([...at, "headers", name], m))
      )
      return [...templates({ url: node.config.url }), ...headers, ...bodyIssues(node.config.body, ids, [...at, "body"])]
    }
    case "trigger":
    case "delay":
      return []
  }
}

/** Strings anywhere inside an http body are templates. */
const bodyIssues = (body: unknown, ids: ReadonlySet<string>, at: Path): ReadonlyArray<Issue> => {
  if (typeof body === "string") return templateProblems(body, ids).map((m) => issue(at, m))
  if (Array.isArray(body)) return body.flatMap((item, i) => bodyIssues(item, ids, [...at, i]))
  if (body !== null && typeof body === "object") {
    return Object.entries(body).flatMap(([k, v]) => bodyIssues(v, ids, [...at, k]))
  }
  return []
}
