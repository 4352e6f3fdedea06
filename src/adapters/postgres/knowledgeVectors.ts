import { SqlClient, type SqlError } from "@effect/sql"
import { Effect, Either } from "effect"

/** An arbitrary, fixed key: instances starting at once make the table one at a time. */
const VECTORS_LOCK = 7_342_019_004

/**
 * Makes the knowledge base's embeddings table, when pgvector can be had: at startup, only with an
 * embeddings model configured, so a database that gets pgvector later gets hybrid search on the next
 * start. Vectors keep the model's own dimension (no fixed `vector(n)`), and each row names its model:
 * a search compares only vectors of the model in use. Answers why not when pgvector is missing.
 */
export const enableKnowledgeVectors: Effect.Effect<Either.Either<void, string>, SqlError.SqlError, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const available = yield* sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`
  if (available.length === 0) return Either.left("the pgvector extension is not installed on the database server")
  yield* sql.withTransaction(
    sql`SELECT pg_advisory_xact_lock(${VECTORS_LOCK})`.pipe(
      Effect.zipRight(sql`CREATE EXTENSION IF NOT EXISTS vector`),
      Effect.zipRight(sql`
        CREATE TABLE IF NOT EXISTS knowledge_embeddings (
          document_id uuid NOT NULL,
          seq integer NOT NULL,
          model text NOT NULL,
          organization_id text NOT NULL,
          collection text NOT NULL,
          embedding vector NOT NULL,
          PRIMARY KEY (document_id, seq, model),
          FOREIGN KEY (document_id, seq) REFERENCES knowledge_chunks (document_id, seq) ON DELETE CASCADE
        )`),
      Effect.zipRight(sql`CREATE INDEX IF NOT EXISTS knowledge_embeddings_by_collection ON knowledge_embeddings (organization_id, model, collection)`)
    )
  )
  return Either.void
}).pipe(Effect.withSpan("KnowledgeBase.enableVectors"))

/** A vector as pgvector's text form (`'[0.1,0.2]'`), for a `::vector` parameter. */
export const vectorText = (vector: ReadonlyArray<number>) => `[${vector.join(",")}]`
