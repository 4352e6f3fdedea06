import { JSONSchema } from "effect"
import { WorkflowDocument } from "./Workflow.ts"

/** The JSON Schema of the workflow document (`GET /api/v1/schema/workflow`), derived from the Schemas. */
export const workflowJsonSchema = (): Record<string, unknown> => ({
  ...JSONSchema.make(WorkflowDocument),
  title: "AST workflow document"
})
