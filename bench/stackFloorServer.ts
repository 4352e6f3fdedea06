/**
 * The second baseline of bench/trigger.ts, run by it as a child process: the bare server's work (bench/bareServer.ts:
 * check the bearer token in memory, decode the §5 body, INSERT it as one JSONB row, answer
 * `202 {status: "triggered", executionId}`) written on the stack AST must use — an `@effect/platform` `HttpApi`
 * served by `NodeHttpServer`, the payload decoded by its Schema, a bearer `HttpApiMiddleware`, the row written
 * through `@effect/sql-pg` (a pool of 10, AST's size), Effect's tracer off as AST runs it without a collector.
 * Nothing else: no API-key lookup, no workflow, no execution, no problem+json rewriting, no metrics. It measures
 * what the chosen framework costs before AST's own code runs.
 *
 * Environment: `DATABASE_URL`, `PORT` (0 for any free port), `HOST`, `BARE_TOKEN`. Prints
 * `{"listening": <port>}` on stdout when ready. Does nothing when imported (bench/run.ts imports every file in bench/).
 */
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Config, Effect, Layer, Schema } from "effect"
import { BearerAuth, bearerAuth, Open, serveApi } from "./floorHttp.ts"

export const floorTable = "floor_triggers"

/** The same minimal §5 shape bench/bareServer.ts checks by hand. */
const TriggerBody = Schema.Struct({
  threadId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  input: Schema.optional(Schema.Struct({ messages: Schema.optional(Schema.Array(Schema.Struct({ content: Schema.String }, Open))) }, Open)),
  context: Schema.optional(Schema.Record(Open))
})

const FloorApi = HttpApi.make("floor").add(
  HttpApiGroup.make("runs").add(
    HttpApiEndpoint.post("trigger", "/api/v1/workflows/:id/trigger")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setPayload(TriggerBody)
      .addSuccess(Schema.Struct({ status: Schema.Literal("triggered"), executionId: Schema.String }), { status: 202 })
  ).middleware(BearerAuth)
)

const RunsLive = HttpApiBuilder.group(FloorApi, "runs", (handlers) =>
  Effect.map(SqlClient.SqlClient, (sql) =>
    handlers.handle("trigger", ({ payload }) => {
      const executionId = crypto.randomUUID()
      return sql`INSERT INTO ${sql(floorTable)} (id, thread_id, status, body) VALUES (${executionId}, ${payload.threadId}, 'pending', ${JSON.stringify(payload)}::jsonb)`.pipe(
        Effect.orDie,
        Effect.as({ status: "triggered" as const, executionId })
      )
    })))

const main = Effect.gen(function* () {
  const token = yield* Config.string("BARE_TOKEN")
  const databaseUrl = yield* Config.redacted("DATABASE_URL")
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(0))
  const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
  const Table = Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`CREATE TABLE IF NOT EXISTS ${sql(floorTable)} (
      id uuid PRIMARY KEY, thread_id text NOT NULL, status text NOT NULL, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`))
  const Served = serveApi(
    HttpApiBuilder.api(FloorApi).pipe(Layer.provide(RunsLive), Layer.provide(bearerAuth(token)), Layer.provide(Table)),
    { port, host }
  ).pipe(Layer.provide(PgClient.layer({ url: databaseUrl, maxConnections: 10, applicationName: "floor" })))
  return yield* Layer.launch(Served)
})

if (import.meta.main) {
  main.pipe(Effect.provide(Layer.setTracerEnabled(false)), NodeRuntime.runMain)
}
