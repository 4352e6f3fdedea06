import { Schema } from "effect"

/** A dependency (database, Redis, provider) is down or too slow: the API answers 503. */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  dependency: Schema.String,
  message: Schema.String
}) {}

export class WorkflowNotFound extends Schema.TaggedError<WorkflowNotFound>()("WorkflowNotFound", {
  workflowId: Schema.String
}) {}

export class ExecutionNotFound extends Schema.TaggedError<ExecutionNotFound>()("ExecutionNotFound", {
  executionId: Schema.String
}) {}

/** Why a node failed; `code` is stable (`timeout`, `send_failed`, `model_unavailable`, ...). */
export class NodeFailed extends Schema.TaggedError<NodeFailed>()("NodeFailed", {
  code: Schema.String,
  message: Schema.String
}) {}
