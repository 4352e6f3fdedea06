import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { corpus, titleOf } from "../contract/KnowledgeBase.contract.ts"
import { agentService, executeAndRead, providersFor, replyWorkflow, say, stores } from "../adapters/langgraph/support.ts"
import { fakeOpenAI } from "../support/fakeModels.ts"
import { newOrganization, raw, testService } from "../support/server.ts"

type Organization = Effect.Effect.Success<typeof newOrganization>

/** The FAQ corpus added through the API, in collection `faq`. */
const addCorpus = (org: Organization) =>
  Effect.forEach(corpus, (d) => org.client.knowledge.addDocument({ payload: { title: d.title, content: d.content, collection: "faq", metadata: { file: d.file } } }))

const post = (path: string, key: string, body: unknown) => raw(path, { method: "POST", key, body: typeof body === "string" ? body : JSON.stringify(body) })

describe("the knowledge API", () => {
  layer(testService(), { timeout: "30 seconds" })((it) => {
    it.effect("add → 201 {id, chunks}; list newest first, per collection; search best first; delete → 204, then 404", () =>
      Effect.gen(function* () {
        const org = yield* newOrganization
        const created = yield* post("/api/v1/knowledge/documents", org.key, { title: "Horário", content: "Atendemos de segunda a sexta, das 9h às 18h." })
        expect([created.status, Object.keys(created.json).sort(), created.json.chunks]).toEqual([201, ["chunks", "id"], 1])
        yield* addCorpus(org)
        const all = yield* org.client.knowledge.listDocuments({ urlParams: {} })
        expect(all.items).toHaveLength(corpus.length + 1)
        expect(all.items.find((d) => d.id === created.json.id)).toEqual({ id: created.json.id, title: "Horário", collection: "default", metadata: {}, chunks: 1, createdAt: expect.any(String) })
        expect(all.items.map((d) => d.createdAt)).toEqual(all.items.map((d) => d.createdAt).sort().reverse())
        expect((yield* org.client.knowledge.listDocuments({ urlParams: { collection: "faq" } })).items).toHaveLength(corpus.length)
        expect((yield* raw("/api/v1/knowledge/documents?collection=", { key: org.key })).json.items).toHaveLength(corpus.length + 1)
        const found = yield* org.client.knowledge.search({ payload: { query: "reembolsos", collection: "faq" } })
        expect(found.items[0]).toMatchObject({ documentId: expect.any(String), title: titleOf("reembolso.md"), content: expect.stringContaining("reembolso"), score: expect.any(Number) })
        expect((yield* org.client.knowledge.search({ payload: { query: "shipped refund horário preços", k: 2 } })).items).toHaveLength(2)
        const gone = yield* raw(`/api/v1/knowledge/documents/${created.json.id}`, { method: "DELETE", key: org.key })
        expect([gone.status, gone.text]).toEqual([204, ""])
        const again = yield* raw(`/api/v1/knowledge/documents/${created.json.id}`, { method: "DELETE", key: org.key })
        expect([again.status, again.headers.get("content-type"), again.json.code]).toEqual([404, "application/problem+json", "not_found"])
        expect((yield* org.client.knowledge.search({ payload: { query: "segunda sexta" } })).items.map((h) => h.documentId)).not.toContain(created.json.id)
      }))

    it.effect("another organization's document is 404 (never 403), and never listed or found", () =>
      Effect.gen(function* () {
        const owner = yield* newOrganization
        const stranger = yield* newOrganization
        const [doc] = yield* addCorpus(owner)
        for (const id of [doc!.id, "not-a-uuid"]) {
          const response = yield* raw(`/api/v1/knowledge/documents/${id}`, { method: "DELETE", key: stranger.key })
          expect([id, response.status, response.json.code]).toEqual([id, 404, "not_found"])
        }
        expect((yield* stranger.client.knowledge.listDocuments({ urlParams: {} })).items).toEqual([])
        expect((yield* stranger.client.knowledge.search({ payload: { query: "reembolso refund shipping horário", k: 50 } })).items).toEqual([])
        expect((yield* owner.client.knowledge.listDocuments({ urlParams: {} })).items.map((d) => d.id)).toContain(doc!.id)
        expect((yield* raw("/api/v1/knowledge/documents", { key: "ast_nope" })).status).toBe(401)
      }))

    it.effect("bad requests are problem+json: blank title or content, k out of 1..50, no query, a bad collection, bad JSON, too large", () =>
      Effect.gen(function* () {
        const { key } = yield* newOrganization
        const cases: ReadonlyArray<readonly [string, unknown, ReadonlyArray<ReadonlyArray<string | number>>]> = [
          ["/api/v1/knowledge/documents", { title: "", content: "texto" }, [["title"]]],
          ["/api/v1/knowledge/documents", { title: "   ", content: " \n " }, [["title"], ["content"]]],
          ["/api/v1/knowledge/documents", { title: "ok" }, [["content"]]],
          ["/api/v1/knowledge/documents", { title: "x".repeat(501), content: "texto" }, [["title"]]],
          ["/api/v1/knowledge/documents", { title: "ok", content: "texto", collection: "" }, [["collection"]]],
          ["/api/v1/knowledge/documents", { title: "ok", content: "texto", metadata: [1] }, [["metadata"]]],
          ["/api/v1/knowledge/search", { query: "oi", k: 0 }, [["k"]]],
          ["/api/v1/knowledge/search", { query: "oi", k: 51 }, [["k"]]],
          ["/api/v1/knowledge/search", { query: "oi", k: 2.5 }, [["k"]]],
          ["/api/v1/knowledge/search", { query: " " }, [["query"]]],
          ["/api/v1/knowledge/search", { k: 5 }, [["query"]]]
        ]
        for (const [path, body, paths] of cases) {
          const response = yield* post(path, key, body)
          expect([path, body, response.status, response.headers.get("content-type"), response.json.code]).toEqual([path, body, 400, "application/problem+json", "validation_error"])
          expect(response.json.issues.map((i: { path: Array<string | number> }) => i.path)).toEqual(paths)
        }
        const malformed = yield* post("/api/v1/knowledge/search", key, "{\"query\": ")
        expect([malformed.status, malformed.json.code]).toEqual([400, "invalid_json"])
        const huge = yield* post("/api/v1/knowledge/documents", key, { title: "grande", content: "a ".repeat(600_000) })
        expect([huge.status, huge.headers.get("content-type"), huge.json.code]).toEqual([413, "application/problem+json", "payload_too_large"])
      }))

    it.effect("/openapi.json describes the knowledge endpoints", () =>
      Effect.gen(function* () {
        const { paths } = (yield* raw("/openapi.json")).json
        expect(Object.keys(paths["/api/v1/knowledge/documents"]).sort()).toEqual(["get", "post"])
        expect(Object.keys(paths["/api/v1/knowledge/documents/{id}"])).toEqual(["delete"])
        expect(Object.keys(paths["/api/v1/knowledge/search"])).toEqual(["post"])
        expect(paths["/api/v1/knowledge/documents"].post.responses["201"]).toBeDefined()
      }))
  })
})

describe("search_docs on PGlite: the agent reads what the API stored, for its own organization only", () => {
  it.live("the tool gets the best chunks with their titles, and another organization's documents never", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([
        { toolCalls: [{ name: "search_docs", args: { query: "reembolsos" } }] },
        { content: "Você tem 7 dias para pedir o reembolso." }
      ])
      yield* Effect.gen(function* () {
        const owner = yield* newOrganization
        const stranger = yield* newOrganization
        yield* addCorpus(owner)
        yield* stranger.client.knowledge.addDocument({ payload: { title: "Reembolso secreto", content: "Reembolsos da outra organização." } })
        const wf = yield* owner.client.workflows.create({ payload: replyWorkflow({ tools: ["search_docs"] }) })
        const execution = yield* executeAndRead(owner.client, wf.id, say("5511777", "como peço reembolso?"))
        expect(execution.steps.map((s) => `${s.stepName}:${s.status}`)).toEqual(["trigger:completed", "agent:completed", "tool:search_docs:completed", "send:completed"])
        const results = (execution.steps[2]?.output as { results: Array<{ title: string; content: string }> }).results
        expect(results[0]?.title).toBe(titleOf("reembolso.md"))
        expect(results.length).toBeLessThanOrEqual(5)
        expect(results.map((r) => r.title)).not.toContain("Reembolso secreto")
        const toolMessage = (model.requests[1]?.body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "tool")
        expect(toolMessage?.content).toContain(titleOf("reembolso.md"))
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }), { persistence: stores.pglite() })))
    }).pipe(Effect.scoped), { timeout: 90_000 })
})
