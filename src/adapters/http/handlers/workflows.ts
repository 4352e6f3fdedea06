import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, replaceWorkflow } from "../../../application/Workflows.ts"
import { workflowJsonSchema } from "../../../domain/workflowJsonSchema.ts"
import { syncSchedule } from "../../../application/Accumulate.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { problems } from "../toProblem.ts"

export const WorkflowsHandlers = HttpApiBuilder.group(AstApi, "workflows", (handlers) =>
  handlers
    .handle("create", ({ payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(createWorkflow(org, payload).pipe(Effect.tap((w) => syncSchedule(w))))))
    .handle("list", ({ urlParams }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(listWorkflows(org, urlParams.limit ?? 20, urlParams.cursor))))
    .handle("get", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(getWorkflow(org, path.id))))
    .handle("replace", ({ path, payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(replaceWorkflow(org, path.id, payload).pipe(Effect.tap((w) => syncSchedule(w))))))
    .handle("delete", ({ path }) =>
      Effect.flatMap(CurrentOrganization, (org) =>
        problems(getWorkflow(org, path.id).pipe(
          Effect.tap(() => deleteWorkflow(org, path.id)),
          Effect.flatMap((w) => syncSchedule(w, true))
        ))))
    .handle("schema", () => Effect.succeed(workflowJsonSchema()))
)
