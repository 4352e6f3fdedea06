import { Effect, Layer, Option } from "effect"
import { type ApiKeyRecord, ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"

/** API keys in process memory, by hash. */
export const makeApiKeyRepoMemory = () => {
  const byHash = new Map<string, ApiKeyRecord>()
  const hashOf = new Map<string, string>()
  const service: ApiKeyRepo["Type"] = {
    create: (key, hash) =>
      Effect.sync(() => {
        byHash.set(hash, key)
        hashOf.set(key.id, hash)
      }),
    findByHash: (hash) =>
      Effect.sync(() => {
        const key = byHash.get(hash)
        if (key === undefined || key.revokedAt !== null) return Option.none()
        const used = { ...key, lastUsedAt: new Date().toISOString() }
        byHash.set(hash, used)
        return Option.some(used)
      }),
    list: (organizationId) =>
      Effect.sync(() =>
        [...byHash.values()]
          .filter((k) => k.organizationId === organizationId)
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      ),
    revoke: (id) =>
      Effect.sync(() => {
        const hash = hashOf.get(id)
        const key = hash === undefined ? undefined : byHash.get(hash)
        if (hash === undefined || key === undefined || key.revokedAt !== null) return false
        byHash.set(hash, { ...key, revokedAt: new Date().toISOString() })
        return true
      })
  }
  return service
}

export const ApiKeyRepoMemory = Layer.sync(ApiKeyRepo, makeApiKeyRepoMemory)
