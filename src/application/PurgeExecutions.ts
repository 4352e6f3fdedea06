import { Clock, Effect } from "effect"
import { ExecutionRepo } from "../ports/ExecutionRepo.ts"

/**
 * Erases executions older than `retentionDays` (`AST_EXECUTION_RETENTION_DAYS`) and the soft-deleted
 * ones, with their data and steps; a periodic job calls it. Answers how many were erased.
 */
export const purgeExecutions = Effect.fn("PurgeExecutions.run")(function* (retentionDays: number) {
  const now = yield* Clock.currentTimeMillis
  const cutoff = new Date(now - retentionDays * 24 * 60 * 60 * 1000)
  const purged = yield* (yield* ExecutionRepo).purge(cutoff)
  yield* Effect.logInfo(`purged ${purged} executions (soft-deleted, or started before ${cutoff.toISOString()})`)
  return purged
})
