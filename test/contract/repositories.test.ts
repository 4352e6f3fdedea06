import { describe, layer } from "@effect/vitest"
import { Layer } from "effect"
import { ApiKeyRepoMemory } from "../../src/adapters/memory/ApiKeyRepo.ts"
import { ExecutionRepoMemory } from "../../src/adapters/memory/ExecutionRepo.ts"
import { StoreMemory } from "../../src/adapters/memory/Store.ts"
import { ThreadRepoMemory } from "../../src/adapters/memory/ThreadRepo.ts"
import { WorkflowRepoMemory } from "../../src/adapters/memory/WorkflowRepo.ts"
import { PostgresRepositories } from "../../src/adapters/postgres/Repositories.ts"
import { freshPglite, freshPostgres, skipServices } from "../support/databases.ts"
import { apiKeyRepoContract } from "./ApiKeyRepo.contract.ts"
import { executionRepoContract } from "./ExecutionRepo.contract.ts"
import { threadRepoContract } from "./ThreadRepo.contract.ts"
import { workflowRepoContract } from "./WorkflowRepo.contract.ts"

const adapters = [
  { name: "memory", layer: Layer.mergeAll(WorkflowRepoMemory, ExecutionRepoMemory, ApiKeyRepoMemory, StoreMemory).pipe(Layer.provideMerge(ThreadRepoMemory)), needsServices: false },
  { name: "PostgreSQL", layer: PostgresRepositories.pipe(Layer.provide(freshPostgres())), needsServices: true },
  { name: "PGlite", layer: PostgresRepositories.pipe(Layer.provide(freshPglite())), needsServices: false }
]

for (const adapter of adapters) {
  describe.skipIf(adapter.needsServices && skipServices)(`repositories on ${adapter.name}`, () => {
    layer(adapter.layer, { timeout: "60 seconds" })((it) => {
      describe("WorkflowRepo", () => workflowRepoContract(it))
      describe("ExecutionRepo", () => executionRepoContract(it))
      describe("ApiKeyRepo", () => apiKeyRepoContract(it))
      describe("ThreadRepo and Store", () => threadRepoContract(it))
    })
  })
}
