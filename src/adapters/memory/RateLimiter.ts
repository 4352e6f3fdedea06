import { Effect, Layer } from "effect"
import { RateLimiterMemory } from "rate-limiter-flexible"
import { RateLimiter } from "../../ports/RateLimiter.ts"

/** Requests per minute per key in this process (single instance), fixed one-minute windows. */
export const makeRateLimiterMemory = () => {
  const limiters = new Map<number, RateLimiterMemory>()
  const limiterFor = (perMinute: number) => {
    let limiter = limiters.get(perMinute)
    if (limiter === undefined) {
      limiter = new RateLimiterMemory({ points: perMinute, duration: 60 })
      limiters.set(perMinute, limiter)
    }
    return limiter
  }
  const service: RateLimiter["Type"] = {
    take: (key, perMinute) =>
      Effect.promise(() =>
        limiterFor(perMinute).consume(key).then(
          () => ({ allowed: true, retryAfterSeconds: 0 }),
          (refused: { msBeforeNext?: number }) => ({ allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((refused.msBeforeNext ?? 1000) / 1000)) })
        )
      )
  }
  return service
}

export const RateLimiterInProcess = Layer.sync(RateLimiter, makeRateLimiterMemory)
