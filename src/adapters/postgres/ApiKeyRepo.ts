import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option } from "effect"
import { type ApiKeyRecord, ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"
import { ChangeFeed, changesChannel, makeRowCache } from "./ChangeFeed.ts"
import { iso, orUnavailable } from "./orUnavailable.ts"
import { isUuid } from "./uuid.ts"

interface ApiKeyRow {
  readonly id: string
  readonly organization_id: string
  readonly name: string | null
  readonly prefix: string
  readonly created_at: Date
  readonly last_used_at: Date | null
  readonly revoked_at: Date | null
}

const recordOf = (r: ApiKeyRow): ApiKeyRecord => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  prefix: r.prefix,
  createdAt: iso(r.created_at)!,
  lastUsedAt: iso(r.last_used_at),
  revokedAt: iso(r.revoked_at)
})

/** `lastUsedAt` is kept to the minute: writing the same row on every request would serialize them. */
const LAST_USED_RESOLUTION_MS = 60_000

/**
 * API keys on PostgreSQL: only the hash of a key is stored. Live keys are cached by hash (the
 * ChangeFeed drops a revoked one on every instance as its revocation commits), so a request usually
 * authenticates without a query.
 */
export const makeApiKeyRepoPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const columns = sql`id, organization_id, name, prefix, created_at, last_used_at, revoked_at`
  const live = makeRowCache({
    feed: yield* ChangeFeed,
    kind: "api_key",
    // Only a read of the database is timed and traced: a cached key costs no timeout race and no span.
    lookup: (hash) =>
      sql<ApiKeyRow>`SELECT ${columns} FROM api_keys WHERE key_hash = ${hash} AND revoked_at IS NULL`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        orUnavailable("ApiKeyRepo.findByHash")
      )
  })
  /** When this instance last wrote each key's `last_used_at` (a cached row does not see it). */
  const usedAt = new Map<string, number>()
  const service: ApiKeyRepo["Type"] = {
    create: (key, hash) =>
      sql`INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, created_at)
          VALUES (${key.id}, ${key.organizationId}, ${key.name}, ${key.prefix}, ${hash}, ${new Date(key.createdAt)})`.pipe(
        Effect.asVoid,
        orUnavailable("ApiKeyRepo.create")
      ),
    findByHash: (hash) =>
      Effect.gen(function* () {
        const found = yield* live.get(hash)
        if (Option.isNone(found)) return Option.none()
        const row = found.value
        const lastUsed = Math.max(row.last_used_at?.getTime() ?? 0, usedAt.get(row.id) ?? 0)
        if (Date.now() - lastUsed > LAST_USED_RESOLUTION_MS) {
          const used = yield* sql<{ last_used_at: Date }>`UPDATE api_keys SET last_used_at = now() WHERE id = ${row.id} RETURNING last_used_at`.pipe(
            orUnavailable("ApiKeyRepo.markUsed")
          )
          const at = used[0]?.last_used_at ?? new Date()
          usedAt.set(row.id, at.getTime())
          return Option.some(recordOf({ ...row, last_used_at: at }))
        }
        return Option.some(recordOf({ ...row, last_used_at: lastUsed === 0 ? null : new Date(lastUsed) }))
      }),
    list: (organizationId) =>
      sql<ApiKeyRow>`SELECT ${columns} FROM api_keys WHERE organization_id = ${organizationId} ORDER BY created_at DESC, id DESC`.pipe(
        Effect.map((rows) => rows.map(recordOf)),
        orUnavailable("ApiKeyRepo.list")
      ),
    // Every instance drops the key from its cache when the revocation commits (NOTIFY), this one at once.
    revoke: (id) =>
      !isUuid(id) ? Effect.succeed(false) : sql<{ key_hash: string }>`
        WITH revoked AS (UPDATE api_keys SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL RETURNING key_hash)
        SELECT key_hash, pg_notify(${changesChannel}, 'api_key:' || key_hash) FROM revoked`.pipe(
        Effect.tap((rows) => Effect.forEach(rows, (row) => live.invalidate(row.key_hash))),
        Effect.tap(() => Effect.sync(() => usedAt.delete(id))),
        Effect.map((rows) => rows.length > 0),
        orUnavailable("ApiKeyRepo.revoke")
      )
  }
  return service
})

export const ApiKeyRepoPg = Layer.effect(ApiKeyRepo, makeApiKeyRepoPg)
