import { Schema } from "effect"

/** Where a document goes when it names no collection. */
export const defaultCollection = "default"

/** A document of an organization's knowledge base as listed: its text lives in its chunks (§6.2). */
export const KnowledgeDocument = Schema.Struct({
  id: Schema.String,
  title: Schema.String,
  collection: Schema.String,
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  /** How many overlapping chunks the text was split into. */
  chunks: Schema.Int,
  createdAt: Schema.String
})
export type KnowledgeDocument = typeof KnowledgeDocument.Type

/** A document as stored: what was listed, with its organization and whole text. */
export interface StoredDocument extends KnowledgeDocument {
  readonly organizationId: string
  readonly content: string
}

/** One chunk found by a search; `score` orders the results (higher is better) and is not comparable across searches. */
export const KnowledgeHit = Schema.Struct({
  documentId: Schema.String,
  title: Schema.String,
  content: Schema.String,
  score: Schema.Number
})
export type KnowledgeHit = typeof KnowledgeHit.Type
