import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { startFakeLivchat } from "../../support/fakeLivchat.ts"
import { fakeAnthropic, fakeOpenAI } from "../../support/fakeModels.ts"
import { newOrganization } from "../../support/server.ts"
import { agentService, executeAndRead, providersFor, replyWorkflow, say, sentMessages } from "./support.ts"

const livchat = Effect.acquireRelease(Effect.promise(() => startFakeLivchat()), (f) => Effect.promise(() => f.close()))

describe("the agent node on LangGraph, against fake model servers on loopback", () => {
  it.live("a plain answer: the system prompt rendered, the user's burst, the key sent; the reply goes on to send", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([{ content: "Olá Ana, como posso ajudar?" }])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: replyWorkflow({ systemPrompt: "Você atende {{input.sender.name}}.", temperature: 0.2, maxTokens: 300 }) })
        const execution = yield* executeAndRead(client, wf.id, say("5511999990000", "oi"))
        expect(execution.status).toBe("completed")
        expect(execution.steps.map((s) => s.stepName)).toEqual(["trigger", "agent", "send"])
        expect(execution.steps[1]?.output).toEqual({ reply: "Olá Ana, como posso ajudar?", toolCalls: [] })
        expect(execution.steps[2]?.output).toMatchObject({ messageId: expect.any(String) })
        expect(sentMessages(model, 0)).toEqual(["system: Você atende Ana.", "user: oi"])
        const body = model.requests[0]?.body
        expect(body).toMatchObject({ model: "gpt-test", temperature: 0.2, stream: true })
        expect(body.max_tokens ?? body.max_completion_tokens).toBe(300)
        expect(model.requests[0]?.headers.authorization).toBe("Bearer sk-test-fake-openai-key")
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }))))
    }).pipe(Effect.scoped))

  it.live("each tool round-trips through the service's ports as its own step, and its result goes back to the model", () =>
    Effect.gen(function* () {
      const lc = yield* livchat
      const model = yield* fakeOpenAI([
        { toolCalls: [{ name: "check_instance_status", args: {} }, { name: "send_whatsapp", args: { message: "Um momento..." } }] },
        { toolCalls: [{ name: "search_docs", args: { query: "horário" } }] },
        { toolCalls: [{ name: "human_escalation", args: { reason: "pediu um humano", context: "cliente irritado" } }] },
        { content: "Vou chamar alguém." }
      ])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({
          payload: replyWorkflow({ tools: ["send_whatsapp", "search_docs", "check_instance_status", "human_escalation"] })
        })
        const execution = yield* executeAndRead(client, wf.id, say("5511888", "quero falar com alguém"))
        expect(execution.steps.map((s) => `${s.stepName}:${s.status}`)).toEqual([
          "trigger:completed", "agent:completed", "tool:check_instance_status:completed", "tool:send_whatsapp:completed",
          "tool:search_docs:completed", "tool:human_escalation:completed", "send:completed"
        ])
        const [, agent, status, send] = execution.steps
        expect(status?.output).toEqual({ instanceId: "inst-1", status: "connected" })
        expect(send?.input).toEqual({ message: "Um momento..." })
        expect(lc.requests.filter((r) => r.path === "/api/v1/messages/send")[0]?.body).toMatchObject({ phone: "5511999990000", message: "Um momento..." })
        expect((agent?.output as { toolCalls: Array<{ name: string }> }).toolCalls.map((c) => c.name)).toEqual([
          "check_instance_status", "send_whatsapp", "search_docs", "human_escalation"
        ])
        // The tools were offered, and each result went back to the model as a tool message.
        expect(model.requests[0]?.body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual([
          "send_whatsapp", "search_docs", "check_instance_status", "human_escalation"
        ])
        const toolMessages = (model.requests[1]?.body.messages as Array<{ role: string; content: string; tool_call_id: string }>).filter((m) => m.role === "tool")
        expect(toolMessages).toHaveLength(2)
        expect(JSON.parse(toolMessages[0]!.content)).toEqual({ instanceId: "inst-1", status: "connected" })
        expect(JSON.parse(toolMessages[1]!.content)).toMatchObject({ messageId: expect.stringMatching(/^wamid-/) })
        const thread = yield* client.threads.get({ path: { threadId: "5511888" } })
        expect(thread.status).toBe("escalated")
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }), { livchatApiUrl: lc.url })))
    }).pipe(Effect.scoped))

  it.live("a failing tool is an error step, and its error goes back to the model, which still answers", () =>
    Effect.gen(function* () {
      const lc = yield* livchat
      lc.answer("invalidPhone")
      const model = yield* fakeOpenAI([{ toolCalls: [{ name: "send_whatsapp", args: { message: "oi", phone: "123" } }] }, { content: "Não consegui enviar, desculpe." }])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: replyWorkflow({ tools: ["send_whatsapp"] }) })
        const execution = yield* executeAndRead(client, wf.id, say("5511777", "manda pro 123"))
        expect(execution.status).toBe("completed")
        const tool = execution.steps.find((s) => s.stepName === "tool:send_whatsapp")
        expect(tool?.status).toBe("error")
        expect(tool?.error).toMatch(/400|invalid phone/)
        const answer = (model.requests[1]?.body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "tool")
        expect(answer?.content).toMatch(/^error: /)
        expect(execution.steps.find((s) => s.stepName === "agent")?.output).toMatchObject({ reply: "Não consegui enviar, desculpe." })
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }), { livchatApiUrl: lc.url })))
    }).pipe(Effect.scoped))

  it.live("Anthropic models: a tool call and a plain answer through the Messages API", () =>
    Effect.gen(function* () {
      const lc = yield* livchat
      const model = yield* fakeAnthropic([{ toolCalls: [{ name: "check_instance_status", args: { instanceId: "inst-7" } }] }, { content: "Sua instância está conectada." }])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({
          payload: replyWorkflow({ model: "anthropic:claude-test", systemPrompt: "Seja breve.", tools: ["check_instance_status"] })
        })
        const execution = yield* executeAndRead(client, wf.id, say("5511666", "minha instância caiu?"))
        expect(execution.status).toBe("completed")
        expect(execution.steps.map((s) => s.stepName)).toEqual(["trigger", "agent", "tool:check_instance_status", "send"])
        expect(execution.steps[1]?.output).toMatchObject({ reply: "Sua instância está conectada." })
        expect(model.requests[0]?.body).toMatchObject({ model: "claude-test", system: expect.anything() })
        expect(JSON.stringify(model.requests[0]?.body.system)).toContain("Seja breve.")
        expect(model.requests[0]?.headers["x-api-key"]).toBe("sk-ant-test-fake-key")
        expect(lc.requests.some((r) => r.path === "/api/v1/instances/inst-7/status")).toBe(true)
      }).pipe(Effect.provide(agentService(providersFor({ anthropic: model }), { livchatApiUrl: lc.url })))
    }).pipe(Effect.scoped))
})

describe("structured output", () => {
  const routed = {
    name: "routed",
    trigger: { type: "webhook" as const },
    graph: {
      nodes: [
        { id: "trigger", type: "trigger" },
        {
          id: "agent", type: "agent",
          config: {
            model: "openai:gpt-test",
            output: { type: "object", properties: { reply: { type: "string" }, confidence: { type: "number", minimum: 0, maximum: 1 } }, required: ["reply", "confidence"] }
          }
        },
        { id: "sure", type: "condition", config: { if: { ">=": [{ var: "nodes.agent.output.structured.confidence" }, 0.7] } } },
        { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } },
        { id: "human", type: "escalate", config: { reason: "confiança baixa" } }
      ],
      edges: [
        { from: "trigger", to: "agent" }, { from: "agent", to: "sure" },
        { from: "sure", to: "send", when: "true" as const }, { from: "sure", to: "human", when: "false" as const }
      ]
    }
  }

  it.live("a confident answer is sent, an unsure one escalated; an invalid answer gets one repair, then the step fails with the issues", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([
        { content: JSON.stringify({ reply: "Abrimos às 9h.", confidence: 0.92 }) },
        { content: "```json\n" + JSON.stringify({ reply: "Não sei.", confidence: 0.2 }) + "\n```" },
        { content: "claro! abrimos às 9h" },
        { content: JSON.stringify({ reply: "Abrimos às 9h.", confidence: 0.8 }) },
        { content: JSON.stringify({ reply: "x", confidence: 3 }) },
        { content: "ainda não é JSON" }
      ])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: routed as any })
        const sure = yield* executeAndRead(client, wf.id, say("t-sure", "que horas abre?"))
        expect(sure.steps.map((s) => `${s.nodeId}:${s.status}`).sort()).toEqual(["agent:completed", "human:skipped", "send:completed", "sure:completed", "trigger:completed"])
        expect(sure.steps[1]?.output).toEqual({ reply: "Abrimos às 9h.", structured: { reply: "Abrimos às 9h.", confidence: 0.92 }, toolCalls: [] })
        expect(String(sentMessages(model, 0)[0])).toContain("JSON Schema")

        const unsure = yield* executeAndRead(client, wf.id, say("t-unsure", "qual o sentido da vida?"))
        expect(unsure.steps.map((s) => `${s.nodeId}:${s.status}`).sort()).toEqual(["agent:completed", "human:completed", "send:skipped", "sure:completed", "trigger:completed"])

        const repaired = yield* executeAndRead(client, wf.id, say("t-repair", "que horas abre?"))
        expect(repaired.status).toBe("completed")
        expect(repaired.steps[1]?.output).toMatchObject({ structured: { confidence: 0.8 } })
        expect(sentMessages(model, 3).at(-1)).toMatch(/^user: Your answer does not match the required JSON Schema: the answer is not a JSON object/)

        const failed = yield* executeAndRead(client, wf.id, say("t-fail", "que horas abre?"))
        expect(failed.status).toBe("error")
        expect(failed.steps[1]?.status).toBe("error")
        expect(failed.steps[1]?.error).toMatch(/does not match the output schema: the answer is not a JSON object/)
        expect(sentMessages(model, 5).at(-1)).toMatch(/\/confidence must be <= 1/)
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }))))
    }).pipe(Effect.scoped))
})

describe("a model that is missing, down or slow fails the step clearly, never hangs", () => {
  it.live("no key: the step fails naming the variables; unknown hosts and refused connections say where", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([])
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const openai = yield* client.workflows.create({ payload: replyWorkflow({}) })
        const anthropic = yield* client.workflows.create({ payload: replyWorkflow({ model: "anthropic:claude-test" }) })
        const noOpenAI = yield* executeAndRead(client, openai.id, say("t1", "oi"))
        expect(noOpenAI.status).toBe("error")
        expect(noOpenAI.steps[1]?.error).toMatch(/OPENAI_API_KEY/)
        expect(noOpenAI.error).toMatchObject({ code: "model_unconfigured", nodeId: "agent" })
        const noAnthropic = yield* executeAndRead(client, anthropic.id, say("t1", "oi"))
        expect(noAnthropic.steps[1]?.error).toMatch(/ANTHROPIC_API_KEY/)
        expect(model.requests).toHaveLength(0)
      }).pipe(Effect.provide(agentService(providersFor({}))))
    }).pipe(Effect.scoped))

  it.live("refused connection, an error status with retry honoured, and a hanging model cut at timeoutMs", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([{ status: 500, errorMessage: "overloaded" }, { content: "voltei" }, { hang: true }])
      const closed = yield* fakeOpenAI([])
      const closedUrl = closed.url
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const withRetry = yield* client.workflows.create({ payload: replyWorkflow({}, { retry: { maxAttempts: 2, backoffMs: 10 } }) })
        const recovered = yield* executeAndRead(client, withRetry.id, say("t1", "oi"))
        expect(recovered.status).toBe("completed")
        expect(recovered.steps.filter((s) => s.stepName === "agent").map((s) => `${s.attempt}:${s.status}`)).toEqual(["1:error", "2:completed"])
        expect(recovered.steps.find((s) => s.status === "error")?.error).toMatch(/HTTP 500.*overloaded/)

        const timed = yield* client.workflows.create({ payload: replyWorkflow({}, { timeoutMs: 300 }) })
        const cut = yield* executeAndRead(client, timed.id, say("t2", "oi"))
        expect(cut.status).toBe("error")
        expect(cut.error).toMatchObject({ code: "timeout", nodeId: "agent" })
        expect(cut.steps[1]?.durationMs).toBeLessThan(5_000)
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }))))
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: replyWorkflow({}) })
        const down = yield* executeAndRead(client, wf.id, say("t3", "oi"))
        expect(down.status).toBe("error")
        expect(down.error?.code).toBe("model_unreachable")
        expect(down.error?.message).toContain("127.0.0.1")
      }).pipe(Effect.provide(agentService({ ...providersFor({ openai: closed }), openai: { ...providersFor({ openai: closed }).openai, baseUrl: closedUrl.replace(/:\d+/, ":9") } })))
    }).pipe(Effect.scoped))
})
