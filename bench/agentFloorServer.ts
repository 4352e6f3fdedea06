/**
 * The second subject of bench/agent.ts, run by it as a child process: the least a `/stream` agent turn does on the
 * stack AST must use, with none of AST's own work. An `@effect/platform` `HttpApi` (NodeHttpServer, payload Schema,
 * a bearer `HttpApiMiddleware` checking the token in memory) answers `POST /api/v1/workflows/:id/stream` with
 * server-sent events from a Node stream, and runs one turn of a LangGraph graph (`StateGraph(MessagesAnnotation)`,
 * one `model` node, compiled once) on `@langchain/langgraph-checkpoint-postgres`'s `PostgresSaver` — the thread's
 * memory read before the model is called and saved when the turn ends — with `@langchain/openai`'s `ChatOpenAI`
 * streaming: each token an event `{"type":"token","content":…}` as it comes, then `data: [DONE]`. No API-key
 * lookup, no workflow, no execution record, no steps, no send.
 *
 * Environment: `DATABASE_URL`, `PORT` (0 for any free port), `HOST`, `BARE_TOKEN`, `OPENAI_BASE_URL`,
 * `OPENAI_API_KEY`, `FLOOR_MODEL`, `FLOOR_SYSTEM_PROMPT`. Prints `{"listening": <port>}` on stdout when ready.
 * Does nothing when imported (bench/run.ts imports every file in bench/).
 */
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, HttpServerResponse } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { type AIMessageChunk, HumanMessage, SystemMessage } from "@langchain/core/messages"
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph"
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres"
import { ChatOpenAI } from "@langchain/openai"
import { Config, Effect, Layer, Schema } from "effect"
import { Readable } from "node:stream"
import { loadPg } from "./bareServer.ts"
import { BearerAuth, bearerAuth, Open, serveApi } from "./floorHttp.ts"

const StreamBody = Schema.Struct({
  threadId: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)),
  input: Schema.Struct({ messages: Schema.NonEmptyArray(Schema.Struct({ content: Schema.String }, Open)) }, Open),
  context: Schema.optional(Schema.Record(Open))
})

const FloorApi = HttpApi.make("agentFloor").add(
  HttpApiGroup.make("runs").add(
    HttpApiEndpoint.post("stream", "/api/v1/workflows/:id/stream")
      .setPath(Schema.Struct({ id: Schema.String }))
      .setPayload(StreamBody)
      .addSuccess(HttpApiSchema.Text({ contentType: "text/event-stream" }))
  ).middleware(BearerAuth)
)

const sseEvent = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`

/** The turn's graph: one node that streams the model's answer, its tokens to the request's stream. */
const turnGraph = (saver: PostgresSaver, model: ChatOpenAI, system: string) =>
  new StateGraph(MessagesAnnotation)
    .addNode("model", async (state, config) => {
      const out = config.configurable?.out as Readable
      let answer: AIMessageChunk | undefined
      for await (const chunk of await model.stream([new SystemMessage(system), ...state.messages], { signal: config.signal })) {
        if (chunk.text !== "") out.push(sseEvent({ type: "token", content: chunk.text }))
        answer = answer === undefined ? chunk : answer.concat(chunk)
      }
      return { messages: answer === undefined ? [] : [answer] }
    })
    .addEdge(START, "model")
    .addEdge("model", END)
    .compile({ checkpointer: saver })

const main = Effect.gen(function* () {
  const token = yield* Config.string("BARE_TOKEN")
  const databaseUrl = yield* Config.string("DATABASE_URL")
  const port = yield* Config.integer("PORT").pipe(Config.withDefault(0))
  const host = yield* Config.string("HOST").pipe(Config.withDefault("127.0.0.1"))
  const baseURL = yield* Config.string("OPENAI_BASE_URL")
  const apiKey = yield* Config.string("OPENAI_API_KEY")
  const modelName = yield* Config.string("FLOOR_MODEL")
  const system = yield* Config.string("FLOOR_SYSTEM_PROMPT")

  const pool = new (loadPg().Pool)({ connectionString: databaseUrl, max: 10, application_name: "agent-floor" })
  const saver = new PostgresSaver(pool as never)
  yield* Effect.promise(() => saver.setup())
  const model = new ChatOpenAI({ model: modelName, apiKey, maxRetries: 0, streaming: true, streamUsage: true, configuration: { baseURL } })
  const graph = turnGraph(saver, model, system)

  const RunsLive = HttpApiBuilder.group(FloorApi, "runs", (handlers) =>
    Effect.succeed(handlers.handle("stream", ({ payload }) =>
      Effect.sync(() => {
        const out = new Readable({ read() {} })
        const said = new HumanMessage(payload.input.messages.map((m) => m.content).join("\n"))
        graph.invoke({ messages: [said] }, { configurable: { thread_id: payload.threadId, out }, durability: "exit" }).then(
          () => {
            out.push("data: [DONE]\n\n")
            out.push(null)
          },
          (e: unknown) => {
            out.push(sseEvent({ type: "error", content: e instanceof Error ? e.message : String(e) }))
            out.push("data: [DONE]\n\n")
            out.push(null)
          }
        )
        return HttpServerResponse.raw(out, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } })
      }))))

  const Served = serveApi(HttpApiBuilder.api(FloorApi).pipe(Layer.provide(RunsLive), Layer.provide(bearerAuth(token))), { port, host })
  return yield* Layer.launch(Served).pipe(Effect.ensuring(Effect.promise(() => pool.end())))
})

if (import.meta.main) {
  main.pipe(Effect.provide(Layer.setTracerEnabled(false)), NodeRuntime.runMain)
}
