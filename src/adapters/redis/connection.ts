import { type Duration, Effect, Redacted } from "effect"
import { Redis, type RedisOptions } from "ioredis"
import { Unavailable } from "../../domain/errors.ts"

/**
 * A Redis connection closed with its scope. `forWorker`: BullMQ's blocking worker connection retries
 * forever; the others fail a command fast (the caller answers 503 or falls back on PostgreSQL).
 */
export const redisConnection = (url: Redacted.Redacted<string>, options: { readonly forWorker?: boolean } = {}) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const extra: RedisOptions = options.forWorker === true
        ? { maxRetriesPerRequest: null, enableReadyCheck: false }
        : { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 2_000, enableOfflineQueue: true }
      const redis = new Redis(Redacted.value(url), { ...extra, lazyConnect: false })
      // Errors surface on the commands that fail; the client reconnects by itself.
      redis.on("error", () => undefined)
      return redis
    }),
    (redis) => Effect.promise(() => redis.quit().catch(() => redis.disconnect())).pipe(Effect.timeout("2 seconds"), Effect.ignore)
  )

/** A Redis call that fails as `Unavailable` (503 at the API) within `timeout`. */
export const redisCall = <A>(what: string, run: () => Promise<A>, timeout: Duration.DurationInput = "3 seconds") =>
  Effect.tryPromise({
    try: run,
    catch: (e) => new Unavailable({ dependency: "redis", message: `${what}: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new Unavailable({ dependency: "redis", message: `${what}: Redis did not answer in time` }) })
  )
