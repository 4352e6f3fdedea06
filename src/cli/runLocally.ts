import { Effect } from "effect"
import type { ScriptedTurn } from "../adapters/memory/AgentModel.ts"
import { makeMemoryWorld } from "../adapters/memory/World.ts"
import { executeWorkflow } from "../application/ExecuteWorkflow.ts"
import type { CompiledWorkflow } from "../domain/decodeWorkflow.ts"
import type { Execution } from "../domain/Execution.ts"
import type { RunRequest } from "../domain/RunRequest.ts"

/** The organization of everything `ast run` does; nothing is shared, the world lives for one run. */
export const LOCAL_ORGANIZATION = "local"

/**
 * Runs a workflow now in an in-process world (log messenger: nothing leaves the process) and returns the
 * execution record with its steps. The memory adapters cannot be unavailable, so a failure is a defect.
 */
export const runLocally = (
  workflow: CompiledWorkflow,
  request: RunRequest,
  agent: ReadonlyArray<ScriptedTurn> | undefined
): Effect.Effect<Execution> =>
  Effect.gen(function* () {
    const world = yield* makeMemoryWorld(agent === undefined ? {} : { agent })
    const runnable = { ...workflow, id: crypto.randomUUID(), organizationId: LOCAL_ORGANIZATION, version: 1 }
    const outcome = yield* executeWorkflow(runnable, request).pipe(Effect.provide(world.layer))
    return yield* Effect.flatten(world.executions.get(LOCAL_ORGANIZATION, outcome.executionId))
  }).pipe(Effect.orDie)
