import { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { statements } from "./statements.ts"

/**
 * unaccent, where the server has it (PostgreSQL's contrib, PGlite's bundle): "horarios" then finds
 * "horários". Tried in a savepoint, so a server that refuses it leaves search with stemming only.
 */
const hasUnaccent = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const available = yield* sql`SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'`
  if (available.length === 0) return false
  return yield* sql.withTransaction(sql`CREATE EXTENSION IF NOT EXISTS unaccent`).pipe(
    Effect.as(true),
    Effect.catchAll((e) => Effect.logWarning(`knowledge: unaccent not enabled (${e.message}); search matches accents exactly`).pipe(Effect.as(false)))
  )
})

/** `ast_portuguese` / `ast_english`: the built-in stemmers, behind unaccent when there is one. */
const searchConfigurations = (unaccent: boolean) =>
  statements(
    ["portuguese", "english"].map((language) => `
      CREATE TEXT SEARCH CONFIGURATION ast_${language} (COPY = pg_catalog.${language});
      ${unaccent ? `ALTER TEXT SEARCH CONFIGURATION ast_${language} ALTER MAPPING FOR hword, hword_part, word WITH unaccent, ${language}_stem;` : ""}
    `).join("\n")
  )

const searchColumn = (language: string) =>
  `GENERATED ALWAYS AS (setweight(to_tsvector('ast_${language}', title), 'A') || setweight(to_tsvector('ast_${language}', content), 'B')) STORED`

/**
 * The knowledge base (§6.2): documents and their overlapping chunks, each chunk indexed for full-text
 * search in Portuguese and in English (a search takes the better of the two ranks). The title is
 * repeated on every chunk, weighted above the text. Embeddings, when configured, live in a table made
 * at startup (knowledgeVectors.ts), since pgvector may be missing here and installed later.
 */
export default Effect.gen(function* () {
  yield* searchConfigurations(yield* hasUnaccent)
  yield* statements(`
    CREATE TABLE knowledge_documents (
      id uuid PRIMARY KEY,
      organization_id text NOT NULL,
      collection text NOT NULL,
      title text NOT NULL,
      content text NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      chunk_count integer NOT NULL,
      created_at timestamptz NOT NULL
    );
    CREATE INDEX knowledge_documents_by_collection ON knowledge_documents (organization_id, collection, created_at DESC);

    CREATE TABLE knowledge_chunks (
      document_id uuid NOT NULL REFERENCES knowledge_documents (id) ON DELETE CASCADE,
      seq integer NOT NULL,
      organization_id text NOT NULL,
      collection text NOT NULL,
      title text NOT NULL,
      content text NOT NULL,
      search_portuguese tsvector ${searchColumn("portuguese")},
      search_english tsvector ${searchColumn("english")},
      PRIMARY KEY (document_id, seq)
    );
    CREATE INDEX knowledge_chunks_by_collection ON knowledge_chunks (organization_id, collection);
    CREATE INDEX knowledge_chunks_portuguese ON knowledge_chunks USING gin (search_portuguese);
    CREATE INDEX knowledge_chunks_english ON knowledge_chunks USING gin (search_english);
  `)
})
