import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Option, Redacted, Schedule, type Scope } from "effect"
import { ApiKeyRepoPg } from "../../../src/adapters/postgres/ApiKeyRepo.ts"
import { ChangeFeed } from "../../../src/adapters/postgres/ChangeFeed.ts"
import { PostgresDatabase } from "../../../src/adapters/postgres/Database.ts"
import { WorkflowRepoPg } from "../../../src/adapters/postgres/WorkflowRepo.ts"
import { ApiKeyRepo } from "../../../src/ports/ApiKeyRepo.ts"
import { WorkflowRepo } from "../../../src/ports/WorkflowRepo.ts"
import { freshDatabaseUrl, skipServices } from "../../support/databases.ts"
import { startTcpProxy } from "../../support/tcpProxy.ts"
import { freshOrg, workflowFor } from "../../contract/fixtures.ts"

/** Polls `read` until `accept` holds (at most ~10 s): change propagation, not a timing assertion. */
const until = <A, E>(read: Effect.Effect<A, E>, accept: (a: A) => boolean) =>
  read.pipe(
    Effect.filterOrFail(accept, () => "not yet" as const),
    Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") })
  )

/** One instance's repositories on `url` (its own pool, its own change feed), listening before it answers. */
const instance = (url: string): Effect.Effect<Context.Context<ApiKeyRepo | WorkflowRepo | ChangeFeed | PgClient.PgClient>, unknown, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Layer.build(Layer.mergeAll(ApiKeyRepoPg, WorkflowRepoPg).pipe(Layer.provideMerge(PostgresDatabase(Redacted.make(url), { maxConnections: 2 }))))
    const feed = Context.get(context, ChangeFeed)
    yield* until(Effect.sync(() => feed.isLive()), (live) => live)
    return context
  })

const newKey = (organizationId: string) => {
  const id = crypto.randomUUID()
  return { record: { id, organizationId, name: "cache", prefix: "ast_cache", createdAt: new Date().toISOString(), lastUsedAt: null, revokedAt: null }, hash: `hash-${id}` }
}

describe.skipIf(skipServices)("cached API keys and workflows on PostgreSQL", () => {
  it.scopedLive("a key revoked or a workflow replaced or deleted on one instance is dropped from another's cache as it commits", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* freshDatabaseUrl)
      const a = yield* instance(url)
      const b = yield* instance(url)
      const org = freshOrg()
      const { record, hash } = newKey(org)
      yield* Context.get(a, ApiKeyRepo).create(record, hash)
      // Both instances authenticate the key (and keep it).
      expect(Option.isSome(yield* Context.get(a, ApiKeyRepo).findByHash(hash))).toBe(true)
      expect(Option.isSome(yield* Context.get(b, ApiKeyRepo).findByHash(hash))).toBe(true)
      expect(yield* Context.get(a, ApiKeyRepo).revoke(record.id)).toBe(true)
      // The instance that revoked it refuses it at once; the other as soon as it hears the commit.
      expect(yield* Context.get(a, ApiKeyRepo).findByHash(hash)).toEqual(Option.none())
      yield* until(Context.get(b, ApiKeyRepo).findByHash(hash), Option.isNone)

      const workflow = workflowFor(org, { name: "v1" })
      yield* Context.get(a, WorkflowRepo).save(workflow)
      expect(Option.getOrThrow(yield* Context.get(b, WorkflowRepo).get(org, workflow.id)).name).toBe("v1")
      yield* Context.get(a, WorkflowRepo).save({ ...workflow, name: "v2", version: 2 })
      expect(Option.getOrThrow(yield* Context.get(a, WorkflowRepo).get(org, workflow.id)).version).toBe(2)
      yield* until(Context.get(b, WorkflowRepo).get(org, workflow.id), (w) => Option.isSome(w) && w.value.version === 2)
      // Cached, the workflow is still only its organization's.
      expect(yield* Context.get(b, WorkflowRepo).get(freshOrg(), workflow.id)).toEqual(Option.none())
      expect(yield* Context.get(a, WorkflowRepo).remove(org, workflow.id)).toBe(true)
      expect(yield* Context.get(a, WorkflowRepo).get(org, workflow.id)).toEqual(Option.none())
      yield* until(Context.get(b, WorkflowRepo).get(org, workflow.id), Option.isNone)
    }))

  it.scopedLive("reads are served from the cache, and only a heard change drops them", () =>
    Effect.gen(function* () {
      const url = Redacted.value(yield* freshDatabaseUrl)
      const a = yield* instance(url)
      const sql = Context.get(a, PgClient.PgClient)
      const org = freshOrg()
      const workflow = workflowFor(org, { name: "cached" })
      yield* Context.get(a, WorkflowRepo).save(workflow)
      // The save's own NOTIFY would drop what is read before it is heard: wait for it (changes arrive in
      // commit order, so hearing a marker sent after it is enough).
      const heard: Array<string> = []
      Context.get(a, ChangeFeed).subscribe((change) => heard.push(change))
      yield* sql`SELECT pg_notify('ast_cache', 'marker:1')`
      yield* until(Effect.sync(() => heard), (changes) => changes.includes("marker:1"))
      expect(Option.getOrThrow(yield* Context.get(a, WorkflowRepo).get(org, workflow.id)).name).toBe("cached")
      // Changed behind the service's back (no NOTIFY): the cache still answers what it read.
      yield* sql`UPDATE workflows SET name = 'behind', document = document || '{"name":"behind"}'::jsonb WHERE id = ${workflow.id}`
      expect(Option.getOrThrow(yield* Context.get(a, WorkflowRepo).get(org, workflow.id)).name).toBe("cached")
      yield* sql`SELECT pg_notify('ast_cache', ${`workflow:${workflow.id}`})`
      yield* until(Context.get(a, WorkflowRepo).get(org, workflow.id), (w) => Option.isSome(w) && w.value.name === "behind")
    }))

  it.scopedLive("while its change feed is cut, an instance reads through to the database: no stale row survives a missed change", () =>
    Effect.gen(function* () {
      const url = new URL(Redacted.value(yield* freshDatabaseUrl))
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })),
        (p) => Effect.promise(() => p.close())
      )
      const direct = yield* instance(url.toString())
      const viaProxy = new URL(url)
      viaProxy.host = `127.0.0.1:${proxy.port}`
      const cut = yield* instance(viaProxy.toString())
      const org = freshOrg()
      const workflow = workflowFor(org, { name: "before" })
      yield* Context.get(direct, WorkflowRepo).save(workflow)
      expect(Option.getOrThrow(yield* Context.get(cut, WorkflowRepo).get(org, workflow.id)).name).toBe("before")
      // The feed's connection drops, and meanwhile the workflow changes: the NOTIFY is lost for `cut`.
      proxy.set("refuse")
      yield* until(Effect.sync(() => Context.get(cut, ChangeFeed).isLive()), (live) => !live)
      yield* Context.get(direct, WorkflowRepo).save({ ...workflow, name: "after", version: 2 })
      proxy.set("open")
      yield* until(Context.get(cut, WorkflowRepo).get(org, workflow.id).pipe(Effect.orElseSucceed(() => Option.none())), (w) => Option.isSome(w) && w.value.name === "after")
      // Listening again, it caches again (and started from empty).
      yield* until(Effect.sync(() => Context.get(cut, ChangeFeed).isLive()), (live) => live)
      expect(Option.getOrThrow(yield* Context.get(cut, WorkflowRepo).get(org, workflow.id)).version).toBe(2)
    }))
})
