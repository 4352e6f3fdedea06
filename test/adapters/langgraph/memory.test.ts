import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { ThreadMemory } from "../../../src/ports/ThreadMemory.ts"
import { skipServices } from "../../support/databases.ts"
import { fakeOpenAI } from "../../support/fakeModels.ts"
import { newOrganization } from "../../support/server.ts"
import { agentService, executeAndRead, providersFor, replyWorkflow, say, sentMessages, stores } from "./support.ts"

for (const [name, store] of Object.entries(stores)) {
  describe.skipIf(skipServices && name !== "memory")(`thread memory on ${name}`, () => {
    it.live("the agent remembers a thread across executions, sees at most maxMessages past messages, and an erased thread starts over", () =>
      Effect.gen(function* () {
        const model = yield* fakeOpenAI([{ content: "Oi Ana!" }, { content: "Você se chama Ana." }, { content: "Anotado: pizza." }, { content: "Olá! Como posso ajudar?" }])
        yield* Effect.gen(function* () {
          const { client } = yield* newOrganization
          const wf = yield* client.workflows.create({ payload: replyWorkflow({ systemPrompt: "Seja simpático.", memory: { maxMessages: 2 } }) })
          yield* executeAndRead(client, wf.id, say("5511000", "meu nome é Ana"))
          yield* executeAndRead(client, wf.id, say("5511000", "qual é o meu nome?"))
          expect(sentMessages(model, 1)).toEqual(["system: Seja simpático.", "user: meu nome é Ana", "assistant: Oi Ana!", "user: qual é o meu nome?"])
          yield* executeAndRead(client, wf.id, say("5511000", "gosto de pizza"))
          // Four past messages now; the model is given the last two.
          expect(sentMessages(model, 2)).toEqual(["system: Seja simpático.", "user: qual é o meu nome?", "assistant: Você se chama Ana.", "user: gosto de pizza"])
          const { items } = yield* client.threads.messages({ path: { threadId: "5511000" } })
          expect(items.map((m) => `${m.role}: ${m.content}`)).toEqual([
            "user: meu nome é Ana", "assistant: Oi Ana!", "user: qual é o meu nome?", "assistant: Você se chama Ana.", "user: gosto de pizza", "assistant: Anotado: pizza."
          ])
          expect(items.every((m) => !Number.isNaN(Date.parse(m.createdAt)))).toBe(true)
          yield* client.threads.delete({ path: { threadId: "5511000" } })
          yield* executeAndRead(client, wf.id, say("5511000", "oi de novo"))
          expect(sentMessages(model, 3)).toEqual(["system: Seja simpático.", "user: oi de novo"])
        }).pipe(Effect.provide(agentService(providersFor({ openai: model }), { persistence: store() })))
      }).pipe(Effect.scoped), { timeout: 60_000 })

    it.live("two organizations with the same threadId never see each other's memory; idle threads are erased after ttlHours", () =>
      Effect.gen(function* () {
        const model = yield* fakeOpenAI((request) => ({ content: `eco: ${request.body.messages.at(-1).content}` }))
        yield* Effect.gen(function* () {
          const a = yield* newOrganization
          const b = yield* newOrganization
          const wfA = yield* a.client.workflows.create({ payload: replyWorkflow({ memory: { ttlHours: 1 } }) })
          const wfB = yield* b.client.workflows.create({ payload: replyWorkflow({ memory: { ttlHours: 48 } }) })
          yield* executeAndRead(a.client, wfA.id, say("5511222", "segredo da A"))
          yield* executeAndRead(b.client, wfB.id, say("5511222", "oi da B"))
          expect(sentMessages(model, 1)).toEqual(["user: oi da B"])
          const ofB = yield* b.client.threads.messages({ path: { threadId: "5511222" } })
          expect(JSON.stringify(ofB)).not.toContain("segredo")
          expect(ofB.items).toHaveLength(2)

          // Two hours on, A's thread (ttl 1 h) is idle past its ttl; B's (48 h) is not.
          const memory = yield* ThreadMemory
          expect(yield* memory.eraseExpired(new Date(Date.now() + 2 * 3_600_000))).toBe(1)
          expect((yield* a.client.threads.messages({ path: { threadId: "5511222" } })).items).toEqual([])
          expect((yield* b.client.threads.messages({ path: { threadId: "5511222" } })).items).toHaveLength(2)
          expect(yield* memory.eraseExpired(new Date(Date.now() + 2 * 3_600_000))).toBe(0)
        }).pipe(Effect.provide(agentService(providersFor({ openai: model }), { persistence: store() })))
      }).pipe(Effect.scoped), { timeout: 60_000 })
  })
}
