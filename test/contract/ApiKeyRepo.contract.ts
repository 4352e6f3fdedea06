import { expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { type ApiKeyRecord, ApiKeyRepo } from "../../src/ports/ApiKeyRepo.ts"
import { type ContractIt, freshOrg, uuid } from "./fixtures.ts"

const keyFor = (organizationId: string): ApiKeyRecord => ({
  id: uuid(), organizationId, name: "LivChat prod", prefix: "ast_abcd", createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null
})

/** What every ApiKeyRepo must do. */
export const apiKeyRepoContract = (it: ContractIt) => {
  it.effect("finds a key by its hash and marks it used; lists keys of one organization only", () =>
    Effect.gen(function* () {
      const repo = yield* ApiKeyRepo
      const org = freshOrg()
      const key = keyFor(org)
      const hash = `hash-${uuid()}`
      yield* repo.create(key, hash)
      yield* repo.create(keyFor(freshOrg()), `hash-${uuid()}`)
      const found = Option.getOrThrow(yield* repo.findByHash(hash))
      expect(found).toMatchObject({ id: key.id, organizationId: org, name: "LivChat prod", prefix: "ast_abcd", revokedAt: null })
      expect(found.lastUsedAt).not.toBeNull()
      expect((yield* repo.list(org)).map((k) => k.id)).toEqual([key.id])
      expect(yield* repo.findByHash("no-such-hash")).toEqual(Option.none())
    }))

  it.effect("a revoked key is not found any more", () =>
    Effect.gen(function* () {
      const repo = yield* ApiKeyRepo
      const key = keyFor(freshOrg())
      const hash = `hash-${uuid()}`
      yield* repo.create(key, hash)
      expect(yield* repo.revoke(key.id)).toBe(true)
      expect(yield* repo.revoke(key.id)).toBe(false)
      expect(yield* repo.findByHash(hash)).toEqual(Option.none())
      expect((yield* repo.list(key.organizationId))[0]?.revokedAt).not.toBeNull()
    }))
}
