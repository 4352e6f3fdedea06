import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fakeOpenAI } from "../support/fakeModels.ts"
import { call, startInstance, stopInstance } from "../support/instances.ts"

const example = (name: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, "../../examples", name), "utf8"))
const openaiKey = "sk-test-never-in-a-log-4471"

describe("the seed's support workflow from `npm start`, with OPENAI_BASE_URL at an OpenAI-compatible server", () => {
  it.live("the agent searches the docs, answers with confidence, the reply is sent; the model key is in no log line", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI([
        { toolCalls: [{ name: "search_docs", args: { query: "ajuda" } }] },
        { content: JSON.stringify({ reply: "Olá João! Em que posso ajudar?", confidence: 0.9 }) }
      ])
      const dataDir = yield* Effect.acquireRelease(Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-agent-"))), (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const instance = yield* Effect.acquireRelease(
        Effect.promise(() => startInstance("agent", { AST_DATA_DIR: dataDir, AST_ADMIN_TOKEN: "agent-admin-token", OPENAI_BASE_URL: model.url, OPENAI_API_KEY: openaiKey }, 90_000)),
        (i) => Effect.promise(() => stopInstance(i))
      )
      const { execution, messages } = yield* Effect.promise(async () => {
        const key: string = (await call(instance, "/api/v1/admin/api-keys", { key: "agent-admin-token", body: { organizationId: "org-example" } })).json.key
        const workflow = await call(instance, "/api/v1/workflows", { key, body: example("support.graph.json") })
        const run = await call(instance, `/api/v1/workflows/${workflow.json.id}/execute`, { key, body: example("input.json") })
        const execution = await call(instance, `/api/v1/executions/${run.json.executionId}`, { key })
        const messages = await call(instance, "/api/v1/threads/5511999999999/messages", { key })
        return { execution: execution.json, messages: messages.json }
      })
      expect(execution.status).toBe("completed")
      expect(execution.steps.map((s: { stepName: string; status: string }) => `${s.stepName}:${s.status}`).sort()).toEqual([
        "agent:completed", "condition:completed", "escalate:skipped", "send:completed", "tool:search_docs:completed", "trigger:completed"
      ])
      // No LIVCHAT_API_URL: the log messenger writes the send to the log.
      expect(instance.output()).toContain("Olá João! Em que posso ajudar?")
      expect(model.requests[0]?.headers.authorization).toBe(`Bearer ${openaiKey}`)
      expect(model.requests[0]?.body.messages.at(-1)).toEqual({ role: "user", content: "oi\n\npreciso de ajuda" })
      expect(messages.items.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "tool", "assistant"])
      expect(instance.output()).not.toContain(openaiKey)
    }).pipe(Effect.scoped), { timeout: 150_000 })
})
