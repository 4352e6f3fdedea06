import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { KnowledgeDocument, KnowledgeHit, StoredDocument } from "../domain/Knowledge.ts"

export type { KnowledgeHit }

/** An organization's documents, split into overlapping chunks and searched by `search_docs` (§6.2). */
export class KnowledgeBase extends Context.Tag("ast/KnowledgeBase")<KnowledgeBase, {
  /** Stores a document split into overlapping chunks (all or nothing); answers it with its chunk count. */
  readonly add: (document: Omit<StoredDocument, "chunks">) => Effect.Effect<KnowledgeDocument, Unavailable>
  /** The organization's documents, newest first; only those of `collection` when given. */
  readonly list: (organizationId: string, collection?: string) => Effect.Effect<ReadonlyArray<KnowledgeDocument>, Unavailable>
  /** Removes a document and its chunks; false when the organization has no such document. */
  readonly remove: (organizationId: string, documentId: string) => Effect.Effect<boolean, Unavailable>
  /** The best `k` chunks for a query, best first; only the organization's, only `collection`'s when given. */
  readonly search: (organizationId: string, query: string, k: number, collection?: string) => Effect.Effect<ReadonlyArray<KnowledgeHit>, Unavailable>
  /**
   * Gives up to `limit` chunks that have no vector of the embeddings model in use one (documents stored
   * before the model was configured, or under another model); answers how many it embedded, 0 when the
   * search has no vectors at all. Run by the periodic cleanup, so older documents join hybrid search.
   */
  readonly embedMissing: (limit: number) => Effect.Effect<number, Unavailable>
}>() {}
