import type { Vitest } from "@effect/vitest"
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { chunkSize } from "../../src/adapters/splitIntoChunks.ts"
import type { StoredDocument } from "../../src/domain/Knowledge.ts"
import { KnowledgeBase } from "../../src/ports/KnowledgeBase.ts"
import { freshOrg, uuid } from "./fixtures.ts"

/** The FAQ of a WhatsApp business in Portuguese and English (test/fixtures/knowledge): `# title`, then the text. */
export const corpus = readdirSync(join(import.meta.dirname, "../fixtures/knowledge")).sort().map((file) => {
  const [heading = "", ...rest] = readFileSync(join(import.meta.dirname, "../fixtures/knowledge", file), "utf8").split("\n")
  return { file, title: heading.replace(/^#\s*/, ""), content: rest.join("\n").trim() }
})

export const titleOf = (file: string) => corpus.find((d) => d.file === file)!.title

let clock = Date.parse("2026-11-25T10:00:00Z")

/** A document as the use case would hand it to the port; each one a second newer than the last. */
export const documentFor = (organizationId: string, fields: Partial<StoredDocument> & { readonly title: string; readonly content: string }): Omit<StoredDocument, "chunks"> => ({
  id: uuid(),
  organizationId,
  collection: "default",
  metadata: {},
  createdAt: new Date((clock += 1000)).toISOString(),
  ...fields
})

/** Adds the whole corpus to a fresh organization. */
export const withCorpus = (collection = "default") =>
  Effect.gen(function* () {
    const kb = yield* KnowledgeBase
    const organizationId = freshOrg()
    for (const d of corpus) yield* kb.add(documentFor(organizationId, { title: d.title, content: d.content, collection, metadata: { file: d.file } }))
    return organizationId
  })

/** Which document a search should put first: both languages, inflected and unaccented forms, whole questions. */
export const firstHits: ReadonlyArray<readonly [query: string, file: string]> = [
  ["reembolsos", "reembolso.md"],
  ["Qual o horário de atendimento de vocês?", "horarios.md"],
  ["horarios", "horarios.md"],
  ["quanto custa o plano Básico?", "precos.md"],
  ["prazo de entrega e frete", "entrega.md"],
  ["código de rastreio", "entrega.md"],
  ["posso devolver o produto e ter meu dinheiro de volta?", "reembolso.md"],
  ["shipped", "shipping.md"],
  ["refunds", "refunds.md"],
  ["When are you open?", "opening-hours.md"],
  ["how much does it cost", "pricing.md"],
  ["tracking number", "shipping.md"]
]

/** What every KnowledgeBase must do (memory, PostgreSQL, PGlite). */
export const knowledgeBaseContract = (it: Vitest.MethodsNonLive<KnowledgeBase>) => {
  it.effect("add answers the chunk count; list shows documents newest first, per collection; remove erases a document once", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const org = freshOrg()
      const faq = documentFor(org, { title: "Horário", content: "Atendemos de segunda a sexta.", metadata: { source: "site" } })
      const manual = documentFor(org, { title: "Manual", content: "Como conectar o número.", collection: "manuals" })
      const added = yield* kb.add(faq)
      expect(added).toEqual({ id: faq.id, title: "Horário", collection: "default", metadata: { source: "site" }, chunks: 1, createdAt: faq.createdAt })
      yield* kb.add(manual)
      expect((yield* kb.list(org)).map((d) => d.id)).toEqual([manual.id, faq.id])
      expect((yield* kb.list(org, "manuals")).map((d) => d.title)).toEqual(["Manual"])
      expect(yield* kb.list(org, "nothing-here")).toEqual([])
      expect(yield* kb.remove(org, faq.id)).toBe(true)
      expect(yield* kb.remove(org, faq.id)).toBe(false)
      expect(yield* kb.remove(org, "not-a-uuid")).toBe(false)
      expect((yield* kb.list(org)).map((d) => d.id)).toEqual([manual.id])
      expect(yield* kb.search(org, "segunda sexta", 5)).toEqual([])
    }))

  it.effect("a long text is split into overlapping chunks that together hold all of it", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const org = freshOrg()
      const sentences = Array.from({ length: 60 }, (_, i) => `Zebra frase s${i} fala do passo ${i} da configuração.`)
      const doc = documentFor(org, { title: "Manual longo", content: sentences.join(" ") })
      const { chunks } = yield* kb.add(doc)
      expect(chunks).toBeGreaterThanOrEqual(3)
      const hits = yield* kb.search(org, "zebra", 50)
      expect(hits).toHaveLength(chunks)
      const ranges = hits
        .map((h) => [...h.content.matchAll(/\bs(\d+)\b/g)].map((m) => Number(m[1])))
        .map((ns) => ({ first: Math.min(...ns), last: Math.max(...ns) }))
        .sort((a, b) => a.first - b.first)
      expect(ranges[0]!.first).toBe(0)
      expect(ranges[ranges.length - 1]!.last).toBe(59)
      // Each chunk begins before the previous one ended: the overlap.
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.first).toBeLessThanOrEqual(ranges[i - 1]!.last)
      expect(hits.every((h) => h.content.length <= chunkSize && h.documentId === doc.id && h.title === "Manual longo")).toBe(true)
    }))

  it.effect("searches in Portuguese and English put the right document first, inflected and unaccented forms included", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const org = yield* withCorpus()
      for (const [query, file] of firstHits) {
        const hits = yield* kb.search(org, query, 5)
        expect([query, hits[0]?.title]).toEqual([query, titleOf(file)])
        expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a))
      }
    }))

  it.effect("k bounds the answer and a collection narrows it; a query of stop words finds nothing", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const org = yield* withCorpus("faq")
      const other = documentFor(org, { title: "Reembolso de eventos", content: "Reembolso de ingressos de eventos.", collection: "events" })
      yield* kb.add(other)
      expect(yield* kb.search(org, "reembolso refund", 1)).toHaveLength(1)
      expect((yield* kb.search(org, "reembolso", 5, "events")).map((h) => h.documentId)).toEqual([other.id])
      expect((yield* kb.search(org, "reembolso", 5, "faq")).map((h) => h.title)).not.toContain("Reembolso de eventos")
      expect(yield* kb.search(org, "the of de o para", 5)).toEqual([])
    }))

  it.effect("another organization's documents are never found, listed or removed", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const owner = yield* withCorpus()
      const stranger = freshOrg()
      const [mine] = yield* kb.list(owner)
      expect(yield* kb.search(stranger, "reembolso refund shipping horário", 50)).toEqual([])
      expect(yield* kb.list(stranger)).toEqual([])
      expect(yield* kb.remove(stranger, mine!.id)).toBe(false)
      expect((yield* kb.list(owner)).length).toBe(corpus.length)
    }))
}
