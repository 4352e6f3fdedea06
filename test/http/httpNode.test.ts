import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer } from "node:http"
import { newOrganization, testService } from "../support/server.ts"

const callCrm = (url: string) => ({
  name: "crm",
  graph: {
    nodes: [{ id: "trigger", type: "trigger" }, { id: "crm", type: "http", config: { method: "POST", url, body: { said: "{{input.aggregatedInput}}" } } }],
    edges: [{ from: "trigger", to: "crm" }]
  }
} as const)

const crmServer = Effect.acquireRelease(
  Effect.promise(() => new Promise<{ url: string; close: () => void }>((resolve) => {
    const server = createServer((req, res) => {
      let body = ""
      req.on("data", (c) => (body += c))
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ got: JSON.parse(body) })))
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as { port: number }
      resolve({ url: `http://127.0.0.1:${address.port}/contacts`, close: () => server.close() })
    })
  })),
  (s) => Effect.sync(s.close)
)

const run = { threadId: "t", input: { messages: [{ content: "oi" }] } }

describe("the http node through the service", () => {
  it.live("a loopback target is refused by default (SSRF guard) and reached once AST_HTTP_ALLOW lists it", () =>
    Effect.gen(function* () {
      const crm = yield* crmServer
      const refused = yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: callCrm(crm.url) })
        return yield* client.runs.execute({ path: { id: wf.id }, payload: run })
      }).pipe(Effect.provide(testService()))
      expect(refused.status).toBe("error")
      expect(refused.error).toMatchObject({ code: "http_failed", nodeId: "crm" })
      expect(refused.error?.message).toContain("AST_HTTP_ALLOW")

      const allowed = yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: callCrm(crm.url) })
        return yield* client.runs.execute({ path: { id: wf.id }, payload: run })
      }).pipe(Effect.provide(testService({ serviceOptions: { httpAllow: ["127.0.0.1"] } })))
      expect(allowed).toMatchObject({ status: "completed", output: { crm: { status: 200, body: { got: { said: "oi" } } } } })
    }).pipe(Effect.scoped), { timeout: 30_000 })
})
