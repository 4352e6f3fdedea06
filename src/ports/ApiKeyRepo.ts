import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"

export interface ApiKeyRecord {
  readonly id: string
  readonly organizationId: string
  readonly name: string | null
  readonly prefix: string
  readonly createdAt: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

/** API keys, kept only as hashes (§2). */
export class ApiKeyRepo extends Context.Tag("ast/ApiKeyRepo")<ApiKeyRepo, {
  /** Stores a new key by its hash. */
  readonly create: (key: ApiKeyRecord, hash: string) => Effect.Effect<void, Unavailable>
  /** The live key with this hash, marking it used. */
  readonly findByHash: (hash: string) => Effect.Effect<Option.Option<ApiKeyRecord>, Unavailable>
  /** The keys of an organization (never the key itself). */
  readonly list: (organizationId: string) => Effect.Effect<ReadonlyArray<ApiKeyRecord>, Unavailable>
  /** Revokes a key; answers whether it existed. */
  readonly revoke: (id: string) => Effect.Effect<boolean, Unavailable>
}>() {}
