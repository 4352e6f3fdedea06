import { Effect, Layer, Option } from "effect"
import { loadEncryptionKey } from "../adapters/crypto/encryptionKey.ts"
import { SecretBoxAesGcm } from "../adapters/crypto/SecretBox.ts"
import { EmbeddedDatabase, PostgresDatabase } from "../adapters/postgres/Database.ts"
import { PostgresRepositories } from "../adapters/postgres/Repositories.ts"
import { EmbeddingsFromSettings } from "./embeddings.ts"
import { isEmbedded, PersistenceSettings } from "./settings.ts"

const databaseOf = (settings: PersistenceSettings) =>
  Option.match(settings.databaseUrl, {
    onNone: () => EmbeddedDatabase(settings.dataDir),
    onSome: (url) => PostgresDatabase(url)
  })

/** The database alone, migrated when built (`npm run migrate`): PostgreSQL at `DATABASE_URL`, else PGlite. */
export const DatabaseLive = Layer.unwrapEffect(Effect.map(PersistenceSettings, databaseOf))

/**
 * The system of record as configured (CONTRACT §1): PostgreSQL at `DATABASE_URL`, else embedded PGlite
 * under `AST_DATA_DIR`; every repository on it; and the SecretBox with `AST_ENCRYPTION_KEY` (generated
 * into `AST_DATA_DIR` when embedded, required with `DATABASE_URL`). The startup log names the database
 * and, with `AST_EMBEDDINGS_MODEL`, whether knowledge search is hybrid.
 */
export const Persistence = Layer.unwrapEffect(
  Effect.gen(function* () {
    const settings = yield* PersistenceSettings
    const key = yield* loadEncryptionKey({
      configured: Option.getOrUndefined(settings.encryptionKey),
      dataDir: settings.dataDir,
      isEmbedded: isEmbedded(settings)
    })
    // The knowledge base embeds with the configured model, if any (AST_EMBEDDINGS_MODEL).
    const repositories = PostgresRepositories.pipe(Layer.provide(EmbeddingsFromSettings), Layer.provideMerge(databaseOf(settings)))
    return Layer.merge(repositories, SecretBoxAesGcm(key))
  })
)
