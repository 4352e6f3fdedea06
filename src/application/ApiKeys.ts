import { Clock, Effect, Option } from "effect"
import { createHash, randomBytes } from "node:crypto"
import { ApiKeyNotFound, Unauthenticated } from "../domain/errors.ts"
import { ApiKeyRepo } from "../ports/ApiKeyRepo.ts"

/** Keys are `ast_` + 32 random bytes; only their SHA-256 is stored (a key has full entropy: no salt needed). */
export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex")

const keyShape = /^ast_[A-Za-z0-9_-]{43}$/

/** Creates a key for an organization; the key itself is in the answer once and never again. */
export const createApiKey = Effect.fn("ApiKeys.create")(function* (organizationId: string, name: string | null) {
  const key = `ast_${randomBytes(32).toString("base64url")}`
  const record = {
    id: crypto.randomUUID(),
    organizationId,
    name,
    prefix: key.slice(0, 12),
    createdAt: new Date(yield* Clock.currentTimeMillis).toISOString(),
    lastUsedAt: null,
    revokedAt: null
  }
  yield* (yield* ApiKeyRepo).create(record, hashApiKey(key))
  return { ...record, key }
})

/** The live key a bearer token is (its organization scopes the call); marks the key used. */
export const authenticate = Effect.fn("ApiKeys.authenticate")(function* (key: string) {
  if (!keyShape.test(key)) return yield* new Unauthenticated({ message: "the API key is malformed (expected ast_…)" })
  const found = yield* (yield* ApiKeyRepo).findByHash(hashApiKey(key))
  return yield* Option.match(found, {
    onNone: () => Effect.fail(new Unauthenticated({ message: "the API key is unknown or revoked" })),
    onSome: (record) => Effect.succeed(record)
  })
})

export const listApiKeys = Effect.fn("ApiKeys.list")(function* (organizationId: string) {
  return yield* (yield* ApiKeyRepo).list(organizationId)
})

/** Revokes a key at once. */
export const revokeApiKey = Effect.fn("ApiKeys.revoke")(function* (id: string) {
  if (!(yield* (yield* ApiKeyRepo).revoke(id))) return yield* new ApiKeyNotFound({ apiKeyId: id })
})
