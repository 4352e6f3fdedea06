import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, TestClock } from "effect"
import { makeExecutionRepoMemory } from "../../src/adapters/memory/ExecutionRepo.ts"
import { purgeExecutions } from "../../src/application/PurgeExecutions.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"

describe("purgeExecutions (AST_EXECUTION_RETENTION_DAYS)", () => {
  it.effect("erases soft-deleted executions at once and the others once older than the retention", () =>
    Effect.gen(function* () {
      const repo = makeExecutionRepoMemory()
      const execution = (id: string) => ({ id, organizationId: "org", workflowId: "wf", workflowVersion: 1, threadId: "t", status: "completed" as const, input: null })
      yield* repo.create(execution("kept"))
      yield* repo.create(execution("deleted"))
      yield* repo.remove("org", "deleted")
      yield* TestClock.setTime(Date.now())
      expect(yield* purgeExecutions(30).pipe(Effect.provideService(ExecutionRepo, repo))).toBe(1)
      expect(Option.isSome(yield* repo.get("org", "kept"))).toBe(true)
      yield* TestClock.adjust("29 days")
      expect(yield* purgeExecutions(30).pipe(Effect.provideService(ExecutionRepo, repo))).toBe(0)
      yield* TestClock.adjust("2 days")
      expect(yield* purgeExecutions(30).pipe(Effect.provideService(ExecutionRepo, repo))).toBe(1)
      expect(yield* repo.get("org", "kept")).toEqual(Option.none())
    }))
})
