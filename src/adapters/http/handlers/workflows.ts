import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { createWorkflow, deleteWorkflow, getWorkflow, listWorkflows, replaceWorkflow } from "../../../application/Workflows.ts"
import { workflowJsonSchema } from "../../../domain/workflowJsonSchema.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { problems } from "../toProblem.ts"

export const WorkflowsHandlers = HttpApiBuilder.group(AstApi, "workflows", (handlers) =>
  handlers
    .handle("create", ({ payload }) => Effect.flatMap(CurrentOrganization, (org) => problems(createWorkflow(org, payload))))
    .handle("list", ({ urlParams }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(listWorkflows(org, urlParams.limit ?? 20, urlParams.cursor))))
    .handle("get", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(getWorkflow(org, path.id))))
    .handle("replace", ({ path, payload }) => Effect.flatMap(CurrentOrganization, (org) => problems(replaceWorkflow(org, path.id, payload))))
    .handle("delete", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(deleteWorkflow(org, path.id))))
    .handle("schema", () => Effect.succeed(workflowJsonSchema()))
)
