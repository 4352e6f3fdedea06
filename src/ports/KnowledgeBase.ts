import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"

export interface KnowledgeHit {
  readonly documentId: string
  readonly title: string
  readonly content: string
  readonly score: number
}

/** An organization's documents, searched by `search_docs` (§6.2). */
export class KnowledgeBase extends Context.Tag("ast/KnowledgeBase")<KnowledgeBase, {
  /** The best `k` chunks for a query, best first. */
  readonly search: (organizationId: string, query: string, k: number, collection?: string) => Effect.Effect<ReadonlyArray<KnowledgeHit>, Unavailable>
}>() {}
