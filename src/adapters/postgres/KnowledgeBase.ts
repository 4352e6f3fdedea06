import { PgClient } from "@effect/sql-pg"
import { Duration, Effect, Either, Layer, Option } from "effect"
import type { KnowledgeDocument, KnowledgeHit } from "../../domain/Knowledge.ts"
import type { Unavailable } from "../../domain/errors.ts"
import { Embeddings } from "../../ports/Embeddings.ts"
import { KnowledgeBase } from "../../ports/KnowledgeBase.ts"
import { splitIntoChunks } from "../splitIntoChunks.ts"
import { enableKnowledgeVectors, vectorText } from "./knowledgeVectors.ts"
import { asJson, iso, orUnavailable, QueryTimeout } from "./orUnavailable.ts"
import { isUuid } from "./uuid.ts"

interface DocumentRow {
  readonly id: string
  readonly title: string
  readonly collection: string
  readonly metadata: Record<string, unknown>
  readonly chunk_count: number
  readonly created_at: Date
}

interface HitRow {
  readonly document_id: string
  readonly title: string
  readonly content: string
  readonly score: number
}

const documentOf = (r: DocumentRow): KnowledgeDocument => ({
  id: r.id, title: r.title, collection: r.collection, metadata: r.metadata, chunks: r.chunk_count, createdAt: iso(r.created_at)!
})

const hitOf = (r: HitRow): KnowledgeHit => ({ documentId: r.document_id, title: r.title, content: r.content, score: Number(r.score) })


/** How many candidates each ranking gives to the fusion. */
const fusionPool = 50

/** Reciprocal rank fusion's constant: a hit at rank r adds 1 / (60 + r). */
const rrfK = 60

/** Chunks embedded per model request when older documents are given vectors (`embedMissing`). */
const EMBED_BATCH = 64

/** The model to search with when pgvector can be had; says once, at startup, which search is in use. */
const vectorsWith = (model: Embeddings["Type"]) =>
  enableKnowledgeVectors.pipe(
    Effect.map(Either.getLeft),
    Effect.catchAll((e) => Effect.succeed(Option.some(e.message))),
    Effect.flatMap(Option.match({
      onSome: (why) =>
        Effect.logWarning(`knowledge: AST_EMBEDDINGS_MODEL is set (${model.model}) but pgvector is not available (${why}); knowledge search uses full-text only`).pipe(
          Effect.as(Option.none<Embeddings["Type"]>())
        ),
      onNone: () => Effect.logInfo(`knowledge: hybrid search, full-text + pgvector with ${model.model}`).pipe(Effect.as(Option.some(model)))
    }))
  )

/**
 * The knowledge base on PostgreSQL (or PGlite): full-text search in Portuguese and English always;
 * hybrid (full-text + pgvector, fused by reciprocal rank) when an `Embeddings` model is in context and
 * pgvector is available. A missing pgvector is logged once at startup, and search stays full-text.
 */
export const makeKnowledgeBasePg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const embeddings = yield* Effect.serviceOption(Embeddings)
  const vectors = yield* Option.match(embeddings, { onNone: () => Effect.succeed(Option.none()), onSome: vectorsWith })

  const inCollection = (column: string, collection: string | undefined) =>
    collection === undefined ? sql`` : sql`AND ${sql(column)} = ${collection}`

  /**
   * Chunks matching any of the query's words, ranked by the better of the Portuguese and English
   * ranks. Words that either language counts as a stop word are left out: "o", "de", "the" would
   * otherwise match every chunk in the other language's column.
   */
  const fullText = (organizationId: string, query: string, collection: string | undefined) => sql`
    WITH words AS (
      SELECT string_agg(w, ' ') AS text FROM unnest(tsvector_to_array(to_tsvector('simple', ${query}::text))) AS w
      WHERE length(w) > 1 AND length(to_tsvector('ast_portuguese', w)) > 0 AND length(to_tsvector('ast_english', w)) > 0
    ), q AS (
      SELECT replace(plainto_tsquery('ast_portuguese', text)::text, '&', '|')::tsquery AS portuguese,
             replace(plainto_tsquery('ast_english', text)::text, '&', '|')::tsquery AS english
      FROM words WHERE text IS NOT NULL
    )
    SELECT c.document_id, c.seq, c.title, c.content,
           greatest(ts_rank(c.search_portuguese, q.portuguese), ts_rank(c.search_english, q.english))::float8 AS score
    FROM knowledge_chunks c, q
    WHERE c.organization_id = ${organizationId} ${inCollection("c.collection", collection)}
      AND (c.search_portuguese @@ q.portuguese OR c.search_english @@ q.english)`

  const searchFullText = (organizationId: string, query: string, k: number, collection: string | undefined) =>
    sql<HitRow>`${fullText(organizationId, query, collection)} ORDER BY score DESC, c.document_id, c.seq LIMIT ${k}`

  const searchHybrid = (organizationId: string, query: string, k: number, collection: string | undefined, model: string, vector: ReadonlyArray<number>) =>
    sql<HitRow>`
      WITH by_text AS (
        SELECT document_id, seq, row_number() OVER (ORDER BY score DESC, document_id, seq) AS r
        FROM (${fullText(organizationId, query, collection)} ORDER BY score DESC LIMIT ${fusionPool}) t
      ), by_meaning AS (
        SELECT document_id, seq, row_number() OVER (ORDER BY distance, document_id, seq) AS r
        FROM (
          SELECT document_id, seq, embedding <=> ${vectorText(vector)}::vector AS distance FROM knowledge_embeddings
          WHERE organization_id = ${organizationId} AND model = ${model} ${inCollection("collection", collection)}
          ORDER BY distance LIMIT ${fusionPool}
        ) v
      ), fused AS (
        SELECT document_id, seq, sum(1.0 / (${rrfK} + r))::float8 AS score
        FROM (SELECT * FROM by_text UNION ALL SELECT * FROM by_meaning) ranks GROUP BY document_id, seq
      )
      SELECT c.document_id, c.title, c.content, f.score FROM fused f JOIN knowledge_chunks c USING (document_id, seq)
      ORDER BY f.score DESC, c.document_id, c.seq LIMIT ${k}`

  const service: KnowledgeBase["Type"] = {
    add: (document) =>
      Effect.gen(function* () {
        const chunks = yield* splitIntoChunks(document.content)
        const embedded = yield* Option.match(vectors, {
          onNone: () => Effect.succeed(Option.none<{ model: string; vectors: ReadonlyArray<ReadonlyArray<number>> }>()),
          // Before the transaction: a slow model never holds a connection.
          onSome: (model) => Effect.map(model.embed(chunks.map((c) => `${document.title}\n\n${c}`)), (vs) => Option.some({ model: model.model, vectors: vs }))
        })
        const { organizationId, collection, title } = document
        const rows = yield* sql.withTransaction(
          Effect.gen(function* () {
            const inserted = yield* sql<DocumentRow>`
              INSERT INTO knowledge_documents (id, organization_id, collection, title, content, metadata, chunk_count, created_at)
              VALUES (${document.id}, ${organizationId}, ${collection}, ${title}, ${document.content}, ${asJson(document.metadata)}::jsonb,
                      ${chunks.length}, ${new Date(document.createdAt)})
              RETURNING *`
            yield* sql`INSERT INTO knowledge_chunks ${sql.insert(chunks.map((content, seq) => ({
              document_id: document.id, seq, organization_id: organizationId, collection, title, content
            })))}`
            if (Option.isSome(embedded)) {
              yield* sql`INSERT INTO knowledge_embeddings ${sql.insert(embedded.value.vectors.map((v, seq) => ({
                document_id: document.id, seq, model: embedded.value.model, organization_id: organizationId, collection, embedding: vectorText(v)
              })))}`
            }
            return inserted
          })
        ).pipe(
          orUnavailable("KnowledgeBase.store"),
          // A large document is thousands of rows to index: its time limit grows with its size (one per 250 chunks).
          Effect.provideServiceEffect(QueryTimeout, Effect.map(QueryTimeout, (limit) => Duration.times(limit, Math.ceil(chunks.length / 250))))
        )
        return documentOf(rows[0]!)
      }).pipe(Effect.withSpan("KnowledgeBase.add")),

    list: (organizationId, collection) =>
      sql<DocumentRow>`
        SELECT id, title, collection, metadata, chunk_count, created_at FROM knowledge_documents
        WHERE organization_id = ${organizationId} ${inCollection("collection", collection)}
        ORDER BY created_at DESC, id DESC`.pipe(Effect.map((rows) => rows.map(documentOf)), orUnavailable("KnowledgeBase.list")),

    remove: (organizationId, documentId) =>
      isUuid(documentId)
        ? sql`DELETE FROM knowledge_documents WHERE id = ${documentId} AND organization_id = ${organizationId} RETURNING id`.pipe(
          Effect.map((rows) => rows.length > 0),
          orUnavailable("KnowledgeBase.remove")
        )
        : Effect.succeed(false),

    search: (organizationId, query, k, collection) =>
      Effect.gen(function* () {
        const meaning = yield* Option.match(vectors, {
          onNone: () => Effect.succeed(Option.none<{ model: string; vector: ReadonlyArray<number> }>()),
          // A model that is down costs the search its vectors, not its answer.
          onSome: (model) =>
            model.embed([query]).pipe(
              Effect.map(([vector]) => Option.fromNullable(vector).pipe(Option.map((v) => ({ model: model.model, vector: v })))),
              Effect.catchAll((e) => Effect.logWarning(`knowledge: searching by full-text only: ${e.message}`).pipe(Effect.as(Option.none())))
            )
        })
        const rows = yield* Option.match(meaning, {
          onNone: () => searchFullText(organizationId, query, k, collection),
          onSome: ({ model, vector }) => searchHybrid(organizationId, query, k, collection, model, vector)
        }).pipe(orUnavailable("KnowledgeBase.query"))
        return rows.map(hitOf)
      }).pipe(Effect.withSpan("KnowledgeBase.search")),

    embedMissing: (limit) =>
      Option.match(vectors, {
        onNone: () => Effect.succeed(0),
        onSome: (model) => {
          const batch = (size: number) =>
            Effect.gen(function* () {
              const missing = yield* sql<{ document_id: string; seq: number; organization_id: string; collection: string; title: string; content: string }>`
                SELECT c.document_id, c.seq, c.organization_id, c.collection, c.title, c.content FROM knowledge_chunks c
                WHERE NOT EXISTS (
                  SELECT 1 FROM knowledge_embeddings e WHERE e.document_id = c.document_id AND e.seq = c.seq AND e.model = ${model.model})
                ORDER BY c.document_id, c.seq LIMIT ${size}`.pipe(orUnavailable("KnowledgeBase.missingVectors"))
              if (missing.length === 0) return 0
              // Outside any transaction: a slow model never holds a connection. The same text as `add` embeds.
              const vectors = yield* model.embed(missing.map((c) => `${c.title}\n\n${c.content}`))
              const rows = missing.map((c, i) => ({
                document_id: c.document_id, seq: c.seq, organization_id: c.organization_id, collection: c.collection, embedding: vectorText(vectors[i]!)
              }))
              // A chunk whose document was removed meanwhile is skipped; one embedded meanwhile by another instance too.
              yield* sql`
                INSERT INTO knowledge_embeddings (document_id, seq, model, organization_id, collection, embedding)
                SELECT r.document_id, r.seq, ${model.model}, r.organization_id, r.collection, r.embedding::vector
                FROM jsonb_to_recordset(${asJson(rows)}::jsonb)
                  AS r(document_id uuid, seq integer, organization_id text, collection text, embedding text)
                JOIN knowledge_chunks c ON c.document_id = r.document_id AND c.seq = r.seq
                ON CONFLICT DO NOTHING`.pipe(orUnavailable("KnowledgeBase.storeVectors"))
              return missing.length
            })
          const from = (done: number): Effect.Effect<number, Unavailable> =>
            done >= limit
              ? Effect.succeed(done)
              : Effect.flatMap(batch(Math.min(EMBED_BATCH, limit - done)), (n) => (n === 0 ? Effect.succeed(done) : from(done + n)))
          return from(0)
        }
      }).pipe(Effect.withSpan("KnowledgeBase.embedMissing"))
  }
  return service
})

export const KnowledgeBasePg = Layer.effect(KnowledgeBase, makeKnowledgeBasePg)
