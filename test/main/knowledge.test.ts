import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EmbeddingsSettings } from "../../src/main/embeddings.ts"
import { problemLine, settingProblems } from "../../src/main/settingProblems.ts"
import { fakeOpenAI } from "../support/fakeModels.ts"
import { call, startInstance, stopInstance } from "../support/instances.ts"

/** The embeddings model read from `env`, or the startup log's lines about it. */
const read = (env: Record<string, string>) =>
  Effect.either(EmbeddingsSettings).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.map(Either.mapLeft((e) => settingProblems(e).map(problemLine)))
  )

describe("AST_EMBEDDINGS_MODEL (CONTRACT §1)", () => {
  it.effect("unset or empty: no model; openai:<name> or a bare name with an OpenAI key or URL: that model", () =>
    Effect.gen(function* () {
      expect(yield* read({})).toEqual(Either.right(Option.none()))
      expect(yield* read({ AST_EMBEDDINGS_MODEL: " " })).toEqual(Either.right(Option.none()))
      expect(yield* read({ AST_EMBEDDINGS_MODEL: "text-embedding-3-small", OPENAI_API_KEY: "sk-test" })).toEqual(Either.right(Option.some("openai:text-embedding-3-small")))
      expect(yield* read({ AST_EMBEDDINGS_MODEL: "openai:nomic-embed-text", OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" })).toEqual(Either.right(Option.some("openai:nomic-embed-text")))
    }))

  it.effect("another provider, or no way to reach OpenAI, stops startup with one clear line", () =>
    Effect.gen(function* () {
      expect(yield* read({ AST_EMBEDDINGS_MODEL: "anthropic:voyage-3", OPENAI_API_KEY: "sk-test" })).toEqual(Either.left([
        "AST_EMBEDDINGS_MODEL: must be openai:<model>, e.g. openai:text-embedding-3-small (any OpenAI-compatible server through OPENAI_BASE_URL) (got \"anthropic:voyage-3\")"
      ]))
      expect(yield* read({ AST_EMBEDDINGS_MODEL: "openai:text-embedding-3-small" })).toEqual(Either.left([
        "AST_EMBEDDINGS_MODEL: needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama, vLLM or LiteLLM)"
      ]))
    }))

  it.live("npm start on the embedded database with a model: hybrid search, embeddings from OPENAI_BASE_URL, the key in no log line", () =>
    Effect.gen(function* () {
      const model = yield* fakeOpenAI()
      const dataDir = yield* Effect.acquireRelease(Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-knowledge-"))), (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      const openaiKey = "sk-test-embeddings-key-never-logged-5821"
      const instance = yield* Effect.acquireRelease(
        Effect.promise(() => startInstance("knowledge", {
          AST_DATA_DIR: dataDir, AST_ADMIN_TOKEN: "knowledge-admin-token", LOG_LEVEL: "info",
          AST_EMBEDDINGS_MODEL: "openai:text-embedding-3-small", OPENAI_BASE_URL: model.url, OPENAI_API_KEY: openaiKey
        }, 90_000)),
        (i) => Effect.promise(() => stopInstance(i))
      )
      const { added, found } = yield* Effect.promise(async () => {
        const key: string = (await call(instance, "/api/v1/admin/api-keys", { key: "knowledge-admin-token", body: { organizationId: "org-knowledge" } })).json.key
        const added = await call(instance, "/api/v1/knowledge/documents", { key, body: { title: "Política de reembolso", content: "Pode pedir o reembolso em até 7 dias." } })
        const found = await call(instance, "/api/v1/knowledge/search", { key, body: { query: "reembolsos", k: 3 } })
        return { added, found }
      })
      expect([added.status, added.json.chunks]).toEqual([201, 1])
      expect(found.json.items[0]).toMatchObject({ documentId: added.json.id, title: "Política de reembolso" })
      expect(model.embeddingRequests.map((r) => r.body.model)).toEqual(["text-embedding-3-small", "text-embedding-3-small"])
      expect(model.embeddingRequests[0]?.headers.authorization).toBe(`Bearer ${openaiKey}`)
      const messages = instance.output().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).message as string)
      expect(messages).toContain("knowledge: hybrid search, full-text + pgvector with openai:text-embedding-3-small")
      expect(instance.output()).not.toContain(openaiKey)
    }).pipe(Effect.scoped), { timeout: 150_000 })
})
