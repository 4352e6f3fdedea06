import { Effect, Layer } from "effect"
import { DatabaseLive } from "./persistence.ts"
import { runEntryPoint } from "./startup.ts"

// `npm run migrate` (Fly's release_command): applies pending migrations to the configured database and
// exits 0, so a deploy whose schema cannot be brought up to date stops before any instance is replaced.
runEntryPoint(Effect.scoped(Layer.build(DatabaseLive)).pipe(Effect.zipRight(Effect.logInfo("migrate: the schema is up to date"))))
