import { Effect, type Redacted } from "effect"
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible"
import { Unavailable } from "../../domain/errors.ts"
import { RateLimiter } from "../../ports/RateLimiter.ts"
import { redisConnection } from "./connection.ts"

/** Requests per minute per key, counted in Redis so every instance shares the limit. */
export const makeRateLimiterRedis = (url: Redacted.Redacted<string>, prefix = "ast") =>
  Effect.gen(function* () {
    const redis = yield* redisConnection(url)
    const limiters = new Map<number, RateLimiterRedis>()
    const limiterFor = (perMinute: number) => {
      let limiter = limiters.get(perMinute)
      if (limiter === undefined) {
        limiter = new RateLimiterRedis({ storeClient: redis, points: perMinute, duration: 60, keyPrefix: `${prefix}:rate:${perMinute}` })
        limiters.set(perMinute, limiter)
      }
      return limiter
    }
    const service: RateLimiter["Type"] = {
      take: (key, perMinute) =>
        Effect.tryPromise({
          try: () =>
            limiterFor(perMinute).consume(key).then(
              () => ({ allowed: true, retryAfterSeconds: 0 }),
              (refused: unknown) => {
                if (refused instanceof RateLimiterRes) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(refused.msBeforeNext / 1000)) }
                throw refused
              }
            ),
          catch: (e) => new Unavailable({ dependency: "redis", message: `rate limit: ${e instanceof Error ? e.message : String(e)}` })
        }).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new Unavailable({ dependency: "redis", message: "rate limit: Redis did not answer in time" }) }))
    }
    return service
  })

export { RateLimiter }
