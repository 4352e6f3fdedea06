import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { SecretBoxAesGcm } from "../../src/adapters/crypto/SecretBox.ts"
import { PostgresDatabase } from "../../src/adapters/postgres/Database.ts"
import { PostgresRepositories } from "../../src/adapters/postgres/Repositories.ts"
import { freshPostgres, skipServices, testDatabaseUrl } from "../support/databases.ts"
import { raw, newOrganization, testService } from "../support/server.ts"
import { startTcpProxy } from "../support/tcpProxy.ts"

describe.skipIf(skipServices)("the HTTP API on PostgreSQL", () => {
  it.live("works end to end, and answers 503 fast (problem+json) while the database is cut off, then recovers", () =>
    Effect.gen(function* () {
      const db = Context.get(yield* Layer.build(freshPostgres()), PgClient.PgClient).config
      const target = new URL(testDatabaseUrl)
      const proxy = yield* Effect.acquireRelease(
        Effect.promise(() => startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })),
        (p) => Effect.promise(() => p.close())
      )
      const persistence = PostgresRepositories.pipe(
        Layer.merge(SecretBoxAesGcm(randomBytes(32))),
        Layer.provideMerge(PostgresDatabase(Redacted.make(`postgres://${db.username}@127.0.0.1:${proxy.port}/${db.database}`), { maxConnections: 2 }))
      )
      yield* Effect.gen(function* () {
        const { client, key } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: { name: "echo", graph: { nodes: [{ id: "trigger", type: "trigger" }, { id: "t", type: "transform", config: { set: { said: "{{input.aggregatedInput}}" } } }], edges: [{ from: "trigger", to: "t" }] } } })
        const done = yield* client.runs.execute({ path: { id: wf.id }, payload: { threadId: "t1", input: { messages: [{ content: "oi" }] } } })
        expect(done).toMatchObject({ status: "completed", output: { t: { said: "oi" } } })
        expect((yield* client.executions.get({ path: { id: done.executionId } })).steps).toHaveLength(2)
        // An id that is not a UUID names nothing: 404, not a database error.
        for (const path of ["/api/v1/workflows/not-a-uuid", "/api/v1/executions/not-a-uuid", "/api/v1/executions?workflowId=not-a-uuid"]) {
          const answer = yield* raw(path, { key })
          expect([path, answer.status]).toEqual([path, path.includes("?") ? 200 : 404])
        }
        expect((yield* raw("/api/v1/workflows/not-a-uuid", { key, method: "DELETE" })).status).toBe(404)
        expect((yield* raw("/api/v1/executions/not-a-uuid", { key, method: "DELETE" })).status).toBe(404)

        proxy.set("refuse")
        const down = yield* raw("/api/v1/workflows", { key }).pipe(Effect.timeout("10 seconds"))
        expect([down.status, down.headers.get("content-type"), down.json.code]).toEqual([503, "application/problem+json", "unavailable"])
        expect(down.json.correlationId).toBe(down.headers.get("x-correlation-id"))

        proxy.set("open")
        const back = yield* raw("/api/v1/workflows", { key }).pipe(
          Effect.filterOrFail((r) => r.status === 200, () => "not yet"),
          Effect.retry({ times: 40, schedule: Schedule.spaced("100 millis") })
        )
        expect(back.json.items.map((w: { id: string }) => w.id)).toEqual([wf.id])
      }).pipe(Effect.provide(testService({ persistence })))
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
