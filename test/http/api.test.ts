import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either, Schedule } from "effect"
import { request as httpRequest } from "node:http"
import { ADMIN_TOKEN, baseUrl, clientWith, newOrganization, raw, testService } from "../support/server.ts"

const sendGraph = (extra: { readonly isActive?: boolean; readonly trigger?: { readonly type: "manual" } } = {}) => ({
  name: "echo",
  graph: {
    nodes: [{ id: "trigger", type: "trigger" }, { id: "send", type: "send", config: { message: "Você disse: {{input.aggregatedInput}}" } }],
    edges: [{ from: "trigger", to: "send" }]
  },
  ...extra
} as const)
const run = { threadId: "5511999", input: { messages: [{ content: "oi" }], sender: { phone: "5511999" } }, context: { instanceId: "inst-1" } }

/** Polls `self` until `done` holds (at most ~5 s): no bare sleeps. */
const eventually = <A, E, R>(self: Effect.Effect<A, E, R>, done: (a: A) => boolean) =>
  self.pipe(
    Effect.filterOrFail(done, () => "not yet" as const),
    Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 })
  )

describe("the HTTP API", () => {
  layer(testService(), { timeout: "30 seconds" })((it) => {
    it.effect("/health and /ready need no auth", () =>
      Effect.gen(function* () {
        expect((yield* raw("/health")).json).toEqual({ status: "ok" })
        expect((yield* raw("/ready")).json).toEqual({ status: "ready", checks: {} })
      }))

    it.effect("admin: create a key (shown once), list without the key, revoke → the key stops working at once", () =>
      Effect.gen(function* () {
        const admin = yield* clientWith(ADMIN_TOKEN)
        const { organizationId, key, keyId, client } = yield* newOrganization
        expect(key).toMatch(/^ast_[A-Za-z0-9_-]{43}$/)
        expect((yield* client.workflows.list({ urlParams: {} })).items).toEqual([])
        const listed = yield* admin.admin.listApiKeys({ urlParams: { organizationId } })
        expect(listed.items).toHaveLength(1)
        expect(listed.items[0]).toMatchObject({ id: keyId, organizationId, name: "test", prefix: key.slice(0, 12), revokedAt: null })
        expect(listed.items[0]?.lastUsedAt).not.toBeNull()
        expect(JSON.stringify(listed)).not.toContain(key)
        yield* admin.admin.revokeApiKey({ path: { id: keyId } })
        const after = yield* raw("/api/v1/workflows", { key })
        expect([after.status, after.json.code]).toEqual([401, "unauthorized"])
        const again = yield* raw(`/api/v1/admin/api-keys/${keyId}`, { method: "DELETE", key: ADMIN_TOKEN })
        expect(again.status).toBe(404)
      }))

    it.effect("admin endpoints refuse anything but the admin token; API keys are not admin tokens", () =>
      Effect.gen(function* () {
        const { key } = yield* newOrganization
        for (const token of [undefined, "wrong", key]) {
          const response = yield* raw("/api/v1/admin/api-keys?organizationId=x", token === undefined ? {} : { key: token })
          expect([response.status, response.headers.get("content-type"), response.json.code]).toEqual([401, "application/problem+json", "unauthorized"])
        }
      }))

    it.effect("missing, malformed and unknown keys are 401 problems", () =>
      Effect.gen(function* () {
        for (const headers of [{}, { authorization: "Bearer nope" }, { authorization: `Bearer ast_${"A".repeat(43)}` }, { authorization: "Basic eDp5" }]) {
          const response = yield* raw("/api/v1/workflows", { headers })
          expect([response.status, response.json.code, response.json.status]).toEqual([401, "unauthorized", 401])
        }
      }))

    it.effect("execute answers when the run ends; trigger answers 202 at once and the execution completes", () =>
      Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: sendGraph() })
        const executed = yield* client.runs.execute({ path: { id: wf.id }, payload: run })
        expect(executed).toMatchObject({ status: "completed", output: { send: { messageId: expect.any(String) } } })
        const triggered = yield* client.runs.trigger({ path: { id: wf.id }, payload: run })
        expect(triggered.status).toBe("triggered")
        const done = yield* eventually(client.executions.get({ path: { id: triggered.executionId } }), (e) => e.status === "completed")
        expect(done.steps.map((s) => [s.nodeId, s.status])).toEqual([["accumulator", "completed"], ["trigger", "completed"], ["send", "completed"]])
        expect(done.input).toMatchObject({ threadId: "5511999", input: { aggregatedInput: "oi" } })
      }))

    it.effect("an inactive workflow is 409 workflow_inactive; a manual one cannot be triggered (409) but executes", () =>
      Effect.gen(function* () {
        const { client, key } = yield* newOrganization
        const inactive = yield* client.workflows.create({ payload: sendGraph({ isActive: false }) })
        const refused = yield* raw(`/api/v1/workflows/${inactive.id}/trigger`, { method: "POST", key, body: JSON.stringify(run) })
        expect([refused.status, refused.json.code]).toEqual([409, "workflow_inactive"])
        const manual = yield* client.workflows.create({ payload: sendGraph({ trigger: { type: "manual" } }) })
        const viaTrigger = yield* raw(`/api/v1/workflows/${manual.id}/trigger`, { method: "POST", key, body: JSON.stringify(run) })
        expect([viaTrigger.status, viaTrigger.json.code]).toEqual([409, "trigger_not_allowed"])
        expect((yield* client.runs.execute({ path: { id: manual.id }, payload: run })).status).toBe("completed")
      }))

    it.effect("run requests: every bad field is an issue with its path; livchatApiKey is never stored", () =>
      Effect.gen(function* () {
        const { client, key } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: sendGraph() })
        const bad = yield* raw(`/api/v1/workflows/${wf.id}/execute`, { method: "POST", key, body: JSON.stringify({ threadId: "", input: { messages: [{ content: 1 }, {}] } }) })
        expect(bad.status).toBe(400)
        expect(bad.json.code).toBe("validation_error")
        expect(bad.json.issues.map((i: { path: Array<unknown> }) => i.path)).toEqual([["threadId"], ["input", "messages", 0, "content"], ["input", "messages", 1, "content"]])
        const secret = "lc_test_NEVER_STORED_123456"
        const done = yield* client.runs.execute({ path: { id: wf.id }, payload: { ...run, context: { instanceId: "i", livchatApiKey: secret } } })
        const execution = yield* client.executions.get({ path: { id: done.executionId } })
        expect(JSON.stringify(execution)).not.toContain(secret)
      }))

    it.effect("executions: list newest first with filters and a cursor, get, soft delete; another organization sees none", () =>
      Effect.gen(function* () {
        const { client } = yield* newOrganization
        const stranger = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: sendGraph() })
        const ids: Array<string> = []
        for (const threadId of ["a", "b", "a"]) ids.push((yield* client.runs.execute({ path: { id: wf.id }, payload: { ...run, threadId } })).executionId)
        const all = yield* client.executions.list({ urlParams: { limit: 2 } })
        const rest = yield* client.executions.list({ urlParams: { limit: 2, cursor: all.nextCursor! } })
        expect([...all.items, ...rest.items].map((e) => e.id).sort()).toEqual([...ids].sort())
        expect(rest.nextCursor).toBeNull()
        expect((yield* client.executions.list({ urlParams: { threadId: "a" } })).items.map((e) => e.id).sort()).toEqual([ids[0], ids[2]].sort())
        expect((yield* client.executions.list({ urlParams: { workflowId: wf.id, status: "completed" } })).items).toHaveLength(3)
        expect((yield* stranger.client.executions.list({ urlParams: {} })).items).toEqual([])
        const foreign = yield* stranger.client.executions.get({ path: { id: ids[0]! } }).pipe(Effect.either)
        expect(Either.isLeft(foreign) && foreign.left).toMatchObject({ status: 404 })
        yield* client.executions.delete({ path: { id: ids[0]! } })
        const gone = yield* client.executions.get({ path: { id: ids[0]! } }).pipe(Effect.either)
        expect(Either.isLeft(gone) && gone.left).toMatchObject({ status: 404, code: "not_found" })
      }))

    it.effect("a deleted workflow's executions stay readable", () =>
      Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: sendGraph() })
        const { executionId } = yield* client.runs.execute({ path: { id: wf.id }, payload: run })
        yield* client.workflows.delete({ path: { id: wf.id } })
        expect((yield* client.executions.get({ path: { id: executionId } })).workflowId).toBe(wf.id)
      }))

    it.effect("threads: create, get, messages, resume, delete; per organization", () =>
      Effect.gen(function* () {
        const { client } = yield* newOrganization
        const stranger = yield* newOrganization
        const thread = yield* client.threads.create({ payload: { threadId: "5511777", metadata: { name: "Ana" } } })
        expect(thread).toMatchObject({ threadId: "5511777", status: "active", messageCount: 0, metadata: { name: "Ana" } })
        expect(yield* client.threads.get({ path: { threadId: "5511777" } })).toMatchObject({ threadId: "5511777" })
        expect((yield* client.threads.messages({ path: { threadId: "5511777" } })).items).toEqual([])
        expect((yield* client.threads.resume({ path: { threadId: "5511777" } })).status).toBe("active")
        const foreign = yield* stranger.client.threads.get({ path: { threadId: "5511777" } }).pipe(Effect.either)
        expect(Either.isLeft(foreign) && foreign.left).toMatchObject({ status: 404 })
        yield* client.threads.delete({ path: { threadId: "5511777" } })
        const gone = yield* client.threads.get({ path: { threadId: "5511777" } }).pipe(Effect.either)
        expect(Either.isLeft(gone) && gone.left).toMatchObject({ status: 404 })
        const generated = yield* client.threads.create({ payload: {} })
        expect(generated.threadId).toMatch(/^[0-9a-f-]{36}$/)
      }))

    it.effect("framework errors are problems too: malformed JSON, unknown route, wrong method, body over 1 MiB", () =>
      Effect.gen(function* () {
        const { key } = yield* newOrganization
        const malformed = yield* raw("/api/v1/workflows", { method: "POST", key, body: "{\"name\":" })
        expect([malformed.status, malformed.json.code]).toEqual([400, "invalid_json"])
        const unknown = yield* raw("/api/v1/nothing-here", { key })
        expect([unknown.status, unknown.json.code]).toEqual([404, "not_found"])
        const wrongMethod = yield* raw("/api/v1/workflows", { method: "PATCH", key, body: "{}" })
        expect([wrongMethod.status, wrongMethod.json.code, wrongMethod.headers.get("allow")]).toEqual([405, "method_not_allowed", "POST, GET"])
        const huge = yield* raw("/api/v1/workflows", { method: "POST", key, body: JSON.stringify({ name: "x".repeat(1024 * 1024 + 10) }) })
        expect([huge.status, huge.json.code]).toEqual([413, "payload_too_large"])
        for (const r of [malformed, unknown, wrongMethod, huge]) {
          expect(r.headers.get("content-type")).toBe("application/problem+json")
          expect(r.json).toMatchObject({ type: expect.stringMatching(/^urn:ast:problem:/), title: expect.any(String), detail: expect.any(String) })
          expect(r.headers.get("x-correlation-id")).toMatch(/^[0-9a-f-]{36}$/)
          expect(r.text).not.toMatch(/at .*\.ts:\d+/)
        }
      }))

    it.effect("a chunked body that grows past 1 MiB is not read further: the connection is cut, nothing is created", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const url = new URL(yield* baseUrl)
        // Without Content-Length the size is known only while reading: the server stops at 1 MiB and closes.
        const outcome = yield* Effect.async<string>((resume) => {
          const request = httpRequest({ host: url.hostname, port: url.port, path: "/api/v1/workflows", method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "transfer-encoding": "chunked" } }, (response) => {
            response.resume()
            response.on("end", () => resume(Effect.succeed(`status ${response.statusCode}`)))
          })
          request.on("error", () => resume(Effect.succeed("connection closed")))
          request.write("{\"name\":\"")
          const chunk = "x".repeat(64 * 1024)
          for (let i = 0; i < 20; i++) request.write(chunk)
          request.end("\"}")
        }).pipe(Effect.timeout("10 seconds"))
        expect(["status 413", "connection closed"]).toContain(outcome)
        expect((yield* client.workflows.list({ urlParams: {} })).items).toEqual([])
      }))

    it.effect("/openapi.json describes every endpoint with its auth and error responses; /docs renders it", () =>
      Effect.gen(function* () {
        const spec = (yield* raw("/openapi.json")).json
        const operations = Object.entries(spec.paths as Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>)
          .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
        expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual([
          "DELETE /api/v1/admin/api-keys/{id}", "DELETE /api/v1/executions/{id}", "DELETE /api/v1/knowledge/documents/{id}", "DELETE /api/v1/threads/{threadId}",
          "DELETE /api/v1/workflows/{id}", "GET /api/v1/admin/api-keys", "GET /api/v1/executions", "GET /api/v1/executions/{id}",
          "GET /api/v1/executions/{id}/events", "GET /api/v1/knowledge/documents", "GET /api/v1/schema/workflow", "GET /api/v1/threads/{threadId}",
          "GET /api/v1/threads/{threadId}/messages", "GET /api/v1/workflows", "GET /api/v1/workflows/{id}", "GET /health", "GET /metrics", "GET /ready",
          "POST /api/v1/admin/api-keys", "POST /api/v1/knowledge/documents", "POST /api/v1/knowledge/search", "POST /api/v1/threads", "POST /api/v1/threads/{threadId}/resume", "POST /api/v1/workflows",
          "POST /api/v1/workflows/{id}/execute", "POST /api/v1/workflows/{id}/stream", "POST /api/v1/workflows/{id}/trigger",
          "PUT /api/v1/workflows/{id}"
        ])
        for (const { path, op } of operations) {
          if (path.startsWith("/api/v1")) {
            expect(op.security, path).toEqual([{ bearer: [] }])
            expect(Object.keys(op.responses), path).toEqual(expect.arrayContaining(["400", "401", "404", "503"]))
          }
        }
        const docs = yield* raw("/docs")
        expect(docs.status).toBe(200)
        expect(docs.headers.get("content-type")).toContain("text/html")
      }))
  })
})

describe("admin endpoints without AST_ADMIN_TOKEN", () => {
  layer(testService({ adminToken: null }), { timeout: "30 seconds" })((it) => {
    it.effect("answer 401 whatever token is given", () =>
      Effect.gen(function* () {
        const response = yield* raw("/api/v1/admin/api-keys", { method: "POST", key: ADMIN_TOKEN, body: JSON.stringify({ organizationId: "x" }) })
        expect([response.status, response.json.code]).toEqual([401, "unauthorized"])
        expect(response.json.detail).toContain("AST_ADMIN_TOKEN")
      }))
  })
})
