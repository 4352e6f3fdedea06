import { Effect } from "effect"
import type { RunRequest } from "../domain/RunRequest.ts"
import { ExecutionRepo } from "../ports/ExecutionRepo.ts"
import { BackgroundRuns } from "./BackgroundRuns.ts"
import { executeWorkflow, pendingExecution } from "./ExecuteWorkflow.ts"
import { getWorkflow, runnable } from "./Workflows.ts"

/** Runs a workflow now and answers when it ends (`/execute`). */
export const executeNow = Effect.fn("Runs.execute")(function* (organizationId: string, workflowId: string, request: RunRequest) {
  const workflow = yield* Effect.flatMap(getWorkflow(organizationId, workflowId), (w) => runnable(w, "execute"))
  return yield* executeWorkflow(workflow, request)
})

/**
 * Records the execution `running` and starts it in this process's background; answers its id at once
 * (`/stream`, which then follows its events; `/trigger` goes through the burst queue instead).
 */
export const startInBackground = Effect.fn("Runs.start")(function* (
  organizationId: string,
  workflowId: string,
  request: RunRequest
) {
  const workflow = yield* Effect.flatMap(getWorkflow(organizationId, workflowId), (w) => runnable(w, "execute"))
  const executionId = crypto.randomUUID()
  yield* (yield* ExecutionRepo).create(pendingExecution(workflow, request, executionId, "running"))
  const context = yield* Effect.context<Effect.Effect.Context<ReturnType<typeof executeWorkflow>>>()
  yield* (yield* BackgroundRuns).start(executionId, executeWorkflow(workflow, request, { executionId, recorded: "running" }).pipe(Effect.provide(context)))
  return executionId
})
