import { describe, expect, layer } from "@effect/vitest"
import { Effect, Either } from "effect"
import { newOrganization, raw, testService } from "../support/server.ts"

const echoGraph = {
  name: "echo",
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "send", type: "send", config: { message: "Você disse: {{input.aggregatedInput}}" } }
    ],
    edges: [{ from: "trigger", to: "send" }]
  }
} as const

describe("workflows over HTTP", () => {
  layer(testService(), { timeout: "30 seconds" })((it) => {
    it.effect("create (201, shorthand compiled), get, list with a cursor, replace bumps version, delete → 404", () =>
      Effect.gen(function* () {
        const { client } = yield* newOrganization
        const created = yield* client.workflows.create({ payload: { name: "Suporte", agent: { model: "gpt-4o", tools: ["search_docs"] } } })
        expect(created.version).toBe(1)
        expect(created.graph.edges).toEqual([{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }])
        expect(yield* client.workflows.get({ path: { id: created.id } })).toEqual(created)
        const second = yield* client.workflows.create({ payload: echoGraph })
        const third = yield* client.workflows.create({ payload: echoGraph })
        // Newest first; workflows created in the same millisecond are ordered by id.
        const newestFirst = [created, second, third]
          .sort((a, b) => b.createdAt.epochMillis - a.createdAt.epochMillis || b.id.localeCompare(a.id)).map((w) => w.id)
        const page1 = yield* client.workflows.list({ urlParams: { limit: 2 } })
        expect(page1.items.map((w) => w.id)).toEqual(newestFirst.slice(0, 2))
        const page2 = yield* client.workflows.list({ urlParams: { limit: 2, cursor: page1.nextCursor! } })
        expect([page2.items.map((w) => w.id), page2.nextCursor]).toEqual([newestFirst.slice(2), null])
        const replaced = yield* client.workflows.replace({ path: { id: second.id }, payload: { ...echoGraph, name: "echo v2" } })
        expect([replaced.version, replaced.name, replaced.createdAt]).toEqual([2, "echo v2", second.createdAt])
        yield* client.workflows.delete({ path: { id: second.id } })
        const gone = yield* client.workflows.get({ path: { id: second.id } }).pipe(Effect.either)
        expect(Either.isLeft(gone) && gone.left).toMatchObject({ status: 404, code: "not_found" })
      }))

    it.effect("an invalid document is a 400 problem listing every issue with its path", () =>
      Effect.gen(function* () {
        const { key } = yield* newOrganization
        const bad = { name: "x", graph: { nodes: [{ id: "trigger", type: "trigger" }, { id: "s", type: "send", config: { message: "oi" } }], edges: [{ from: "trigger", to: "s" }, { from: "s", to: "sned" }] }, agent: { model: "gpt-4o", tools: ["check_status"] } }
        const response = yield* raw("/api/v1/workflows", { method: "POST", key, body: JSON.stringify(bad) })
        expect(response.status).toBe(400)
        expect(response.headers.get("content-type")).toBe("application/problem+json")
        expect(response.json).toMatchObject({ status: 400, code: "validation_error", title: "Bad Request" })
        expect(response.json.issues).toEqual(expect.arrayContaining([
          { path: ["agent", "tools", 0], message: expect.stringContaining("unknown tool \"check_status\"") }
        ]))
        const graphOnly = yield* raw("/api/v1/workflows", { method: "POST", key, body: JSON.stringify({ ...bad, agent: undefined }) })
        expect(graphOnly.json.issues).toEqual([{ path: ["graph", "edges", 1, "to"], message: "unknown node 'sned'" }])
      }))

    it.effect("another organization's workflow is 404 for every verb, never 403", () =>
      Effect.gen(function* () {
        const owner = yield* newOrganization
        const stranger = yield* newOrganization
        const wf = yield* owner.client.workflows.create({ payload: echoGraph })
        for (const [method, path, body] of [
          ["GET", `/api/v1/workflows/${wf.id}`, undefined],
          ["PUT", `/api/v1/workflows/${wf.id}`, echoGraph],
          ["DELETE", `/api/v1/workflows/${wf.id}`, undefined],
          ["POST", `/api/v1/workflows/${wf.id}/execute`, { threadId: "t" }],
          ["POST", `/api/v1/workflows/${wf.id}/trigger`, { threadId: "t" }],
          ["GET", "/api/v1/workflows/not-a-uuid", undefined]
        ] as const) {
          const response = yield* raw(path, { method, key: stranger.key, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
          expect([method, path, response.status, response.json?.code]).toEqual([method, path, 404, "not_found"])
        }
        expect((yield* owner.client.workflows.get({ path: { id: wf.id } })).id).toBe(wf.id)
      }))

    it.effect("GET /api/v1/schema/workflow is the generated JSON Schema", () =>
      Effect.gen(function* () {
        const { key } = yield* newOrganization
        const response = yield* raw("/api/v1/schema/workflow", { key })
        expect(response.status).toBe(200)
        expect(response.json.title).toBe("AST workflow document")
        expect(response.json.required).toEqual(["name"])
      }))
  })
})
