import { Clock, Effect } from "effect"
import { DocumentNotFound } from "../domain/errors.ts"
import { defaultCollection } from "../domain/Knowledge.ts"
import { KnowledgeBase } from "../ports/KnowledgeBase.ts"

export interface NewDocument {
  readonly title: string
  readonly content: string
  readonly collection?: string | undefined
  readonly metadata?: Record<string, unknown> | undefined
}

/** Adds a document to the organization's knowledge base (collection `default` unless named); answers its id and chunk count. */
export const addDocument = Effect.fn("Knowledge.add")(function* (organizationId: string, document: NewDocument) {
  const added = yield* (yield* KnowledgeBase).add({
    id: crypto.randomUUID(),
    organizationId,
    title: document.title.trim(),
    content: document.content,
    collection: document.collection ?? defaultCollection,
    metadata: document.metadata ?? {},
    createdAt: new Date(yield* Clock.currentTimeMillis).toISOString()
  })
  return { id: added.id, chunks: added.chunks }
})

/** The organization's documents, newest first; only one collection's when named. */
export const listDocuments = Effect.fn("Knowledge.list")(function* (organizationId: string, collection?: string) {
  return yield* (yield* KnowledgeBase).list(organizationId, collection)
})

/** Removes a document and its chunks; another organization's is not found. */
export const deleteDocument = Effect.fn("Knowledge.delete")(function* (organizationId: string, documentId: string) {
  const removed = yield* (yield* KnowledgeBase).remove(organizationId, documentId)
  if (!removed) return yield* new DocumentNotFound({ documentId })
})

/** The organization's `k` best chunks for a query, best first (what `search_docs` gives the agent, with k = 5). */
export const searchKnowledge = Effect.fn("Knowledge.search")(function* (organizationId: string, query: string, k: number, collection?: string) {
  return yield* (yield* KnowledgeBase).search(organizationId, query, k, collection)
})
