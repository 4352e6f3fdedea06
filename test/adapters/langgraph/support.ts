import { Effect, Layer, Redacted, Schedule } from "effect"
import { randomBytes } from "node:crypto"
import { SecretBoxAesGcm } from "../../../src/adapters/crypto/SecretBox.ts"
import type { ModelProviders } from "../../../src/adapters/langgraph/chatModel.ts"
import { PostgresRepositories } from "../../../src/adapters/postgres/Repositories.ts"
import type { Repositories } from "../../../src/main/Service.ts"
import type { FakeModelServer } from "../../support/fakeModels.ts"
import { freshPglite, freshPostgres } from "../../support/databases.ts"
import { MemoryRepositories, newOrganization, testService } from "../../support/server.ts"

/** Model access pointing at fake servers (a key that must reach them, never a real one). */
export const providersFor = (servers: { readonly openai?: FakeModelServer; readonly anthropic?: FakeModelServer }, requestTimeoutMs = 10_000): ModelProviders => ({
  openai: servers.openai === undefined ? {} : { apiKey: Redacted.make("sk-test-fake-openai-key"), baseUrl: servers.openai.url },
  anthropic: servers.anthropic === undefined ? {} : { apiKey: Redacted.make("sk-ant-test-fake-key"), baseUrl: servers.anthropic.url },
  requestTimeoutMs
})

/** Where the service keeps its data in a test: process memory, a fresh PostgreSQL database, or fresh PGlite. */
export const stores = {
  memory: () => MemoryRepositories as Layer.Layer<Repositories, unknown>,
  postgres: () => PostgresRepositories.pipe(Layer.merge(SecretBoxAesGcm(randomBytes(32))), Layer.provide(freshPostgres())) as Layer.Layer<Repositories, unknown>,
  pglite: () => PostgresRepositories.pipe(Layer.merge(SecretBoxAesGcm(randomBytes(32))), Layer.provide(freshPglite())) as Layer.Layer<Repositories, unknown>
} as const

export const agentService = (providers: ModelProviders, options: { readonly persistence?: Layer.Layer<Repositories, unknown>; readonly livchatApiUrl?: string } = {}) =>
  testService({
    ...(options.persistence === undefined ? {} : { persistence: options.persistence }),
    serviceOptions: {
      modelProviders: providers,
      ...(options.livchatApiUrl === undefined ? {} : { livchatApiUrl: options.livchatApiUrl, livchatApiKey: Redacted.make("lc_test_default_key") })
    }
  })

/** The seed's shape: trigger → agent → send of the agent's reply (`node` adds timeoutMs, retry... to the agent node). */
export const replyWorkflow = (agent: Record<string, unknown>, node: Record<string, unknown> = {}): any => ({
  name: "support",
  trigger: { type: "webhook" as const },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "agent", type: "agent", config: { model: "openai:gpt-test", ...agent }, ...node },
      { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } }
    ],
    edges: [{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }]
  }
})

export const say = (threadId: string, content: string) => ({
  threadId,
  input: { messages: [{ content }], sender: { phone: "5511999990000", name: "Ana" } },
  context: { instanceId: "inst-1" }
})

type Client = Effect.Effect.Success<typeof newOrganization>["client"]

/** Runs the workflow now and answers the stored execution with its steps. */
export const executeAndRead = (client: Client, workflowId: string, payload: ReturnType<typeof say>) =>
  Effect.gen(function* () {
    const run = yield* client.runs.execute({ path: { id: workflowId }, payload })
    return yield* client.executions.get({ path: { id: run.executionId } })
  })

/** Polls until `check` holds (with a deadline). */
export const eventually = <A>(read: Effect.Effect<A, unknown>, check: (a: A) => boolean) =>
  read.pipe(Effect.filterOrFail(check, () => "not yet"), Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") }))

/** The roles and texts of the messages a chat request sent to an OpenAI-compatible model. */
export const sentMessages = (server: FakeModelServer, index: number) =>
  (server.requests[index]?.body.messages as Array<{ role: string; content: unknown }>).map((m) => `${m.role}: ${typeof m.content === "string" ? m.content : JSON.stringify(m.content)}`)
