import { Schema } from "effect"
import { optional } from "./optional.ts"

export const ExecutionStatus = Schema.Literal("pending", "running", "completed", "error", "skipped")
export type ExecutionStatus = typeof ExecutionStatus.Type

export const StepStatus = Schema.Literal("running", "completed", "error", "skipped")
export type StepStatus = typeof StepStatus.Type

/** One node run (per attempt) or one tool call (§6), the seed's `execution_logs` row. */
export const Step = Schema.Struct({
  /** Stable within its execution: `<nodeId>:<attempt>`, or `<nodeId>:<attempt>:tool:<n>` for a tool call. */
  id: Schema.String,
  nodeId: Schema.String,
  stepName: Schema.String,
  attempt: Schema.Int,
  status: StepStatus,
  input: Schema.Unknown,
  output: Schema.Unknown,
  error: Schema.NullOr(Schema.String),
  durationMs: Schema.NullOr(Schema.Number),
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String)
})
export type Step = typeof Step.Type

/** An error summary as executions and steps keep it. */
export const ExecutionError = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  nodeId: optional(Schema.String)
})
export type ExecutionError = typeof ExecutionError.Type

/** A workflow run: a durable record, not a process (§6). */
export const Execution = Schema.Struct({
  id: Schema.String,
  organizationId: Schema.String,
  workflowId: Schema.String,
  workflowVersion: Schema.Int,
  threadId: Schema.String,
  status: ExecutionStatus,
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  error: optional(ExecutionError),
  input: Schema.Unknown,
  output: Schema.Unknown,
  steps: Schema.Array(Step)
})
export type Execution = typeof Execution.Type

/** A status an execution does not leave. */
export const isFinalStatus = (status: ExecutionStatus): boolean => status === "completed" || status === "error" || status === "skipped"

/** Live events of an execution (§5 `/stream`). */
export type ExecutionEvent =
  | { readonly type: "execution"; readonly executionId: string; readonly status: ExecutionStatus }
  | { readonly type: "node"; readonly nodeId: string; readonly nodeType: string; readonly status: "started" | "completed" | "error" | "skipped" }
  | { readonly type: "token"; readonly content: string }
  | { readonly type: "message"; readonly content: { readonly type: "ai"; readonly content: string } }
  | { readonly type: "error"; readonly content: string }

/** The event that ends an execution's stream. */
export const isFinalEvent = (e: ExecutionEvent): boolean => e.type === "execution" && isFinalStatus(e.status)
