import { Clock, DateTime, Effect, Either, Option } from "effect"
import { decodeWorkflow } from "../domain/decodeWorkflow.ts"
import { RunRefused, WorkflowNotFound } from "../domain/errors.ts"
import type { Workflow } from "../domain/Workflow.ts"
import { WorkflowRepo } from "../ports/WorkflowRepo.ts"

const decodeOrFail = (document: unknown) => Either.match(decodeWorkflow(document), { onLeft: Effect.fail, onRight: Effect.succeed })

/** Creates a workflow from an untrusted document: every problem is reported, the shorthand is compiled. */
export const createWorkflow = Effect.fn("Workflows.create")(function* (organizationId: string, document: unknown) {
  const compiled = yield* decodeOrFail(document)
  const now = DateTime.unsafeMake(yield* Clock.currentTimeMillis)
  const workflow = { ...compiled, id: crypto.randomUUID(), organizationId, version: 1, createdAt: now, updatedAt: now } as Workflow
  yield* (yield* WorkflowRepo).save(workflow)
  return workflow
})

/** One workflow of the organization; another organization's is not found. */
export const getWorkflow = Effect.fn("Workflows.get")(function* (organizationId: string, id: string) {
  const found = yield* (yield* WorkflowRepo).get(organizationId, id)
  return yield* Option.match(found, { onNone: () => Effect.fail(new WorkflowNotFound({ workflowId: id })), onSome: Effect.succeed })
})

/** Replaces the document and bumps `version`; the id, organization and creation time stay. */
export const replaceWorkflow = Effect.fn("Workflows.replace")(function* (organizationId: string, id: string, document: unknown) {
  const current = yield* getWorkflow(organizationId, id)
  const compiled = yield* decodeOrFail(document)
  const now = DateTime.unsafeMake(yield* Clock.currentTimeMillis)
  const workflow = { ...compiled, id: current.id, organizationId, version: current.version + 1, createdAt: current.createdAt, updatedAt: now } as Workflow
  yield* (yield* WorkflowRepo).save(workflow)
  return workflow
})

/** A page of the organization's workflows, newest first. */
export const listWorkflows = Effect.fn("Workflows.list")(function* (organizationId: string, limit: number, cursor?: string) {
  return yield* (yield* WorkflowRepo).list(organizationId, limit, cursor)
})

/** Soft-deletes a workflow; its executions stay readable. */
export const deleteWorkflow = Effect.fn("Workflows.delete")(function* (organizationId: string, id: string) {
  const removed = yield* (yield* WorkflowRepo).remove(organizationId, id)
  if (!removed) return yield* new WorkflowNotFound({ workflowId: id })
})

/** A workflow that may run this way now: active, and not `manual` when triggered. */
export const runnable = (workflow: Workflow, via: "trigger" | "execute") => {
  if (!workflow.isActive) {
    return Effect.fail(new RunRefused({ code: "workflow_inactive", message: `workflow ${workflow.id} is inactive` }))
  }
  if (via === "trigger" && workflow.trigger.type === "manual") {
    return Effect.fail(new RunRefused({ code: "trigger_not_allowed", message: "a manual workflow runs only through /execute or /stream" }))
  }
  return Effect.succeed(workflow)
}
