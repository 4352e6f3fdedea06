import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import type { Issue } from "../../src/domain/Issue.ts"
import { WorkflowDocument } from "../../src/domain/Workflow.ts"
import { arbGraph, type GenEdge, type GenGraph } from "../support/arbitraries.ts"

const issuesOf = (g: { nodes: ReadonlyArray<unknown>; edges: ReadonlyArray<unknown> }): ReadonlyArray<Issue> => {
  const result = decodeWorkflow({ name: "wf", graph: g })
  return Either.isLeft(result) ? result.left.issues : []
}

const startsWith = (path: Issue["path"], prefix: Issue["path"]) => prefix.every((p, i) => path[i] === p)
const pointsAt = (issues: ReadonlyArray<Issue>, prefix: Issue["path"]) => issues.some((i) => startsWith(i.path, prefix))

/** Every path from the trigger; used to pick an ancestor → descendant pair for an added cycle. */
const descendants = (g: GenGraph, from: string): Set<string> => {
  const seen = new Set<string>()
  const pending = [from]
  while (pending.length > 0) {
    const id = pending.pop()!
    for (const e of g.edges) if (e.from === id && !seen.has(e.to)) (seen.add(e.to), pending.push(e.to))
  }
  return seen
}

const runs = { fastCheck: { numRuns: 150 } }

describe("invalid edits of a valid graph are rejected with an issue pointing at the edit", () => {
  it.prop("a dangling edge", [arbGraph(), fc.nat(), fc.constantFrom("from", "to")], ([g, pick, end]) => {
    const known = g.nodes[pick % g.nodes.length]!.id
    const edge = end === "to" ? { from: known, to: "ghost" } : { from: "ghost", to: known === "trigger" ? g.nodes[1]!.id : known }
    const issues = issuesOf({ nodes: g.nodes, edges: [...g.edges, edge] })
    expect(issues).toContainEqual({ path: ["graph", "edges", g.edges.length, end], message: "unknown node 'ghost'" })
  }, runs)

  it.prop("an added cycle", [arbGraph(), fc.nat()], ([g, pick]) => {
    const candidates = g.nodes.filter((n) => n.type !== "trigger" && n.type !== "condition")
      .flatMap((a) => [...descendants(g, a.id)].map((d) => ({ from: d, to: a.id })))
      .filter((e) => g.nodes.find((n) => n.id === e.from)?.type !== "condition")
    fc.pre(candidates.length > 0)
    const edge: GenEdge = candidates[pick % candidates.length]!
    const issues = issuesOf({ nodes: g.nodes, edges: [...g.edges, edge] })
    expect(issues.filter((i) => i.message.includes("closes a cycle")).map((i) => i.path)).toEqual([["graph", "edges", g.edges.length]])
  }, runs)

  it.prop("a second trigger", [arbGraph(), fc.nat()], ([g, pick]) => {
    const at = pick % (g.nodes.length + 1)
    const nodes = [...g.nodes.slice(0, at), { id: "trigger2", type: "trigger" }, ...g.nodes.slice(at)]
    const issues = issuesOf({ nodes, edges: g.edges })
    expect(issues.length).toBeGreaterThan(0)
    const secondIndex = nodes.findIndex((n, i) => n.type === "trigger" && i > nodes.findIndex((m) => m.type === "trigger"))
    expect(pointsAt(issues, ["graph", "nodes", secondIndex, "type"])).toBe(true)
  }, runs)

  it.prop("a condition missing a branch", [arbGraph(), fc.nat(), fc.constantFrom("true", "false")], ([g, pick, branch]) => {
    const conditions = g.nodes.flatMap((n, i) => (n.type === "condition" ? [i] : []))
    fc.pre(conditions.length > 0)
    const index = conditions[pick % conditions.length]!
    const id = g.nodes[index]!.id
    const edges = g.edges.filter((e) => !(e.from === id && e.when === branch))
    const issues = issuesOf({ nodes: g.nodes, edges })
    expect(issues).toContainEqual({ path: ["graph", "nodes", index], message: `condition '${id}' has no '${branch}' edge` })
  }, runs)
})

describe("documents round-trip", () => {
  it.prop("decode(encode(decode(doc))) equals decode(doc) for generated graphs and shorthands", [
    arbGraph(),
    fc.record({ timeoutSeconds: fc.double({ min: 0.1, max: 30, noNaN: true }), maxMessages: fc.integer({ min: 1, max: 50 }) }),
    fc.boolean()
  ], ([g, accumulator, isShorthand]) => {
    const doc = isShorthand
      ? { name: "wf", trigger: { type: "webhook", accumulator }, agent: { model: "gpt-4o", tools: ["search_docs"] } }
      : { name: "wf", trigger: { type: "webhook", accumulator }, graph: g }
    const once = decodeWorkflow(doc)
    if (Either.isLeft(once)) throw new Error(once.left.message)
    const { graph, ...rest } = once.right
    const encoded = Schema.encodeSync(WorkflowDocument)(isShorthand ? rest : { ...rest, graph })
    const twice = decodeWorkflow(JSON.parse(JSON.stringify(encoded)))
    expect(twice).toEqual(once)
  }, runs)
})
