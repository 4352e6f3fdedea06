import { Config, ConfigError, Either, Option, Redacted } from "effect"
import { parseAllowList } from "../adapters/outbound/addressPolicy.ts"

/** Whether `url` parses and its scheme matches `scheme` (e.g. /^https?:$/). */
const hasScheme = (scheme: RegExp) => (url: string) => {
  try {
    return scheme.test(new URL(url).protocol)
  } catch {
    return false
  }
}

const isPostgresUrl = (url: Redacted.Redacted<string>) => hasScheme(/^postgres(ql)?:$/)(Redacted.value(url))

/** The environment of CONTRACT §1 that persistence reads. Secrets stay `Redacted` (never printed). */
export const PersistenceSettings = Config.all({
  databaseUrl: Config.option(
    Config.redacted("DATABASE_URL").pipe(
      Config.validate({ message: "DATABASE_URL must be a postgres:// or postgresql:// URL", validation: isPostgresUrl })
    )
  ),
  dataDir: Config.string("AST_DATA_DIR").pipe(Config.withDefault("./.ast-data")),
  encryptionKey: Config.option(Config.redacted("AST_ENCRYPTION_KEY")),
  executionRetentionDays: Config.integer("AST_EXECUTION_RETENTION_DAYS").pipe(
    Config.validate({ message: "AST_EXECUTION_RETENTION_DAYS must be a whole number of days, at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(30)
  )
})

export type PersistenceSettings = Config.Config.Success<typeof PersistenceSettings>

export const isEmbedded = (settings: PersistenceSettings) => Option.isNone(settings.databaseUrl)

const isHttpUrl = hasScheme(/^https?:$/)

const isRedisUrl = (url: Redacted.Redacted<string>) => hasScheme(/^rediss?:$/)(Redacted.value(url))

/** Where the HTTP API listens, and the admin token (CONTRACT §1). */
export const ServerSettings = Config.all({
  port: Config.integer("PORT").pipe(
    Config.validate({ message: "PORT must be a port number (0 picks a free one)", validation: (n) => n >= 0 && n <= 65535 }),
    Config.withDefault(8080)
  ),
  redisUrl: Config.option(
    Config.redacted("REDIS_URL").pipe(Config.validate({ message: "REDIS_URL must be a redis:// or rediss:// URL", validation: isRedisUrl }))
  ),
  redisPrefix: Config.string("AST_REDIS_PREFIX").pipe(Config.withDefault("ast")),
  callbackUrl: Config.option(
    Config.string("LIVCHAT_CALLBACK_URL").pipe(Config.validate({ message: "LIVCHAT_CALLBACK_URL must be an http(s) URL", validation: isHttpUrl }))
  ),
  webhookSecret: Config.option(Config.redacted("AST_WEBHOOK_SECRET")),
  livchatApiUrl: Config.option(
    Config.string("LIVCHAT_API_URL").pipe(Config.validate({ message: "LIVCHAT_API_URL must be an http(s) URL", validation: isHttpUrl }))
  ),
  livchatApiKey: Config.option(Config.redacted("LIVCHAT_API_KEY")),
  httpAllow: Config.string("AST_HTTP_ALLOW").pipe(
    Config.withDefault(""),
    Config.mapOrFail((text) => Either.mapLeft(parseAllowList(text), (problems) => ConfigError.InvalidData([], problems.join("\n"))))
  ),
  rateLimitPerMinute: Config.integer("AST_RATE_LIMIT").pipe(
    Config.validate({ message: "AST_RATE_LIMIT must be a whole number of requests per minute, at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(600)
  ),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  adminToken: Config.option(Config.redacted("AST_ADMIN_TOKEN")),
  shutdownTimeoutSeconds: Config.number("AST_SHUTDOWN_TIMEOUT_SECONDS").pipe(
    Config.validate({ message: "AST_SHUTDOWN_TIMEOUT_SECONDS must be a number of seconds, at least 0", validation: (n) => n >= 0 }),
    Config.withDefault(30)
  ),
  workerConcurrency: Config.integer("AST_WORKER_CONCURRENCY").pipe(
    Config.validate({ message: "AST_WORKER_CONCURRENCY must be a whole number, at least 1", validation: (n) => n >= 1 }),
    Config.withDefault(8)
  ),
  leaseMs: Config.integer("AST_LEASE_MS").pipe(
    Config.validate({ message: "AST_LEASE_MS must be at least 1000", validation: (n) => n >= 1000 }),
    Config.withDefault(15_000)
  ),
  sweepIntervalMs: Config.integer("AST_SWEEP_INTERVAL_MS").pipe(
    Config.validate({ message: "AST_SWEEP_INTERVAL_MS must be at least 100", validation: (n) => n >= 100 }),
    Config.withDefault(5_000)
  ),
  sweepGraceMs: Config.integer("AST_SWEEP_GRACE_MS").pipe(
    Config.validate({ message: "AST_SWEEP_GRACE_MS must be at least 0", validation: (n) => n >= 0 }),
    Config.withDefault(10_000)
  )
})
