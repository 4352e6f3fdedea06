import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"

/** Message ids already accepted, so a repeated trigger is answered `duplicate` (§5). */
export class IdempotencyStore extends Context.Tag("ast/IdempotencyStore")<IdempotencyStore, {
  /** Claims `key` for `value` unless taken; answers the value that holds it now (`None` when the claim won). */
  readonly claim: (key: string, value: string, ttlSeconds: number) => Effect.Effect<Option.Option<string>, Unavailable>
}>() {}
