import { Effect, Layer } from "effect"
import type { KnowledgeDocument, KnowledgeHit, StoredDocument } from "../../domain/Knowledge.ts"
import { KnowledgeBase } from "../../ports/KnowledgeBase.ts"
import { splitIntoChunks } from "../splitIntoChunks.ts"

interface Chunk {
  readonly documentId: string
  readonly title: string
  readonly content: string
  readonly terms: ReadonlySet<string>
  readonly titleTerms: ReadonlySet<string>
}

/** Words too common to say what a text is about, in Portuguese and English (accents removed). */
const stopWords = new Set((
  "o a os as um uma uns umas de do da dos das em no na nos nas por pelo pela para pra com sem que qual quais " +
  "e ou se eu voce voces meu minha seu sua ele ela nao sim como quando onde ao aos mais muito ja tem ter sao foi " +
  "the an of to in on at for and or is are was be do does did how what when where which who you your my me we our " +
  "it its can with from this that there have has much many"
).split(" "))

const termsOf = (text: string) =>
  new Set(text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1 && !stopWords.has(w)))

/** A crude stemmer: words match when equal, or when they begin alike over 4–5 letters ("reembolsos"/"reembolso", "shipped"/"shipping"). */
const sameStem = (a: string, b: string) => {
  const n = Math.min(a.length, b.length, 5)
  return n >= 4 ? a.slice(0, n) === b.slice(0, n) : a === b
}

const has = (terms: ReadonlySet<string>, term: string) => [...terms].some((t) => sameStem(t, term))

const byNewest = (a: KnowledgeDocument, b: KnowledgeDocument) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)

/**
 * A knowledge base in process memory (tests, `ast run`): the same chunks as the PostgreSQL adapter,
 * scored by the share of the query's words a chunk holds (title words count extra).
 */
export const makeKnowledgeBaseMemory = () => {
  const documents = new Map<string, StoredDocument>()
  const chunks = new Map<string, ReadonlyArray<Chunk>>()
  const service: KnowledgeBase["Type"] = {
    add: (document) =>
      splitIntoChunks(document.content).pipe(
        Effect.map((texts) => {
          const titleTerms = termsOf(document.title)
          documents.set(document.id, { ...document, chunks: texts.length })
          chunks.set(document.id, texts.map((content) => ({ documentId: document.id, title: document.title, content, terms: termsOf(content), titleTerms })))
          const { organizationId: _, content: __, ...listed } = documents.get(document.id)!
          return listed
        }),
        Effect.withSpan("KnowledgeBase.add")
      ),
    list: (organizationId, collection) =>
      Effect.sync(() =>
        [...documents.values()]
          .filter((d) => d.organizationId === organizationId && (collection === undefined || d.collection === collection))
          .map(({ organizationId: _, content: __, ...listed }) => listed)
          .sort(byNewest)
      ).pipe(Effect.withSpan("KnowledgeBase.list")),
    remove: (organizationId, documentId) =>
      Effect.sync(() => {
        if (documents.get(documentId)?.organizationId !== organizationId) return false
        documents.delete(documentId)
        chunks.delete(documentId)
        return true
      }).pipe(Effect.withSpan("KnowledgeBase.remove")),
    search: (organizationId, query, k, collection) =>
      Effect.sync(() => {
        const wanted = [...termsOf(query)]
        return [...documents.values()]
          .filter((d) => d.organizationId === organizationId && (collection === undefined || d.collection === collection))
          .flatMap((d) => chunks.get(d.id) ?? [])
          .map((c): KnowledgeHit => {
            const found = wanted.filter((w) => has(c.terms, w)).length + wanted.filter((w) => has(c.titleTerms, w)).length / 2
            return { documentId: c.documentId, title: c.title, content: c.content, score: found / Math.max(1, wanted.length) }
          })
          .filter((h) => h.score > 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, k)
      }).pipe(Effect.withSpan("KnowledgeBase.search")),
    // Search in memory is by words only: there are no vectors to give.
    embedMissing: () => Effect.succeed(0)
  }
  return service
}

export const KnowledgeBaseMemory = Layer.sync(KnowledgeBase, makeKnowledgeBaseMemory)
