import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream, TestClock } from "effect"
import { graphDoc, request, runDocument, statuses } from "../support/run.ts"
import { subscribe } from "../../src/ports/EventBus.ts"

const trigger = { id: "trigger", type: "trigger" }

describe("node kinds", () => {
  it.effect("trigger hands on messages, aggregatedInput (joined with the separator) and sender", () =>
    Effect.gen(function* () {
      const doc = graphDoc([trigger], [])
      const req = request("oi", { input: { messages: [{ content: "oi", type: "text" }, { content: "tudo bem?", type: "text" }], sender: { phone: "551100" } } })
      const { outcome, execution } = yield* runDocument(doc, req)
      expect(outcome.status).toBe("completed")
      expect(outcome.output).toEqual({ trigger: { messages: req.input.messages, aggregatedInput: "oi\n\ntudo bem?", sender: { phone: "551100" } } })
      expect(statuses(execution.steps)).toEqual(["trigger:completed"])
    }))

  it.effect("condition takes the true edge and skips the false branch", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "c", type: "condition", config: { if: { "==": [{ var: "input.aggregatedInput" }, "oi"] } } },
          { id: "yes", type: "transform", config: { set: { branch: "yes" } } },
          { id: "no", type: "transform", config: { set: { branch: "no" } } }],
        [{ from: "trigger", to: "c" }, { from: "c", to: "yes", when: "true" }, { from: "c", to: "no", when: "false" }]
      )
      const { outcome, execution } = yield* runDocument(doc)
      expect(outcome.output).toEqual({ yes: { branch: "yes" } })
      expect(statuses(execution.steps)).toEqual(["trigger:completed", "c:completed", "yes:completed", "no:skipped"])
      const other = yield* runDocument(doc, request("tchau"))
      expect(other.outcome.output).toEqual({ no: { branch: "no" } })
    }))

  it.effect("transform evaluates JsonLogic and templates; its values reach downstream vars", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger,
          { id: "t1", type: "transform", config: { set: { n: { "+": [1, 2] }, greeting: "Olá {{input.sender.name}}!" } } },
          { id: "t2", type: "transform", config: { set: { doubled: { "*": [{ var: "vars.n" }, 2] }, from: "{{nodes.t1.output.greeting}}", missing: "[{{input.nope.deeper}}]" } } }],
        [{ from: "trigger", to: "t1" }, { from: "t1", to: "t2" }]
      )
      const { outcome } = yield* runDocument(doc)
      expect(outcome.output).toEqual({ t2: { doubled: 6, from: "Olá João!", missing: "[]" } })
    }))

  it.effect("send renders its templates, defaults to the sender, and carries an Idempotency-Key per step", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "send", type: "send", config: { message: "Recebi: {{input.aggregatedInput}}" } }],
        [{ from: "trigger", to: "send" }]
      )
      const { outcome, world } = yield* runDocument(doc)
      expect(outcome.status).toBe("completed")
      expect(world.messenger.sent).toEqual([
        { phone: "5511999999999", message: "Recebi: oi", instanceId: "inst-1", idempotencyKey: `${outcome.executionId}:send:1` }
      ])
      expect(outcome.output).toEqual({ send: { messageId: "log-1" } })
    }))

  it.effect("send with nobody to send to fails the step with a clear error", () =>
    Effect.gen(function* () {
      const doc = graphDoc([trigger, { id: "send", type: "send", config: { message: "x" } }], [{ from: "trigger", to: "send" }])
      const { outcome } = yield* runDocument(doc, request("oi", { input: { messages: [{ content: "oi", type: "text" }] } }))
      expect(outcome.status).toBe("error")
      expect(outcome.error).toMatchObject({ code: "no_recipient", nodeId: "send" })
    }))

  it.effect("escalate marks the thread escalated and sends a thread.escalated callback", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "esc", type: "escalate", config: { reason: "cliente pediu humano: {{input.aggregatedInput}}" } }],
        [{ from: "trigger", to: "esc" }]
      )
      const { outcome, world } = yield* runDocument(doc)
      expect(outcome.output).toEqual({ esc: { escalated: true } })
      const thread = yield* world.threads.get({ organizationId: "org-test", threadId: "5511999999999" })
      expect(thread._tag === "Some" && thread.value.status).toBe("escalated")
      expect(world.callbacks.sent.map((c) => [c.event, c.reason ?? null])).toEqual([
        ["thread.escalated", "cliente pediu humano: oi"],
        ["execution.completed", null]
      ])
    }))

  it.effect("delay waits on the Clock (TestClock drives it)", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "wait", type: "delay", config: { seconds: 30 } }],
        [{ from: "trigger", to: "wait" }]
      )
      const fiber = yield* Effect.fork(runDocument(doc))
      yield* TestClock.adjust("29 seconds")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      const { outcome, execution } = yield* Fiber.join(fiber)
      expect(outcome.status).toBe("completed")
      expect(execution.steps.find((s) => s.nodeId === "wait")?.durationMs).toBe(30_000)
    }))

  it.effect("http renders url, headers and body, and returns status and body", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "call", type: "http", config: { method: "POST", url: "https://crm.example/contacts/{{input.sender.phone}}", headers: { "x-name": "{{input.sender.name}}" }, body: { text: "{{input.aggregatedInput}}", n: 1 } } }],
        [{ from: "trigger", to: "call" }]
      )
      const { outcome, world } = yield* runDocument(doc, request(), { http: () => ({ status: 201, body: { ok: true } }) })
      expect(outcome.output).toEqual({ call: { status: 201, body: { ok: true } } })
      expect(world.http?.requests).toEqual([
        { method: "POST", url: "https://crm.example/contacts/5511999999999", headers: { "x-name": "João" }, body: { text: "oi", n: 1 }, timeoutMs: 10_000 }
      ])
    }))

  it.effect("store keeps values that a later execution reads as store.thread.* / store.workflow.*", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger,
          { id: "remember", type: "store", config: { scope: "thread", set: { lastMessage: "{{input.aggregatedInput}}" } } },
          { id: "count", type: "store", config: { scope: "workflow", set: { runs: { "+": [{ var: "store.workflow.runs" }, 1] } } } },
          { id: "show", type: "transform", config: { set: { seen: "{{store.thread.lastMessage}}", runs: { var: "store.workflow.runs" } } } }],
        [{ from: "trigger", to: "remember" }, { from: "remember", to: "count" }, { from: "count", to: "show" }]
      )
      const { outcome } = yield* runDocument(doc)
      expect(outcome.output).toEqual({ show: { seen: "oi", runs: 1 } })
    }))

  it.effect("agent: tools run as their own steps, tokens and the final message are events, structured output is kept", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "agent", type: "agent", config: { model: "openai:gpt-4o", systemPrompt: "Atenda {{input.sender.name}}", tools: ["send_whatsapp", "check_instance_status"] } }],
        [{ from: "trigger", to: "agent" }]
      )
      const script = [{ toolCalls: [{ name: "check_instance_status" as const, args: {} }, { name: "send_whatsapp" as const, args: { message: "Olá!" } }], reply: "Enviei uma saudação", structured: { confidence: 0.9 } }]
      const { outcome, execution, world } = yield* runDocument(doc, request(), { agent: script })
      expect(outcome.status).toBe("completed")
      expect(world.agent?.turns[0]?.systemPrompt).toBe("Atenda João")
      expect(world.agent?.turns[0]?.userMessage).toBe("oi")
      expect(execution.steps.map((s) => [s.id, s.stepName, s.status])).toEqual([
        ["trigger:1", "trigger", "completed"],
        ["agent:1", "agent", "completed"],
        ["agent:1:tool:1", "tool:check_instance_status", "completed"],
        ["agent:1:tool:2", "tool:send_whatsapp", "completed"]
      ])
      expect(world.messenger.sent[0]?.idempotencyKey).toBe(`${outcome.executionId}:agent:1:tool:2`)
      expect(outcome.output).toMatchObject({ agent: { reply: "Enviei uma saudação", structured: { confidence: 0.9 } } })
      const events = yield* subscribe(world.bus, outcome.executionId).pipe(Stream.runCollect)
      const tokens = [...events].flatMap((d) => (d.event.type === "token" ? [d.event.content] : []))
      expect(tokens.join("")).toBe("Enviei uma saudação")
      expect([...events].some((d) => d.event.type === "message" && d.event.content.content === "Enviei uma saudação")).toBe(true)
    }))

  it.effect("agent: a failing tool is an error step and its text goes back to the model", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "agent", type: "agent", config: { model: "gpt-4o", tools: ["send_whatsapp"] } }],
        [{ from: "trigger", to: "agent" }]
      )
      const script = [{ toolCalls: [{ name: "send_whatsapp" as const, args: { message: "Olá!" } }], reply: "Desculpe" }]
      const { outcome, execution } = yield* runDocument(doc, request(), { agent: script, failSend: () => "LivChat answered 400: invalid phone" })
      expect(outcome.status).toBe("completed")
      const tool = execution.steps.find((s) => s.stepName === "tool:send_whatsapp")
      expect(tool?.status).toBe("error")
      expect(tool?.error).toContain("invalid phone")
      expect((outcome.output as { agent: { toolCalls: Array<{ result: string }> } }).agent.toolCalls[0]?.result).toContain("invalid phone")
    }))

  it.effect("agent without a configured provider fails the step naming the variables to set", () =>
    Effect.gen(function* () {
      const doc = { name: "x", agent: { model: "gpt-4o" } }
      const { outcome } = yield* runDocument(doc)
      expect(outcome.status).toBe("error")
      expect(outcome.error?.code).toBe("model_unavailable")
      expect(outcome.error?.message).toContain("OPENAI_API_KEY")
    }))
})

