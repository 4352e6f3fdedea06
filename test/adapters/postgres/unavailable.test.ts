import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Either, Layer, Redacted, Schedule } from "effect"
import { PostgresDatabase } from "../../../src/adapters/postgres/Database.ts"
import { QueryTimeout } from "../../../src/adapters/postgres/orUnavailable.ts"
import { WorkflowRepoPg } from "../../../src/adapters/postgres/WorkflowRepo.ts"
import { WorkflowRepo } from "../../../src/ports/WorkflowRepo.ts"
import { freshPostgres, skipServices, testDatabaseUrl } from "../../support/databases.ts"
import { startTcpProxy } from "../../support/tcpProxy.ts"

/** Retries `self` until it succeeds, at most `times` times with a short pause: recovery, not timing. */
const eventually = <A, E, R>(self: Effect.Effect<A, E, R>, times = 40) =>
  Effect.retry(self, { times, schedule: Schedule.spaced("100 millis") }).pipe(Effect.either)

describe.skipIf(skipServices)("PostgreSQL behind a failing network", () => {
  it.live("a repository call fails as Unavailable within the query timeout, and the pool recovers", () =>
    Effect.gen(function* () {
      // Migrate a fresh database directly, then reach it only through the proxy.
      const dbUrl = Context.get(yield* Layer.build(freshPostgres()), PgClient.PgClient).config
      const target = new URL(testDatabaseUrl)
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })),
        (p) => Effect.promise(() => p.close())
      )
      const viaProxy = `postgres://${dbUrl.username}@127.0.0.1:${proxy.port}/${dbUrl.database}`
      const repoLayer = WorkflowRepoPg.pipe(
        Layer.provide(PostgresDatabase(Redacted.make(viaProxy), { maxConnections: 2 })),
        Layer.merge(Layer.succeed(QueryTimeout, Duration.seconds(1)))
      )
      yield* Effect.gen(function* () {
        const repo = yield* WorkflowRepo
        expect((yield* repo.list("org-x", 5)).items).toEqual([])

        proxy.set("refuse")
        const refused = yield* Effect.either(repo.list("org-x", 5)).pipe(Effect.timeout("10 seconds"))
        expect(Either.isLeft(refused) && refused.left._tag).toBe("Unavailable")

        proxy.set("blackhole")
        const hung = yield* Effect.either(repo.list("org-x", 5)).pipe(Effect.timeout("10 seconds"))
        expect(Either.isLeft(hung) && hung.left).toMatchObject({ _tag: "Unavailable", dependency: "database" })

        proxy.set("open")
        const recovered = yield* eventually(repo.list("org-x", 5))
        expect(Either.isRight(recovered)).toBe(true)
      }).pipe(Effect.provide(repoLayer))
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
