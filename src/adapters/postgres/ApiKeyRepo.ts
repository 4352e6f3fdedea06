import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option } from "effect"
import { type ApiKeyRecord, ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"
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

/** API keys on PostgreSQL: only the hash of a key is stored. */
export const makeApiKeyRepoPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const columns = sql`id, organization_id, name, prefix, created_at, last_used_at, revoked_at`
  const service: ApiKeyRepo["Type"] = {
    create: (key, hash) =>
      sql`INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, created_at)
          VALUES (${key.id}, ${key.organizationId}, ${key.name}, ${key.prefix}, ${hash}, ${new Date(key.createdAt)})`.pipe(
        Effect.asVoid,
        orUnavailable("ApiKeyRepo.create")
      ),
    findByHash: (hash) =>
      Effect.gen(function* () {
        const rows = yield* sql<ApiKeyRow>`SELECT ${columns} FROM api_keys WHERE key_hash = ${hash} AND revoked_at IS NULL`
        const row = rows[0]
        if (row === undefined) return Option.none()
        // `lastUsedAt` is kept to the minute: writing the same row on every request would serialize them.
        if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > 60_000) {
          const used = yield* sql<{ last_used_at: Date }>`UPDATE api_keys SET last_used_at = now() WHERE id = ${row.id} RETURNING last_used_at`
          return Option.some(recordOf({ ...row, last_used_at: used[0]?.last_used_at ?? new Date() }))
        }
        return Option.some(recordOf(row))
      }).pipe(orUnavailable("ApiKeyRepo.findByHash")),
    list: (organizationId) =>
      sql<ApiKeyRow>`SELECT ${columns} FROM api_keys WHERE organization_id = ${organizationId} ORDER BY created_at DESC, id DESC`.pipe(
        Effect.map((rows) => rows.map(recordOf)),
        orUnavailable("ApiKeyRepo.list")
      ),
    revoke: (id) =>
      !isUuid(id) ? Effect.succeed(false) : sql`UPDATE api_keys SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orUnavailable("ApiKeyRepo.revoke")
      )
  }
  return service
})

export const ApiKeyRepoPg = Layer.effect(ApiKeyRepo, makeApiKeyRepoPg)
