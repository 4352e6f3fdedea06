import { describe, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { makeBurstsMemory } from "../../src/adapters/memory/Bursts.ts"
import { makeExecutionRepoMemory } from "../../src/adapters/memory/ExecutionRepo.ts"
import { PostgresRepositories } from "../../src/adapters/postgres/Repositories.ts"
import { Bursts } from "../../src/ports/Bursts.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"
import { freshPglite, freshPostgres, skipServices } from "../support/databases.ts"
import { burstsContract } from "./Bursts.contract.ts"

/** The memory adapter opens its executions in the ExecutionRepo it is given: the suite reads them there. */
const BurstsMemory = Layer.effectContext(
  Effect.sync(() => {
    const executions = makeExecutionRepoMemory()
    return Context.make(ExecutionRepo, executions).pipe(Context.add(Bursts, makeBurstsMemory(executions)))
  })
)

const adapters = [
  { name: "memory", layer: BurstsMemory, needsServices: false },
  { name: "PostgreSQL", layer: PostgresRepositories.pipe(Layer.provide(freshPostgres())), needsServices: true },
  { name: "PGlite", layer: PostgresRepositories.pipe(Layer.provide(freshPglite())), needsServices: false }
]

for (const adapter of adapters) {
  describe.skipIf(adapter.needsServices && skipServices)(`Bursts on ${adapter.name}`, () => {
    layer(adapter.layer, { timeout: "60 seconds" })((it) => burstsContract(it))
  })
}
