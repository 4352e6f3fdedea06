import { Config, Either, LogLevel, Option } from "effect"
import { parseEncryptionKey } from "../adapters/crypto/encryptionKey.ts"
import { parseAllowList } from "../adapters/outbound/addressPolicy.ts"
import { checkedSecret, decimalNumber, oneOf, refuseAll, refuseVariable, secretUrl, url, wholeNumber } from "./settingRules.ts"

/**
 * The environment of CONTRACT §1, in groups. Every group is read once at startup by `everySetting`
 * (src/main/startup.ts), so that every bad variable is reported at once, one line each. Secrets stay
 * `Redacted` and their values never appear in a message.
 */

const makeKey = "make one with `openssl rand -base64 32`"

/** The environment of CONTRACT §1 that persistence reads. */
export const PersistenceSettings = Config.all({
  databaseUrl: secretUrl("DATABASE_URL", ["postgres:", "postgresql:"]),
  dataDir: Config.string("AST_DATA_DIR").pipe(Config.withDefault("./.ast-data")),
  encryptionKey: checkedSecret("AST_ENCRYPTION_KEY", parseEncryptionKey, "32 bytes written as 64 hex characters or as base64"),
  executionRetentionDays: wholeNumber("AST_EXECUTION_RETENTION_DAYS", { fallback: 30, min: 1, mustBe: "a whole number of days, at least 1" })
}).pipe(
  Config.mapOrFail((settings) =>
    Option.isSome(settings.databaseUrl) && Option.isNone(settings.encryptionKey)
      ? refuseVariable<typeof settings>("AST_ENCRYPTION_KEY", `is required when DATABASE_URL is set (every instance must share the key that seals secrets in the database); ${makeKey}`)
      : Either.right(settings))
)

export type PersistenceSettings = Config.Config.Success<typeof PersistenceSettings>

export const isEmbedded = (settings: PersistenceSettings) => Option.isNone(settings.databaseUrl)

/** What an instance does (`AST_ROLE`): `api` takes requests only, `worker` runs queued work only, `all` both. */
export type Role = "all" | "api" | "worker"

/** Where the HTTP API listens, what this instance runs, and the adapters' settings (CONTRACT §1). */
export const ServerSettings = Config.all({
  port: wholeNumber("PORT", { fallback: 8080, min: 0, max: 65535, mustBe: "a port number from 0 to 65535" }),
  role: oneOf<Role>("AST_ROLE", ["all", "api", "worker"], "all"),
  redisUrl: secretUrl("REDIS_URL", ["redis:", "rediss:"]),
  redisPrefix: Config.string("AST_REDIS_PREFIX").pipe(Config.withDefault("ast")),
  callbackUrl: url("LIVCHAT_CALLBACK_URL", ["http:", "https:"]),
  webhookSecret: Config.option(Config.redacted("AST_WEBHOOK_SECRET")),
  livchatApiUrl: url("LIVCHAT_API_URL", ["http:", "https:"]),
  livchatApiKey: Config.option(Config.redacted("LIVCHAT_API_KEY")),
  httpAllow: Config.string().pipe(
    Config.mapOrFail((text) => Either.match(parseAllowList(text), { onLeft: refuseAll<ReadonlyArray<string>>, onRight: Either.right })),
    Config.nested("AST_HTTP_ALLOW"),
    Config.withDefault<ReadonlyArray<string>>([])
  ),
  rateLimitPerMinute: wholeNumber("AST_RATE_LIMIT", { fallback: 600, min: 1, mustBe: "a whole number of requests per minute, at least 1" }),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0")),
  adminToken: Config.option(Config.redacted("AST_ADMIN_TOKEN")),
  shutdownTimeoutSeconds: decimalNumber("AST_SHUTDOWN_TIMEOUT_SECONDS", { fallback: 30, min: 0, mustBe: "a number of seconds, at least 0" }),
  workerConcurrency: wholeNumber("AST_WORKER_CONCURRENCY", { fallback: 8, min: 1, mustBe: "a whole number, at least 1" }),
  leaseMs: wholeNumber("AST_LEASE_MS", { fallback: 15_000, min: 1000, mustBe: "a whole number of milliseconds, at least 1000" }),
  sweepIntervalMs: wholeNumber("AST_SWEEP_INTERVAL_MS", { fallback: 5_000, min: 100, mustBe: "a whole number of milliseconds, at least 100" }),
  sweepGraceMs: wholeNumber("AST_SWEEP_GRACE_MS", { fallback: 10_000, min: 0, mustBe: "a whole number of milliseconds, at least 0" })
}).pipe(
  Config.mapOrFail((settings) =>
    // Work accepted by an `api` instance is run by `worker` instances through Redis; without it nothing would run it.
    settings.role === "api" && Option.isNone(settings.redisUrl)
      ? refuseVariable<typeof settings>("AST_ROLE", "api needs REDIS_URL (the work an api instance accepts is run by worker instances through Redis); set REDIS_URL, or AST_ROLE=all")
      : Either.right(settings))
)

export type ServerSettings = Config.Config.Success<typeof ServerSettings>

const logLevels = { debug: LogLevel.Debug, info: LogLevel.Info, warn: LogLevel.Warning, error: LogLevel.Error } as const

/** `LOG_LEVEL`: the least severe level written (CONTRACT §1, §8). */
export const LogSettings = oneOf("LOG_LEVEL", ["debug", "info", "warn", "error"], "info").pipe(Config.map((name) => logLevels[name]))
