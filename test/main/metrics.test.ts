import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { call, type Instance, startInstance, stopInstance } from "../support/instances.ts"
import { parsePrometheusText, valueOf } from "../support/prometheusText.ts"

const adminToken = "metrics-admin-token"

/** trigger → condition → send (true) / escalate (false): every run completes trigger, condition and send and skips escalate. */
const branchingWorkflow = (accumulator: Record<string, unknown> | undefined) => ({
  name: "metrics",
  trigger: { type: "webhook" },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger", config: accumulator === undefined ? {} : { accumulator } },
      { id: "known", type: "condition", config: { if: { "!!": [{ var: "input.sender.name" }] } } },
      { id: "send", type: "send", config: { message: "oi {{input.sender.name}}" } },
      { id: "escalate", type: "escalate", config: { reason: "no name" } }
    ],
    edges: [
      { from: "trigger", to: "known" },
      { from: "known", to: "send", when: "true" },
      { from: "known", to: "escalate", when: "false" }
    ]
  }
})

const runRequest = (threadId: string, messageId: string) => ({
  threadId,
  input: { messages: [{ id: messageId, content: "oi" }], sender: { phone: threadId, name: "Ana" } }
})

const waitUntilEnded = async (instance: Instance, key: string, executionId: string, deadlineMs = 20_000) => {
  const until = Date.now() + deadlineMs
  for (;;) {
    const execution = await call(instance, `/api/v1/executions/${executionId}`, { key })
    if (["completed", "error", "skipped"].includes(execution.json.status)) return execution.json
    if (Date.now() > until) throw new Error(`execution ${executionId} still ${execution.json.status} after ${deadlineMs} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("GET /metrics (CONTRACT §8): Prometheus text of what the service did", () => {
  it.live("requests by route template, triggers and duplicates, a flushed burst, executions, node runs and the queue's depth, from `npm start` on the embedded database", () =>
    Effect.gen(function* () {
      const dataDir = yield* Effect.acquireRelease(Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-metrics-"))), (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const instance = yield* Effect.acquireRelease(
        Effect.promise(() => startInstance("metrics", { AST_DATA_DIR: dataDir, AST_ADMIN_TOKEN: adminToken }, 90_000)),
        (i) => Effect.promise(() => stopInstance(i, "SIGKILL"))
      )
      const seen = yield* Effect.promise(async () => {
        const key: string = (await call(instance, "/api/v1/admin/api-keys", { key: adminToken, body: { organizationId: "org-metrics" } })).json.key
        const now = (await call(instance, "/api/v1/workflows", { key, body: branchingWorkflow(undefined) })).json.id as string
        const quick = (await call(instance, "/api/v1/workflows", { key, body: branchingWorkflow({ timeoutSeconds: 0.2, maxWaitSeconds: 2 }) })).json.id as string
        const slow = (await call(instance, "/api/v1/workflows", { key, body: branchingWorkflow({ timeoutSeconds: 300, maxWaitSeconds: 600 }) })).json.id as string

        const executed = await call(instance, `/api/v1/workflows/${now}/execute`, { key, body: runRequest("5511000000031", "wamid-m-1") })
        expect(executed.json.status).toBe("completed")
        const triggered = await call(instance, `/api/v1/workflows/${quick}/trigger`, { key, body: runRequest("5511000000032", "wamid-m-2") })
        const again = await call(instance, `/api/v1/workflows/${quick}/trigger`, { key, body: runRequest("5511000000032", "wamid-m-2") })
        expect([triggered.status, again.status, again.json.status]).toEqual([202, 200, "duplicate"])
        expect(await waitUntilEnded(instance, key, triggered.json.executionId)).toMatchObject({ status: "completed" })
        // This burst waits 300 s: it is the one delayed job when /metrics is read.
        expect((await call(instance, `/api/v1/workflows/${slow}/trigger`, { key, body: runRequest("5511000000033", "wamid-m-3") })).status).toBe(202)

        expect((await call(instance, `/api/v1/workflows/${now}`, { key })).status).toBe(200)
        expect((await call(instance, `/api/v1/workflows/${quick}`, { key })).status).toBe(200)
        const unknownId = crypto.randomUUID()
        expect((await call(instance, `/api/v1/workflows/${unknownId}`, { key })).status).toBe(404)
        expect((await call(instance, `/no/such/${unknownId}`)).status).toBe(404)
        const ids = [now, quick, slow, unknownId, triggered.json.executionId as string, executed.json.executionId as string]

        // No key: /metrics is public, like /health.
        const response = await fetch(`${instance.url}/metrics`)
        return { ids, status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
      })

      expect(seen.status).toBe(200)
      expect(seen.contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
      const metrics = parsePrometheusText(seen.text)
      // Route templates, never a raw path: no id of any kind is a label value.
      for (const id of seen.ids) expect(seen.text).not.toContain(id)

      const requests = (labels: Record<string, string>) => valueOf(metrics, "ast_http_requests_total", labels)
      expect(metrics.get("ast_http_requests_total")?.type).toBe("counter")
      expect(requests({ method: "GET", route: "/api/v1/workflows/:id", status: "200" })).toBe(2)
      expect(requests({ method: "GET", route: "/api/v1/workflows/:id", status: "404" })).toBe(1)
      expect(requests({ method: "POST", route: "/api/v1/workflows", status: "201" })).toBe(3)
      expect(requests({ method: "POST", route: "/api/v1/workflows/:id/execute", status: "200" })).toBe(1)
      expect(requests({ method: "POST", route: "/api/v1/workflows/:id/trigger", status: "202" })).toBe(2)
      expect(requests({ method: "POST", route: "/api/v1/workflows/:id/trigger", status: "200" })).toBe(1)
      expect(requests({ method: "POST", route: "/api/v1/admin/api-keys", status: "201" })).toBe(1)
      expect(requests({ method: "GET", route: "unmatched", status: "404" })).toBe(1)
      expect(valueOf(metrics, "ast_http_request_duration_seconds_count", { method: "GET", route: "/api/v1/workflows/:id", status: "200" })).toBe(2)
      expect(metrics.get("ast_http_request_duration_seconds")?.type).toBe("histogram")

      expect(valueOf(metrics, "ast_triggers_total", { outcome: "accepted" })).toBe(2)
      expect(valueOf(metrics, "ast_triggers_total", { outcome: "duplicate" })).toBe(1)
      expect(valueOf(metrics, "ast_bursts_flushed_total")).toBe(1)
      expect(valueOf(metrics, "ast_burst_flush_lateness_seconds_count")).toBe(1)

      expect(valueOf(metrics, "ast_executions_total", { status: "completed" })).toBe(2)
      expect(valueOf(metrics, "ast_execution_duration_seconds_count", { status: "completed" })).toBe(2)
      expect(valueOf(metrics, "ast_execution_duration_seconds_sum", { status: "completed" })).toBeGreaterThan(0)
      for (const nodeType of ["trigger", "condition", "send"]) {
        expect(valueOf(metrics, "ast_node_runs_total", { node_type: nodeType, status: "completed" }), nodeType).toBe(2)
      }
      // Durations are kept for the nodes that wait (send, agent, http...), not for pure ones that run in microseconds.
      expect(valueOf(metrics, "ast_node_duration_seconds_count", { node_type: "send" })).toBe(2)
      expect(valueOf(metrics, "ast_node_duration_seconds_count", { node_type: "condition" })).toBeUndefined()
      expect(valueOf(metrics, "ast_node_runs_total", { node_type: "escalate", status: "skipped" })).toBe(2)

      expect(metrics.get("ast_queue_depth")?.type).toBe("gauge")
      expect([
        valueOf(metrics, "ast_queue_depth", { state: "waiting" }),
        valueOf(metrics, "ast_queue_depth", { state: "delayed" }),
        valueOf(metrics, "ast_queue_depth", { state: "active" })
      ]).toEqual([0, 1, 0])
      expect([...metrics.keys()].every((name) => name.startsWith("ast_"))).toBe(true)
    }).pipe(Effect.scoped), { timeout: 150_000 })
})
