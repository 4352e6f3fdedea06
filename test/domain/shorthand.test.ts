import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import { jsonLogicOperators } from "../../src/domain/expressions.ts"
import { WorkflowDocument } from "../../src/domain/Workflow.ts"
import { workflowJsonSchema } from "../../src/domain/workflowJsonSchema.ts"
import { engineOperators } from "../../src/interpreter/jsonLogic.ts"

const decode = (input: unknown) => {
  const result = decodeWorkflow(input)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

describe("shorthand compiler (§4)", () => {
  it("an agent without send_whatsapp compiles to trigger → agent → send replying to the sender", () => {
    const wf = decode({
      name: "Suporte", trigger: { type: "webhook", accumulator: { timeoutSeconds: 5 } },
      agent: { model: "gpt-4o", tools: ["search_docs"] }, memory: { maxMessages: 20 }
    })
    expect(wf.graph.edges).toEqual([{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }])
    expect(wf.graph.nodes.map((n) => [n.id, n.type])).toEqual([["trigger", "trigger"], ["agent", "agent"], ["send", "send"]])
    expect(wf.graph.nodes[2]).toEqual({ id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } })
    expect(wf.graph.nodes[0]).toMatchObject({ config: { accumulator: { timeoutSeconds: 5, maxMessages: 10, separator: "\n\n", resetOnNewMessage: true, maxWaitSeconds: 60 } } })
    expect(wf.graph.nodes[1]).toMatchObject({ config: { memory: { enabled: true, maxMessages: 20, ttlHours: 24 } } })
  })

  it("an agent with send_whatsapp compiles to trigger → agent", () => {
    const wf = decode({ name: "x", agent: { model: "anthropic:claude-sonnet-4-5", tools: ["send_whatsapp"] } })
    expect(wf.graph.edges).toEqual([{ from: "trigger", to: "agent" }])
  })

  it("a graph given with the shorthand wins", () => {
    const graph = { nodes: [{ id: "t", type: "trigger" }], edges: [] }
    expect(decode({ name: "x", agent: { model: "gpt-4o" }, graph }).graph).toEqual({ nodes: [{ id: "t", type: "trigger", config: {} }], edges: [] })
  })
})

describe("document schema", () => {
  it("round-trips: decode(encode(decode(x))) equals decode(x)", () => {
    const once = decode({ name: "x", description: "d", agent: { model: "gpt-4o", temperature: 0.2, output: { type: "object" } }, callbackUrl: "https://app.example/cb", isActive: false })
    const { graph: _graph, ...doc } = once
    const encoded = Schema.encodeSync(WorkflowDocument)(doc)
    expect(decode(JSON.parse(JSON.stringify(encoded)))).toEqual(once)
  })

  it("the JSON Schema is generated from the Schemas and names every node type", () => {
    const json = workflowJsonSchema() as { properties: { graph: { properties: { nodes: { items: { anyOf: Array<{ properties: { type: { enum: Array<string> } } }> } } } } } }
    const kinds = json.properties.graph.properties.nodes.items.anyOf.map((n) => n.properties.type.enum[0])
    expect(kinds).toEqual(["trigger", "condition", "agent", "send", "escalate", "delay", "http", "transform", "store"])
    const schema = JSON.stringify(json)
    expect(schema).toContain(`"enum":["send_whatsapp","search_docs","check_instance_status","human_escalation"]`)
    expect(schema).toContain("timeoutSeconds")
  })

  it("every JsonLogic operator the domain allows is one the engine runs", () => {
    const engine = new Set(engineOperators())
    expect([...jsonLogicOperators].filter((op) => !engine.has(op))).toEqual([])
  })
})
