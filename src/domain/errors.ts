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

/** LivChat refused or never answered a send / status call. */
export class SendFailed extends Schema.TaggedError<SendFailed>()("SendFailed", {
  message: Schema.String,
  status: Schema.optional(Schema.Number)
}) {}

/** An `http` node's request could not be made or was refused by policy. */
export class HttpFailed extends Schema.TaggedError<HttpFailed>()("HttpFailed", {
  message: Schema.String
}) {}

/** The model could not answer: no key, unknown provider, provider down, invalid structured output. */
export class AgentFailed extends Schema.TaggedError<AgentFailed>()("AgentFailed", {
  code: Schema.String,
  message: Schema.String
}) {}

/** A sealed secret could not be opened: malformed, of an unknown version, altered, or sealed under another key. */
export class SecretUnreadable extends Schema.TaggedError<SecretUnreadable>()("SecretUnreadable", {
  reason: Schema.Literal("malformed", "unknown_version", "not_authentic"),
  message: Schema.String
}) {}

export class ThreadNotFound extends Schema.TaggedError<ThreadNotFound>()("ThreadNotFound", {
  threadId: Schema.String
}) {}

export class ApiKeyNotFound extends Schema.TaggedError<ApiKeyNotFound>()("ApiKeyNotFound", {
  apiKeyId: Schema.String
}) {}

/** The credentials of a call are missing, malformed, unknown or revoked. */
export class Unauthenticated extends Schema.TaggedError<Unauthenticated>()("Unauthenticated", {
  message: Schema.String
}) {}

/** A workflow cannot be run this way now (inactive, or a `manual` workflow given to `/trigger`). */
export class RunRefused extends Schema.TaggedError<RunRefused>()("RunRefused", {
  code: Schema.Literal("workflow_inactive", "trigger_not_allowed"),
  message: Schema.String
}) {}

export class DocumentNotFound extends Schema.TaggedError<DocumentNotFound>()("DocumentNotFound", {
  documentId: Schema.String
}) {}
