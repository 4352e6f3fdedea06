import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type ReceivedSpan, startFakeCollector } from "../support/fakeCollector.ts"
import { fakeOpenAI } from "../support/fakeModels.ts"
import { call, startInstance, stopInstance } from "../support/instances.ts"
import { parsePrometheusText, valueOf } from "../support/prometheusText.ts"

const adminToken = "tracing-admin-token"

/** trigger → agent (may search the docs) → send the reply. */
const agentWorkflow = {
  name: "tracing",
  trigger: { type: "webhook" },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "agent", type: "agent", config: { model: "openai:gpt-4o-mini", tools: ["search_docs"] } },
      { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } }
    ],
    edges: [{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }]
  }
}

/** Polls until `found` holds over the collector's spans, or fails after the deadline. */
const waitForSpans = async (spans: ReadonlyArray<ReceivedSpan>, found: (spans: ReadonlyArray<ReceivedSpan>) => boolean, deadlineMs = 20_000) => {
  const until = Date.now() + deadlineMs
  while (!found(spans)) {
    if (Date.now() > until) throw new Error(`spans not received within ${deadlineMs} ms; got: ${spans.map((s) => s.name).join(", ")}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("tracing (CONTRACT §1 OTEL_EXPORTER_OTLP_ENDPOINT): spans exported to an OTLP/HTTP collector", () => {
  it.live("one /execute is one trace: request → execution → node → model and tool calls; agent tokens and model latency reach /metrics", () =>
    Effect.gen(function* () {
      const collector = yield* Effect.acquireRelease(Effect.promise(startFakeCollector), (c) => Effect.promise(c.close))
      const model = yield* fakeOpenAI([
        { toolCalls: [{ name: "search_docs", args: { query: "horário" } }] },
        { content: "Atendemos das 8h às 18h." }
      ])
      const dataDir = yield* Effect.acquireRelease(Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-tracing-"))), (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const instance = yield* Effect.acquireRelease(
        Effect.promise(() =>
          startInstance("tracing", {
            AST_DATA_DIR: dataDir,
            AST_ADMIN_TOKEN: adminToken,
            OPENAI_BASE_URL: model.url,
            OPENAI_API_KEY: "sk-tracing-test",
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
            OTEL_SERVICE_NAME: "ast-tracing-test",
            OTEL_BSP_SCHEDULE_DELAY: "200"
          }, 90_000)),
        (i) => Effect.promise(() => stopInstance(i, "SIGKILL"))
      )
      const run = yield* Effect.promise(async () => {
        const key: string = (await call(instance, "/api/v1/admin/api-keys", { key: adminToken, body: { organizationId: "org-tracing" } })).json.key
        const workflow = await call(instance, "/api/v1/workflows", { key, body: agentWorkflow })
        const executed = await call(instance, `/api/v1/workflows/${workflow.json.id}/execute`, {
          key, body: { threadId: "5511000000041", input: { messages: [{ content: "que horas vocês abrem?" }], sender: { phone: "5511000000041", name: "Ana" } } }
        })
        const metrics = parsePrometheusText(await (await fetch(`${instance.url}/metrics`)).text())
        return { key, workflowId: workflow.json.id as string, executed: executed.json, metrics }
      })
      expect(run.executed.status).toBe("completed")
      const executionId: string = run.executed.executionId

      // What was recorded about the agent, by provider.
      expect(valueOf(run.metrics, "ast_agent_tokens_total", { provider: "openai", kind: "input" })).toBeGreaterThan(0)
      expect(valueOf(run.metrics, "ast_agent_tokens_total", { provider: "openai", kind: "output" })).toBeGreaterThan(0)
      expect(valueOf(run.metrics, "ast_model_time_to_first_token_seconds_count", { provider: "openai" })).toBe(2)
      expect(valueOf(run.metrics, "ast_agent_turn_duration_seconds_count", { provider: "openai" })).toBe(1)
      expect(valueOf(run.metrics, "ast_node_runs_total", { node_type: "agent", status: "completed" })).toBe(1)

      const isExecution = (s: ReceivedSpan) => s.name === "ExecuteWorkflow.execute" && s.attributes.executionId === executionId
      yield* Effect.promise(() =>
        waitForSpans(collector.spans, (spans) => spans.some(isExecution) && spans.some((s) => s.name === "Node.send") && spans.some((s) => s.name === "http.server POST")))
      const execution = collector.spans.find(isExecution)!
      const trace = collector.spans.filter((s) => s.traceId === execution.traceId)
      const byId = new Map(trace.map((s) => [s.spanId, s]))
      const parentOf = (span: ReceivedSpan) => (span.parentSpanId === undefined ? undefined : byId.get(span.parentSpanId))
      const ancestorsOf = (span: ReceivedSpan): Array<ReceivedSpan> => {
        const parent = parentOf(span)
        return parent === undefined ? [] : [parent, ...ancestorsOf(parent)]
      }
      const named = (name: string) => trace.filter((s) => s.name === name)

      // The request's span is the root of the trace, and the execution runs inside it.
      const request = ancestorsOf(execution).at(-1)!
      expect(request).toMatchObject({ name: "http.server POST", kind: 2, parentSpanId: undefined })
      expect(request.attributes["url.path"]).toBe(`/api/v1/workflows/${run.workflowId}/execute`)
      expect(request.attributes["http.response.status_code"]).toBe(200)
      // Every node of the graph is a child of the execution.
      for (const nodeType of ["trigger", "agent", "send"]) {
        const [node, ...others] = named(`Node.${nodeType}`)
        expect(others, nodeType).toEqual([])
        expect(parentOf(node!)?.spanId, nodeType).toBe(execution.spanId)
        expect(node!.attributes).toMatchObject({ "ast.node.id": nodeType, "ast.node.type": nodeType, "ast.node.attempt": 1 })
      }
      // The agent node holds its turn; the turn holds one span per model call; the tool call is the node's too.
      const agentNode = named("Node.agent")[0]!
      const turn = named("AgentModel.run")
      expect(turn.map((s) => parentOf(s)?.spanId)).toEqual([agentNode.spanId])
      const modelCalls = named("AgentModel.model")
      expect(modelCalls.map((s) => parentOf(s)?.spanId)).toEqual([turn[0]!.spanId, turn[0]!.spanId])
      expect(modelCalls[0]!.attributes).toMatchObject({ "ast.model.provider": "openai", "ast.model.name": "gpt-4o-mini" })
      const tool = named("Tool.search_docs")
      expect(tool).toHaveLength(1)
      expect(ancestorsOf(tool[0]!).map((s) => s.spanId)).toContain(agentNode.spanId)
      expect(trace.every((s) => s.serviceName === "ast-tracing-test")).toBe(true)
      // Bearer tokens stay out of traces (the platform redacts the header).
      expect(JSON.stringify(trace)).not.toContain(run.key)
      expect(collector.refused).toEqual([])
      expect(instance.output()).toContain(`tracing: spans exported to ${collector.url}/v1/traces`)
    }).pipe(Effect.scoped), { timeout: 150_000 })

  it("an endpoint that is not an http(s) URL stops startup with one line naming the variable", () => {
    const { status, stdout } = spawnSync(process.execPath, ["src/main.ts"], {
      cwd: resolve(import.meta.dirname, "../.."),
      env: { PATH: process.env.PATH ?? "", OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" },
      encoding: "utf8",
      timeout: 30_000
    })
    expect(status).toBe(1)
    expect(stdout.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l).message)).toEqual([
      "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL, the collector's OTLP/HTTP base such as http://localhost:4318 (got \"collector:4318\")",
      "startup stopped: fix the configuration above (CONTRACT §1, README \"Configuration\")"
    ])
  })
})
