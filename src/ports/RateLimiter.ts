import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"

/** Requests per minute per API key, shared by every instance (§3). */
export class RateLimiter extends Context.Tag("ast/RateLimiter")<RateLimiter, {
  /** Counts one request; answers how many seconds to wait when over the limit. */
  readonly take: (key: string, perMinute: number) => Effect.Effect<{ readonly allowed: boolean; readonly retryAfterSeconds: number }, Unavailable>
}>() {}
