import { Effect, Layer } from "effect"
import { KnowledgeBase, type KnowledgeHit } from "../../ports/KnowledgeBase.ts"

interface Doc {
  readonly organizationId: string
  readonly documentId: string
  readonly title: string
  readonly content: string
  readonly collection?: string
}

const words = (text: string) => new Set(text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 1))

/** A knowledge base in memory, scored by shared words (the PostgreSQL adapter uses full-text search). */
export const makeKnowledgeBaseMemory = () => {
  const docs: Array<Doc> = []
  const service: KnowledgeBase["Type"] & { readonly add: (doc: Doc) => void } = {
    add: (doc) => void docs.push(doc),
    search: (organizationId, query, k, collection) =>
      Effect.sync(() => {
        const wanted = words(query)
        return docs
          .filter((d) => d.organizationId === organizationId && (collection === undefined || d.collection === collection))
          .map((d): KnowledgeHit => {
            const have = words(`${d.title} ${d.content}`)
            const score = [...wanted].filter((w) => have.has(w)).length / Math.max(1, wanted.size)
            return { documentId: d.documentId, title: d.title, content: d.content, score }
          })
          .filter((h) => h.score > 0)
          .sort((a, b) => b.score - a.score)
          .slice(0, k)
      })
  }
  return service
}

export const KnowledgeBaseMemory = Layer.sync(KnowledgeBase, makeKnowledgeBaseMemory)
