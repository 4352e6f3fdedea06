import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Logger, Redacted, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { SecretBoxAesGcm } from "../../src/adapters/crypto/SecretBox.ts"
import { PostgresRepositories } from "../../src/adapters/postgres/Repositories.ts"
import { freshPostgres, skipServices } from "../support/databases.ts"
import { startFakeLivchat } from "../support/fakeLivchat.ts"
import { startReceiver } from "../support/receiver.ts"
import { newOrganization, testService } from "../support/server.ts"

const secret = "lc_live_SECRET_must_never_leak_7731"

describe.skipIf(skipServices)("LivChat end to end, on PostgreSQL", () => {
  it.live("a burst is answered through LivChat with the trigger's key and one Idempotency-Key; the key is nowhere afterwards", () =>
    Effect.gen(function* () {
      const livchat = yield* Effect.acquireRelease(Effect.promise(() => startFakeLivchat()), (f) => Effect.promise(() => f.close()))
      const receiver = yield* Effect.acquireRelease(Effect.promise(() => startReceiver("whsec")), (r) => Effect.promise(r.close))
      // LivChat fails the first send once: the retry carries the same Idempotency-Key.
      livchat.answer("serverError")
      const database = yield* Layer.build(freshPostgres())
      const sql = Context.get(database, PgClient.PgClient)
      const persistence = PostgresRepositories.pipe(Layer.merge(SecretBoxAesGcm(randomBytes(32))), Layer.provide(Layer.succeedContext(database)))
      const logs: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make((entry) => logs.push(JSON.stringify({ message: entry.message, annotations: [...entry.annotations] }))))
      const service = testService({
        persistence,
        serviceOptions: { livchatApiUrl: livchat.url, callbackUrl: receiver.url, webhookSecret: Redacted.make("whsec") }
      }).pipe(Layer.provide(capture))
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({
          payload: {
            name: "reply",
            trigger: { type: "webhook", accumulator: { timeoutSeconds: 0.3 } },
            graph: { nodes: [{ id: "trigger", type: "trigger" }, { id: "send", type: "send", config: { message: "Recebi: {{input.aggregatedInput}}" } }], edges: [{ from: "trigger", to: "send" }] }
          }
        })
        const payload = (content: string) => ({
          threadId: "5511777", input: { messages: [{ id: `wamid-${content}`, content }], sender: { phone: "5511777" } },
          context: { instanceId: "inst-9", livchatApiKey: secret }
        })
        const first = yield* client.runs.trigger({ path: { id: wf.id }, payload: payload("oi") })
        yield* client.runs.trigger({ path: { id: wf.id }, payload: payload("tudo bem?") })
        const done = yield* client.executions.get({ path: { id: first.executionId } }).pipe(
          Effect.filterOrFail((e) => e.status === "completed" || e.status === "error", () => "not yet"),
          Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") })
        )
        expect(done.status).toBe("completed")
        const sends = livchat.requests.filter((r) => r.path === "/api/v1/messages/send")
        expect(sends).toHaveLength(2)
        expect(sends.map((r) => r.headers["idempotency-key"])).toEqual([`${done.id}:send:1`, `${done.id}:send:1`])
        expect(sends[1]?.headers.authorization).toBe(`Bearer ${secret}`)
        expect(sends[1]?.body).toEqual({ phone: "5511777", message: "Recebi: oi\n\ntudo bem?", instanceId: "inst-9" })
        yield* Effect.sync(() => receiver.accepted.length).pipe(Effect.filterOrFail((n) => n >= 1, () => "not yet"), Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") }))
      }).pipe(Effect.provide(service))

      // The secret scan: every row of every table, and every log line.
      const tables = yield* sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`
      const dumps = yield* Effect.forEach(tables, (t) => sql.unsafe<{ row: string }>(`SELECT t::text AS row FROM "${t.table_name}" t`))
      const everything = dumps.flat().map((r) => r.row).join("\n")
      expect(everything).toContain("tudo bem?")
      expect(everything).not.toContain(secret)
      expect(logs.length).toBeGreaterThan(0)
      expect(logs.join("\n")).not.toContain(secret)
      expect(JSON.stringify(receiver.accepted)).not.toContain(secret)
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
