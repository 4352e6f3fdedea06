import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { freshDatabaseUrl, skipServices } from "../support/databases.ts"
import { call, clusterEnv, startInstance, stopInstance } from "../support/instances.ts"
import { startTcpProxy } from "../support/tcpProxy.ts"

/** Redis database 11 is this suite's own. */
const redisDb = 11

/** Polls `/ready` until it answers `status` (a dependency's state is seen on the next check). */
const readyUntil = (url: string, status: number) =>
  Effect.promise(async () => {
    const until = Date.now() + 20_000
    for (;;) {
      const started = performance.now()
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(10_000) })
      const answer = { status: response.status, body: (await response.json()) as { code?: string; detail: string }, ms: performance.now() - started }
      if (answer.status === status || Date.now() > until) return answer
      await new Promise((r) => setTimeout(r, 200))
    }
  })

describe.skipIf(skipServices)("/ready checks PostgreSQL and Redis with a short timeout (§8); /health only that the process lives", () => {
  it.live("a dependency that is cut makes /ready answer 503 naming it, fast; it comes back when the dependency does", () =>
    Effect.gen(function* () {
      const database = new URL(Redacted.value(yield* freshDatabaseUrl))
      const pgProxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ host: database.hostname, port: Number(database.port || 5432) })), (p) => Effect.promise(() => p.close()))
      const redisProxy = yield* Effect.acquireRelease(Effect.promise(() => startTcpProxy({ host: "127.0.0.1", port: 6379 })), (p) => Effect.promise(() => p.close()))
      database.host = `127.0.0.1:${pgProxy.port}`
      const env = clusterEnv(database.toString(), `redis://127.0.0.1:${redisProxy.port}/${redisDb}`)
      const instance = yield* Effect.acquireRelease(Effect.promise(() => startInstance("ready", env, 60_000)), (i) => Effect.promise(() => stopInstance(i, "SIGKILL")))

      const ready = yield* readyUntil(instance.url, 200)
      expect(ready.body).toEqual({ status: "ready", checks: { database: "ok", redis: "ok" } })

      redisProxy.set("refuse")
      const noRedis = yield* readyUntil(instance.url, 503)
      expect(noRedis.status).toBe(503)
      expect(noRedis.body).toMatchObject({ code: "unavailable", detail: expect.stringContaining("redis") })
      expect(noRedis.body.detail).not.toContain("database")
      expect(noRedis.ms).toBeLessThan(5_000)
      expect((yield* Effect.promise(() => call(instance, "/health"))).status).toBe(200)
      redisProxy.set("open")
      expect((yield* readyUntil(instance.url, 200)).status).toBe(200)

      pgProxy.set("refuse")
      const noDatabase = yield* readyUntil(instance.url, 503)
      expect(noDatabase.body.detail).toContain("database")
      expect(noDatabase.body.detail).not.toContain("redis")
      pgProxy.set("open")
      expect((yield* readyUntil(instance.url, 200)).status).toBe(200)
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
