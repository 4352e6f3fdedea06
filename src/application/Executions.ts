import { Effect, Option } from "effect"
import { ExecutionNotFound } from "../domain/errors.ts"
import { type ExecutionQuery, ExecutionRepo } from "../ports/ExecutionRepo.ts"

/** A page of the organization's executions, newest first. */
export const listExecutions = Effect.fn("Executions.list")(function* (query: ExecutionQuery) {
  return yield* (yield* ExecutionRepo).list(query)
})

/** One execution with its steps; another organization's is not found. */
export const getExecution = Effect.fn("Executions.get")(function* (organizationId: string, id: string) {
  const found = yield* (yield* ExecutionRepo).get(organizationId, id)
  return yield* Option.match(found, { onNone: () => Effect.fail(new ExecutionNotFound({ executionId: id })), onSome: Effect.succeed })
})

/** Soft-deletes an execution (purged later). */
export const deleteExecution = Effect.fn("Executions.delete")(function* (organizationId: string, id: string) {
  if (!(yield* (yield* ExecutionRepo).remove(organizationId, id))) return yield* new ExecutionNotFound({ executionId: id })
})
