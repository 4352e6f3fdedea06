import { describe, expect, it, layer } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Logger, Redacted } from "effect"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { makeEmbeddingsOpenAI } from "../../../src/adapters/openai/Embeddings.ts"
import { makeKnowledgeBasePg } from "../../../src/adapters/postgres/KnowledgeBase.ts"
import { Embeddings } from "../../../src/ports/Embeddings.ts"
import { KnowledgeBase } from "../../../src/ports/KnowledgeBase.ts"
import { documentFor, titleOf, withCorpus } from "../../contract/KnowledgeBase.contract.ts"
import { freshOrg } from "../../contract/fixtures.ts"
import { freshPglite, freshPostgres, skipServices } from "../../support/databases.ts"

/**
 * Words that mean the same thing share a dimension in this fake embedding space, in either language;
 * any other word lands, hashed, in one of the 16 dimensions after them.
 */
const concepts: ReadonlyArray<ReadonlyArray<string>> = [
  ["reembolso", "reembolsos", "estorno", "devolução", "devolvemos", "devolver", "dinheiro", "ressarcimento", "refund", "refunds", "money", "chargeback"],
  ["entrega", "frete", "correios", "enviamos", "shipping", "ship", "parcel", "couriers", "delivery", "remessa"],
  ["horário", "atendemos", "atendimento", "open", "opening", "hours", "expediente"],
  ["preços", "custa", "plano", "valores", "pricing", "costs", "plan", "mensalidade"]
]

const conceptEmbedding = (text: string) => {
  const vector = new Array<number>(concepts.length + 16).fill(0)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const concept = concepts.findIndex((words) => words.includes(word))
    if (concept >= 0) vector[concept]! += 3
    else vector[concepts.length + ([...word].reduce((h, c) => (h * 31 + c.codePointAt(0)!) >>> 0, 7) % 16)]! += 1
  }
  const norm = Math.hypot(...vector) || 1
  return vector.map((x) => x / norm)
}

/** An OpenAI-compatible `/v1/embeddings` on a loopback port, answering with the concept vectors (or 503 while down). */
class ConceptServer extends Context.Tag("test/ConceptServer")<ConceptServer, {
  readonly url: string
  readonly requests: Array<{ readonly model: string; readonly input: ReadonlyArray<string> }>
  readonly setDown: (isDown: boolean) => void
}>() {}

const ConceptServerLive = Layer.scoped(ConceptServer, Effect.acquireRelease(
  Effect.async<ConceptServer["Type"] & { readonly close: () => void }>((resume) => {
    const requests: Array<{ model: string; input: ReadonlyArray<string> }> = []
    let isDown = false
    const server = createServer((req, res) => {
      let body = ""
      req.on("data", (chunk) => (body += chunk))
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/v1/embeddings") return void res.writeHead(404).end()
        if (isDown) return void res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "overloaded" } }))
        const { model, input } = JSON.parse(body) as { model: string; input: string | Array<string> }
        const texts = typeof input === "string" ? [input] : input
        requests.push({ model, input: texts })
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
          object: "list",
          model,
          data: texts.map((text, index) => ({ object: "embedding", index, embedding: conceptEmbedding(text) })),
          usage: { prompt_tokens: 1, total_tokens: 1 }
        }))
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        requests,
        setDown: (down) => void (isDown = down),
        close: () => server.close()
      })))
  }),
  (server) => Effect.sync(() => server.close())
))

const EmbeddingsFake = Layer.effect(Embeddings, Effect.map(ConceptServer, (server) =>
  makeEmbeddingsOpenAI({ model: "openai:fake-concepts", apiKey: Redacted.make("sk-test-not-a-real-key"), baseUrl: server.url, timeout: "20 seconds" })))

/** The adapter as the service builds it, and the same one with no model in context (full-text only). */
const bothSearches = Effect.all({
  hybrid: makeKnowledgeBasePg,
  fullText: makeKnowledgeBasePg.pipe(Effect.mapInputContext(Context.omit(Embeddings)))
})

describe("hybrid knowledge search on PGlite with pgvector and an embeddings model", () => {
  layer(Layer.mergeAll(freshPglite(), EmbeddingsFake.pipe(Layer.provideMerge(ConceptServerLive))), { timeout: "90 seconds" })((it) => {
    it.effect("a query sharing no word with the right documents finds them by meaning; full-text alone finds nothing", () =>
      Effect.gen(function* () {
        const { hybrid, fullText } = yield* bothSearches
        const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, hybrid))
        expect(yield* fullText.search(org, "ressarcimento", 5)).toEqual([])
        const hits = yield* hybrid.search(org, "ressarcimento", 5)
        expect([titleOf("reembolso.md"), titleOf("refunds.md")]).toContain(hits[0]?.title)
      }))

    it.effect("fusion puts a chunk found by words and by meaning first, then those found by meaning alone", () =>
      Effect.gen(function* () {
        const { hybrid, fullText } = yield* bothSearches
        const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, hybrid))
        const byWords = yield* fullText.search(org, "reembolso ressarcimento", 5)
        expect(byWords.map((h) => h.title)).toEqual([titleOf("reembolso.md")])
        const fused = yield* hybrid.search(org, "reembolso ressarcimento", 5)
        expect(fused.slice(0, 2).map((h) => h.title)).toEqual([titleOf("reembolso.md"), titleOf("refunds.md")])
        expect(fused).toHaveLength(5)
        // Reciprocal rank fusion: first in both rankings is 1/61 + 1/61.
        expect(fused[0]!.score).toBeCloseTo(2 / 61, 6)
      }))

    it.effect("each chunk is embedded with its title by the configured model, and the vectors go with the document", () =>
      Effect.gen(function* () {
        const { hybrid } = yield* bothSearches
        const server = yield* ConceptServer
        const sql = yield* PgClient.PgClient
        const org = freshOrg()
        const doc = documentFor(org, { title: "Manual longo", content: Array.from({ length: 40 }, (_, i) => `Passo ${i} da entrega pelos Correios.`).join("\n\n") })
        const before = server.requests.length
        const { chunks } = yield* hybrid.add(doc)
        const sent = server.requests.slice(before)
        expect(sent.map((r) => r.model)).toEqual(["fake-concepts"])
        expect(sent[0]!.input).toHaveLength(chunks)
        expect(sent[0]!.input.every((text) => text.startsWith("Manual longo\n\n"))).toBe(true)
        const count = sql<{ n: number }>`SELECT count(*)::int AS n FROM knowledge_embeddings WHERE document_id = ${doc.id} AND model = 'openai:fake-concepts'`
        expect((yield* count)[0]!.n).toBe(chunks)
        expect(yield* hybrid.remove(org, doc.id)).toBe(true)
        expect((yield* count)[0]!.n).toBe(0)
      }))

    it.effect("documents stored before the model was configured get their vectors from embedMissing, then are found by meaning", () =>
      Effect.gen(function* () {
        const { hybrid, fullText } = yield* bothSearches
        const server = yield* ConceptServer
        const sql = yield* PgClient.PgClient
        // Stored by an instance without AST_EMBEDDINGS_MODEL: chunks, no vectors.
        const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, fullText))
        const chunksOfOrg = sql<{ n: number }>`SELECT count(*)::int AS n FROM knowledge_chunks WHERE organization_id = ${org}`
        const vectorsOfOrg = sql<{ n: number }>`SELECT count(*)::int AS n FROM knowledge_embeddings WHERE organization_id = ${org} AND model = 'openai:fake-concepts'`
        expect((yield* vectorsOfOrg)[0]!.n).toBe(0)
        expect(yield* hybrid.search(org, "ressarcimento", 5)).toEqual([])
        const before = server.requests.length
        // A limit smaller than what is missing embeds that many and leaves the rest for the next round.
        expect(yield* hybrid.embedMissing(3)).toBe(3)
        expect(yield* hybrid.embedMissing(100_000)).toBeGreaterThanOrEqual((yield* chunksOfOrg)[0]!.n - 3)
        expect((yield* vectorsOfOrg)[0]!.n).toBe((yield* chunksOfOrg)[0]!.n)
        const sent = server.requests.slice(before).flatMap((r) => r.input)
        expect(sent.some((text) => text.startsWith(`${titleOf("reembolso.md")}\n\n`))).toBe(true)
        const hits = yield* hybrid.search(org, "ressarcimento", 5)
        expect([titleOf("reembolso.md"), titleOf("refunds.md")]).toContain(hits[0]?.title)
        // Nothing is left: the next round asks the model nothing.
        const asked = server.requests.length
        expect(yield* hybrid.embedMissing(100_000)).toBe(0)
        expect(server.requests.length).toBe(asked)
        // Without a model there is nothing to give.
        expect(yield* fullText.embedMissing(100_000)).toBe(0)
      }))

    it.effect("while the model is down, embedMissing fails as Unavailable and stores nothing", () =>
      Effect.gen(function* () {
        const { hybrid, fullText } = yield* bothSearches
        const server = yield* ConceptServer
        const sql = yield* PgClient.PgClient
        const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, fullText))
        server.setDown(true)
        const failed = yield* Effect.flip(hybrid.embedMissing(100_000)).pipe(Effect.ensuring(Effect.sync(() => server.setDown(false))))
        expect(failed).toMatchObject({ _tag: "Unavailable", dependency: "the embeddings model" })
        expect((yield* sql<{ n: number }>`SELECT count(*)::int AS n FROM knowledge_embeddings WHERE organization_id = ${org}`)[0]!.n).toBe(0)
      }))

    it.effect("while the model is down, adding fails as Unavailable and stores nothing, and search falls back to full-text", () =>
      Effect.gen(function* () {
        const { hybrid } = yield* bothSearches
        const server = yield* ConceptServer
        const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, hybrid))
        server.setDown(true)
        const [failed, listed, hits] = yield* Effect.all([
          Effect.flip(hybrid.add(documentFor(org, { title: "Novo", content: "Texto novo." }))),
          hybrid.list(org),
          hybrid.search(org, "reembolsos", 5)
        ]).pipe(Effect.ensuring(Effect.sync(() => server.setDown(false))))
        expect(failed).toMatchObject({ _tag: "Unavailable", dependency: "the embeddings model" })
        expect(listed.map((d) => d.title)).not.toContain("Novo")
        expect(hits[0]?.title).toBe(titleOf("reembolso.md"))
      }))
  })
})

describe.skipIf(skipServices)("an embeddings model on PostgreSQL without pgvector", () => {
  it.live("logs one warning at startup and searches by full-text, never calling the model", () =>
    Effect.gen(function* () {
      const sql = yield* PgClient.PgClient
      const hasVector = (yield* sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`).length > 0
      const lines: Array<string> = []
      const kb = yield* makeKnowledgeBasePg.pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(Array.isArray(message) ? message.join(" ") : message)))))
      )
      const server = yield* ConceptServer
      if (hasVector) return expect(lines).toEqual(["knowledge: hybrid search, full-text + pgvector with openai:fake-concepts"])
      expect(lines).toEqual([
        "knowledge: AST_EMBEDDINGS_MODEL is set (openai:fake-concepts) but pgvector is not available (the pgvector extension is not installed on the database server); knowledge search uses full-text only"
      ])
      const org = yield* withCorpus().pipe(Effect.provideService(KnowledgeBase, kb))
      expect((yield* kb.search(org, "shipped", 5))[0]?.title).toBe(titleOf("shipping.md"))
      expect(server.requests).toEqual([])
    }).pipe(Effect.provide(Layer.mergeAll(freshPostgres(), EmbeddingsFake.pipe(Layer.provideMerge(ConceptServerLive)))), Effect.scoped), { timeout: 60_000 })
})
