import { Deferred, Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { RunRequest } from "../domain/RunRequest.ts"
import { BackgroundRuns } from "./BackgroundRuns.ts"
import { executeWorkflow } from "./ExecuteWorkflow.ts"
import { getWorkflow, runnable } from "./Workflows.ts"

/** Runs a workflow now and answers when it ends (`/execute`). */
export const executeNow = Effect.fn("Runs.execute")(function* (organizationId: string, workflowId: string, request: RunRequest) {
  const workflow = yield* Effect.flatMap(getWorkflow(organizationId, workflowId), (w) => runnable(w, "execute"))
  return yield* executeWorkflow(workflow, request)
})

/**
 * Starts the execution in this process's background and answers its id once it is recorded `running`
 * (`/stream`, which then follows its events; `/trigger` goes through the burst queue instead). The run
 * records itself, in the same round trip as its other bookkeeping, and goes on to its first node while
 * the caller answers; if the record cannot be made, the caller fails with it.
 */
export const startInBackground = Effect.fn("Runs.start")(function* (
  organizationId: string,
  workflowId: string,
  request: RunRequest
) {
  const workflow = yield* Effect.flatMap(getWorkflow(organizationId, workflowId), (w) => runnable(w, "execute"))
  const executionId = crypto.randomUUID()
  const begun = yield* Deferred.make<void, Unavailable>()
  const context = yield* Effect.context<Effect.Effect.Context<ReturnType<typeof executeWorkflow>>>()
  yield* (yield* BackgroundRuns).start(executionId, executeWorkflow(workflow, request, { executionId, begun }).pipe(Effect.provide(context)))
  yield* Deferred.await(begun)
  return executionId
})
