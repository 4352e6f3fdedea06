import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { fakeOpenAI } from "../../support/fakeModels.ts"
import { newOrganization } from "../../support/server.ts"
import { openStream } from "../../support/sse.ts"
import { agentService, providersFor, replyWorkflow, say } from "./support.ts"

describe("agent tokens on /stream", () => {
  it.live("tokens arrive while the model is still writing, then the whole message, then the end of the execution", () =>
    Effect.gen(function* () {
      const reply = "Claro! Nosso horário é das 9h às 18h, de segunda a sexta."
      const model = yield* fakeOpenAI([{ content: reply, tokenDelayMs: 100 }])
      yield* Effect.gen(function* () {
        const { client, key } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: replyWorkflow({}) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream`, { key, method: "POST", body: say("5511444", "que horas abre?") })
        const read = yield* stream.until((m) => m.data === "[DONE]")
        const events = read.flatMap((m) => (m.data === undefined || m.data === "[DONE]" ? [] : [{ ...JSON.parse(m.data), at: m.at }]))
        const tokens = events.filter((e) => e.type === "token")
        expect(tokens.length).toBeGreaterThan(5)
        expect(tokens.map((t) => t.content).join("")).toBe(reply)
        const types = events.map((e) => e.type)
        expect(types.indexOf("message")).toBeGreaterThan(types.lastIndexOf("token"))
        expect(events.find((e) => e.type === "message")).toMatchObject({ content: { type: "ai", content: reply } })
        const executionId = events.find((e) => e.type === "execution")!.executionId
        const done = yield* client.executions.get({ path: { id: executionId } })
        expect(done.status).toBe("completed")
        // The fake spends ~100 ms per word after the first: the first token was read long before the execution ended.
        expect(tokens[0]!.at).toBeLessThan(Date.parse(done.finishedAt!) - 500)
      }).pipe(Effect.provide(agentService(providersFor({ openai: model }))))
    }).pipe(Effect.scoped), { timeout: 30_000 })
})
