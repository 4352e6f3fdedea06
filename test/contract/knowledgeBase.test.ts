import { describe, layer } from "@effect/vitest"
import { Layer } from "effect"
import { KnowledgeBaseMemory } from "../../src/adapters/memory/KnowledgeBase.ts"
import { KnowledgeBasePg } from "../../src/adapters/postgres/KnowledgeBase.ts"
import { freshPglite, freshPostgres, skipServices } from "../support/databases.ts"
import { knowledgeBaseContract } from "./KnowledgeBase.contract.ts"

const adapters = [
  { name: "memory", layer: KnowledgeBaseMemory, needsServices: false },
  { name: "PostgreSQL", layer: KnowledgeBasePg.pipe(Layer.provide(freshPostgres())), needsServices: true },
  { name: "PGlite", layer: KnowledgeBasePg.pipe(Layer.provide(freshPglite())), needsServices: false }
]

for (const adapter of adapters) {
  describe.skipIf(adapter.needsServices && skipServices)(`KnowledgeBase on ${adapter.name}`, () => {
    layer(adapter.layer, { timeout: "60 seconds" })((it) => knowledgeBaseContract(it))
  })
}
