import { NodeRuntime } from "@effect/platform-node"
import { Cause, Config, ConfigError, Effect, Either, Logger, Option, Schema } from "effect"
import { JsonLines } from "./jsonLines.ts"
import { problemLine, settingProblems } from "./settingProblems.ts"
import { EmbeddingsSettings } from "./embeddings.ts"
import { ModelSettings } from "./modelSettings.ts"
import { LogSettings, PersistenceSettings, ServerSettings } from "./settings.ts"
import { TracingSettings } from "./tracing.ts"

/**
 * Every group of settings, read together before anything starts so that every bad variable is reported
 * at once (CONTRACT §1). To add variables (say the agent providers'): write a `Config` in its own file
 * under src/main with the builders of settingRules.ts (a message says what the value must be, and never
 * quotes a secret), and add it to this list. A group read only inside a layer is still reported one line
 * per problem, but only after the groups listed here have passed.
 */
export const everySetting: ReadonlyArray<Config.Config<unknown>> = [ServerSettings, PersistenceSettings, LogSettings, ModelSettings, EmbeddingsSettings, TracingSettings]

/** The startup was refused and every reason already logged. */
class StartupRefused extends Schema.TaggedError<StartupRefused>()("StartupRefused", {}) {}

const logProblems = (error: ConfigError.ConfigError) =>
  Effect.forEach(settingProblems(error), (p) => Effect.logError(problemLine(p)).pipe(Effect.annotateLogs({ variable: p.variable })), { discard: true })

/** Logs one error line per bad variable, then stops. */
const checkEverySetting = Effect.flatMap(Effect.either(Config.all(everySetting)), (result) =>
  Either.isRight(result)
    ? Effect.void
    : logProblems(result.left).pipe(
      Effect.zipRight(Effect.logError("startup stopped: fix the configuration above (CONTRACT §1, README \"Configuration\")")),
      Effect.zipRight(Effect.fail(new StartupRefused()))
    ))

/** A failure as log lines: the problems of a configuration error, else the error's own message; a defect with its cause. */
const reportFailure = (cause: Cause.Cause<unknown>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  const failure = Cause.failureOption(cause)
  if (Option.isNone(failure)) return Effect.logError("stopped by an unexpected error", cause)
  const error = failure.value
  if (error instanceof StartupRefused) return Effect.void
  if (ConfigError.isConfigError(error)) return logProblems(error).pipe(Effect.zipRight(Effect.logError("startup stopped: fix the configuration above")))
  const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error)
  return Effect.logError(`stopped: ${message}`)
}

/**
 * Runs an entry point (`npm start`, `npm run migrate`): logs as JSON lines at `LOG_LEVEL`, refuses to
 * start on bad configuration (one line per problem, exit code 1, no stack trace), reports a failure as one
 * line, and stops gracefully on SIGTERM/SIGINT.
 */
export const runEntryPoint = <E>(program: Effect.Effect<unknown, E>) =>
  Effect.gen(function* () {
    yield* checkEverySetting
    const level = yield* LogSettings
    yield* program.pipe(Logger.withMinimumLogLevel(level))
  }).pipe(
    Effect.tapErrorCause(reportFailure),
    Effect.provide(JsonLines),
    NodeRuntime.runMain({ disablePrettyLogger: true, disableErrorReporting: true })
  )
