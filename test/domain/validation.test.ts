import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import type { Issue } from "../../src/domain/Issue.ts"

const trigger = { id: "trigger", type: "trigger" }
const send = (id = "send") => ({ id, type: "send", config: { message: "oi" } })
const doc = (nodes: ReadonlyArray<unknown>, edges: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({ name: "wf", graph: { nodes, edges }, ...extra })

const issuesOf = (input: unknown): ReadonlyArray<Issue> => {
  const result = decodeWorkflow(input)
  return Either.isLeft(result) ? result.left.issues : []
}

describe("workflow validation: every problem, each with its path", () => {
  it("a valid graph has no issue", () => {
    expect(issuesOf(doc([trigger, send()], [{ from: "trigger", to: "send" }]))).toEqual([])
  })

  it("unknown edge endpoint: the contract's example", () => {
    expect(issuesOf(doc([trigger, send()], [{ from: "trigger", to: "send" }, { from: "send", to: "x" }, { from: "trigger", to: "sned" }]))).toEqual([
      { path: ["graph", "edges", 1, "to"], message: "unknown node 'x'" },
      { path: ["graph", "edges", 2, "to"], message: "unknown node 'sned'" }
    ])
  })

  it("duplicate node ids", () => {
    expect(issuesOf(doc([trigger, send(), send()], [{ from: "trigger", to: "send" }]))).toContainEqual(
      { path: ["graph", "nodes", 2, "id"], message: "duplicate node id 'send' (first at nodes[1])" }
    )
  })

  it("no trigger, and a second trigger", () => {
    expect(issuesOf(doc([send()], []))).toContainEqual({ path: ["graph", "nodes"], message: "a graph needs exactly one trigger node; it has none" })
    expect(issuesOf(doc([trigger, { id: "t2", type: "trigger" }], [{ from: "trigger", to: "t2" }]))).toEqual(expect.arrayContaining([
      { path: ["graph", "nodes", 1, "type"], message: "a graph has exactly one trigger node; this is another (first at nodes[0])" }
    ]))
  })

  it("an edge into the trigger", () => {
    expect(issuesOf(doc([trigger, send()], [{ from: "trigger", to: "send" }, { from: "send", to: "trigger" }]))).toContainEqual(
      { path: ["graph", "edges", 1, "to"], message: "the trigger node cannot have an incoming edge" }
    )
  })

  it("conditions need exactly one true and one false edge, and nothing plain", () => {
    const c = { id: "c", type: "condition", config: { if: true } }
    expect(issuesOf(doc([trigger, c, send("a")], [{ from: "trigger", to: "c" }, { from: "c", to: "a", when: "true" }]))).toEqual([
      { path: ["graph", "nodes", 1], message: "condition 'c' has no 'false' edge" }
    ])
    const issues = issuesOf(doc([trigger, c, send("a"), send("b"), send("d")],
      [{ from: "trigger", to: "c" }, { from: "c", to: "a", when: "true" }, { from: "c", to: "b", when: "true" }, { from: "c", to: "d", when: "false" }, { from: "c", to: "d" }]))
    expect(issues).toEqual([
      { path: ["graph", "edges", 2, "when"], message: "condition 'c' already has a 'true' edge" },
      { path: ["graph", "edges", 4, "when"], message: "an edge leaving condition 'c' needs when: \"true\", \"false\" or \"error\"" }
    ])
  })

  it("when true/false only leave a condition; at most one error edge", () => {
    expect(issuesOf(doc([trigger, send("a"), send("b"), send("c")],
      [{ from: "trigger", to: "a", when: "true" }, { from: "a", to: "b", when: "error" }, { from: "a", to: "c", when: "error" }]))).toEqual([
      { path: ["graph", "edges", 0, "when"], message: "when 'true' only leaves a condition node; 'trigger' is a trigger" },
      { path: ["graph", "edges", 2, "when"], message: "node 'a' already has an error edge" }
    ])
  })

  it("cycles: the closing edge is named with the loop", () => {
    expect(issuesOf(doc([trigger, send("a"), send("b")], [{ from: "trigger", to: "a" }, { from: "a", to: "b" }, { from: "b", to: "a" }]))).toEqual([
      { path: ["graph", "edges", 2], message: "edge b → a closes a cycle: a → b → a" }
    ])
  })

  it("every node reachable from the trigger", () => {
    expect(issuesOf(doc([trigger, send("a"), send("lost")], [{ from: "trigger", to: "a" }]))).toEqual([
      { path: ["graph", "nodes", 2], message: "node 'lost' is not reachable from the trigger" }
    ])
  })

  it("duplicate edges", () => {
    expect(issuesOf(doc([trigger, send("a")], [{ from: "trigger", to: "a" }, { from: "trigger", to: "a" }]))).toEqual([
      { path: ["graph", "edges", 1], message: "duplicate of edges[0]" }
    ])
  })

  it("known node types and tools", () => {
    const issues = issuesOf(doc([trigger, { id: "x", type: "sned", config: {} }, { id: "ag", type: "agent", config: { model: "gpt-4o", tools: ["search_docs", "check_status"] } }],
      [{ from: "trigger", to: "x" }, { from: "trigger", to: "ag" }]))
    expect(issues.map((i) => i.path)).toEqual([["graph", "nodes", 1, "type"], ["graph", "nodes", 2, "config", "tools", 1]])
    expect(issues[1]?.message).toBe("unknown tool \"check_status\" (known: send_whatsapp, search_docs, check_instance_status, human_escalation)")
  })

  it("models are provider:name with a known provider", () => {
    const issues = issuesOf({ name: "wf", agent: { model: "mistral:large" } })
    expect(issues).toEqual([{ path: ["agent", "model"], message: "unknown model provider 'mistral' (known: openai, anthropic)" }])
  })

  it("templates: malformed placeholders, unknown roots, unknown nodes, the secret", () => {
    const issues = issuesOf(doc([trigger, { id: "s", type: "send", config: { message: "{{ input.x }} {{ 1bad }} {{nodes.ghost.output}} {{context.livchatApiKey}} {{unclosed" } }],
      [{ from: "trigger", to: "s" }]))
    expect(issues).toEqual([
      { path: ["graph", "nodes", 1, "config", "message"], message: "'{{1bad}}' is not a path such as {{input.sender.phone}}" },
      { path: ["graph", "nodes", 1, "config", "message"], message: "a '{{' is never closed by '}}'" },
      { path: ["graph", "nodes", 1, "config", "message"], message: "'nodes.ghost.output' names unknown node 'ghost'" },
      { path: ["graph", "nodes", 1, "config", "message"], message: "context.livchatApiKey is never in the scope" }
    ])
    expect(issuesOf(doc([trigger, { id: "s", type: "send", config: { message: "{{contxt.x}}" } }], [{ from: "trigger", to: "s" }]))).toEqual([
      { path: ["graph", "nodes", 1, "config", "message"], message: "'contxt.x' starts with 'contxt', not one of input, context, thread, nodes, vars, store" }
    ])
  })

  it("JsonLogic: unknown operators and unreadable vars are located inside the expression", () => {
    const c = { id: "c", type: "condition", config: { if: { and: [{ ">=": [{ var: "nodes.agent.output.structured.confidence" }, 0.7] }, { eval: "x" }] } } }
    const issues = issuesOf(doc([trigger, c, send("a"), send("b")], [{ from: "trigger", to: "c" }, { from: "c", to: "a", when: "true" }, { from: "c", to: "b", when: "false" }]))
    expect(issues).toEqual([
      { path: ["graph", "nodes", 1, "config", "if", "and", 0, ">=", 0, "var"], message: "'nodes.agent.output.structured.confidence' names unknown node 'agent'" },
      { path: ["graph", "nodes", 1, "config", "if", "and", 1, "eval"], message: "unknown JsonLogic operator 'eval'" }
    ])
  })

  it("JsonLogic: vars inside map/filter/reduce read the current item and are not checked against the scope", () => {
    const t = { id: "t", type: "transform", config: { set: { total: { reduce: [{ var: "input.messages" }, { "+": [{ var: "accumulator" }, 1] }, 0] } } } }
    expect(issuesOf(doc([trigger, t], [{ from: "trigger", to: "t" }]))).toEqual([])
  })

  it("schema problems and graph problems are reported together", () => {
    const issues = issuesOf(doc([trigger, { id: "s", type: "send", config: { mesage: "typo" } }], [{ from: "trigger", to: "s" }, { from: "s", to: "nowhere" }]))
    expect(issues.map((i) => i.path)).toEqual([
      ["graph", "nodes", 1, "config", "mesage"],
      ["graph", "nodes", 1, "config", "message"],
      ["graph", "edges", 1, "to"]
    ])
  })

  it("a document needs an agent or a graph; the shorthand's problems are at agent.*", () => {
    expect(issuesOf({ name: "wf" })).toEqual([{ path: [], message: "a workflow needs an 'agent' (shorthand) or a 'graph'" }])
    expect(issuesOf({ name: "wf", agent: { model: "gpt-4o", systemPrompt: "{{nodes.x.output}}" } })).toEqual([
      { path: ["agent", "systemPrompt"], message: "'nodes.x.output' names unknown node 'x'" }
    ])
  })

  it("non-objects and garbage never throw", () => {
    for (const garbage of [null, 42, "x", [], { name: 1, graph: "no" }, { name: "x", graph: { nodes: [null], edges: [1] } }]) {
      expect(issuesOf(garbage).length).toBeGreaterThan(0)
    }
  })

  it("accumulator and trigger values are checked", () => {
    const issues = issuesOf({ name: "wf", agent: { model: "gpt-4o" }, trigger: { type: "webhook", accumulator: { timeoutSeconds: 0, maxMessages: 2.5 } } })
    expect(issues.map((i) => i.path)).toEqual([["trigger", "accumulator", "timeoutSeconds"], ["trigger", "accumulator", "maxMessages"]])
    expect(issuesOf({ name: "wf", agent: { model: "gpt-4o" }, trigger: { type: "schedule", cron: "every day", timezone: "Mars/Olympus" } }).map((i) => i.path))
      .toEqual([["trigger", "cron"], ["trigger", "timezone"]])
    const ok = decodeWorkflow({ name: "wf", agent: { model: "gpt-4o" }, trigger: { type: "webhook", accumulator: { timeoutSeconds: 0.2 } } })
    expect(Either.isRight(ok)).toBe(true)
  })
})

describe("workflow validation at scale", () => {
  it("a 5,000-node chain is checked without exhausting the stack; a cycle in it is still found", () => {
    const nodes = [{ id: "trigger", type: "trigger" }, ...Array.from({ length: 5000 }, (_, i) => ({ id: `n${i}`, type: "transform", config: { set: { i } } }))]
    const edges = nodes.slice(1).map((n, i) => ({ from: nodes[i]!.id, to: n.id }))
    expect(issuesOf(doc(nodes, edges))).toEqual([])
    expect(issuesOf(doc(nodes, [...edges, { from: "n4999", to: "n0" }])).map((i) => i.path)).toEqual([["graph", "edges", 5000]])
  })

  it("an absurdly nested JsonLogic expression is an issue, not a crash", () => {
    let logic: unknown = true
    for (let i = 0; i < 10_000; i++) logic = { "!": [logic] }
    const c = { id: "c", type: "condition", config: { if: logic } }
    const issues = issuesOf(doc([trigger, c, send("a"), send("b")], [{ from: "trigger", to: "c" }, { from: "c", to: "a", when: "true" }, { from: "c", to: "b", when: "false" }]))
    expect(issues).toHaveLength(1)
    expect(issues[0]?.message).toBe("a JsonLogic expression may nest at most 64 levels")
  })
})
