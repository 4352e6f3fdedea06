import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { JSONSchema, Schema } from "effect"
import { Execution, ExecutionError, ExecutionStatus } from "../../domain/Execution.ts"
import { KnowledgeDocument, KnowledgeHit } from "../../domain/Knowledge.ts"
import { RunRequest } from "../../domain/RunRequest.ts"
import { Message, Thread } from "../../domain/Thread.ts"
import { Workflow, WorkflowDocument } from "../../domain/Workflow.ts"
import { workflowJsonSchema } from "../../domain/workflowJsonSchema.ts"
import { AdminAuth, ApiKeyAuth } from "./Authentication.ts"
import { prometheusContentType } from "./prometheusText.ts"
import { BadRequest, Conflict, InternalError, MethodNotAllowed, NotFound, PayloadTooLarge, ServiceUnavailable, TooManyRequests, Unauthorized } from "./problems.ts"

const optional = <S extends Schema.Schema.All>(s: S) => Schema.optionalWith(s, { exact: true })
const Id = Schema.Struct({ id: Schema.String })
const Page = Schema.Struct({
  limit: optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 100))),
  cursor: optional(Schema.String)
})
const paged = <S extends Schema.Schema.Any>(item: S) => Schema.Struct({ items: Schema.Array(item), nextCursor: Schema.NullOr(Schema.String) })
const EventStream = HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
  description: "Server-sent events: one `data: <json>` per event with an `id:`, a `: heartbeat` comment every 15 s, and a final `data: [DONE]`"
})

/**
 * A body typed as its JSON form for clients, but passed to the handler as it came: the handler decodes it
 * with the domain's own decoder, which reports every problem with its path (not just the first).
 */
const decodedByHandler = <A>(identifier: string, jsonSchema: object) =>
  Schema.declare((_: unknown): _ is A => true, { identifier, jsonSchema })

const WorkflowDocumentBody = decodedByHandler<Schema.Schema.Encoded<typeof WorkflowDocument>>("WorkflowDocument", workflowJsonSchema())
const RunRequestBody = decodedByHandler<Schema.Schema.Encoded<typeof RunRequest>>("RunRequest", JSONSchema.make(Schema.encodedSchema(RunRequest)))

// Keys --------------------------------------------------------------------------------------------
export const ApiKeyView = Schema.Struct({
  id: Schema.String, organizationId: Schema.String, name: Schema.NullOr(Schema.String), prefix: Schema.String,
  createdAt: Schema.String, lastUsedAt: Schema.NullOr(Schema.String), revokedAt: Schema.NullOr(Schema.String)
})
export const ApiKeyCreated = Schema.Struct({
  id: Schema.String, organizationId: Schema.String, name: Schema.NullOr(Schema.String), key: Schema.String,
  prefix: Schema.String, createdAt: Schema.String
})

export class AdminApi extends HttpApiGroup.make("admin")
  .add(HttpApiEndpoint.post("createApiKey", "/api-keys")
    .setPayload(Schema.Struct({ organizationId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)), name: optional(Schema.String.pipe(Schema.maxLength(200))) }))
    .addSuccess(ApiKeyCreated, { status: 201 }))
  .add(HttpApiEndpoint.get("listApiKeys", "/api-keys")
    .setUrlParams(Schema.Struct({ organizationId: Schema.NonEmptyTrimmedString }))
    .addSuccess(Schema.Struct({ items: Schema.Array(ApiKeyView) })))
  .add(HttpApiEndpoint.del("revokeApiKey", "/api-keys/:id").setPath(Id).addSuccess(Schema.Void))
  .middleware(AdminAuth)
  .prefix("/api/v1/admin")
  .annotate(OpenApi.Title, "Admin")
  .annotate(OpenApi.Description, "API keys; bearer AST_ADMIN_TOKEN") {}

// Workflows ---------------------------------------------------------------------------------------
export class WorkflowsApi extends HttpApiGroup.make("workflows")
  .add(HttpApiEndpoint.post("create", "/workflows").setPayload(WorkflowDocumentBody).addSuccess(Workflow, { status: 201 }))
  .add(HttpApiEndpoint.get("list", "/workflows").setUrlParams(Page).addSuccess(paged(Workflow)))
  .add(HttpApiEndpoint.get("get", "/workflows/:id").setPath(Id).addSuccess(Workflow))
  .add(HttpApiEndpoint.put("replace", "/workflows/:id").setPath(Id).setPayload(WorkflowDocumentBody).addSuccess(Workflow))
  .add(HttpApiEndpoint.del("delete", "/workflows/:id").setPath(Id).addSuccess(Schema.Void))
  .add(HttpApiEndpoint.get("schema", "/schema/workflow").addSuccess(Schema.Unknown.annotations({ description: "the JSON Schema of the workflow document" })))
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Workflows") {}

// Runs --------------------------------------------------------------------------------------------
export const Triggered = Schema.Struct({ status: Schema.Literal("triggered"), executionId: Schema.String })
export const Duplicate = Schema.Struct({ status: Schema.Literal("duplicate"), executionId: Schema.String })
export const ExecutionOutcome = Schema.Struct({
  executionId: Schema.String, status: ExecutionStatus, output: Schema.Unknown, error: optional(ExecutionError)
})

export class RunsApi extends HttpApiGroup.make("runs")
  .add(HttpApiEndpoint.post("trigger", "/workflows/:id/trigger").setPath(Id).setPayload(RunRequestBody)
    .addSuccess(Triggered, { status: 202 })
    .addSuccess(Duplicate, { status: 200 })
    .annotate(OpenApi.Description, "Fire and forget: answers 202 once the message is recorded in its thread's burst (every trigger of a burst gets the same executionId); a message id already accepted within 24 h answers 200 duplicate"))
  .add(HttpApiEndpoint.post("execute", "/workflows/:id/execute").setPath(Id).setPayload(RunRequestBody)
    .addSuccess(ExecutionOutcome)
    .annotate(OpenApi.Description, "Runs now and answers when the execution ends"))
  .add(HttpApiEndpoint.post("stream", "/workflows/:id/stream").setPath(Id).setPayload(RunRequestBody)
    .setUrlParams(Schema.Struct({ onDisconnect: optional(Schema.Literal("continue", "cancel")) }))
    .addSuccess(EventStream)
    .annotate(OpenApi.Description, "Runs now and streams its events; a client that goes away leaves it running unless ?onDisconnect=cancel"))
  .addError(Conflict)
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Runs") {}

// Executions --------------------------------------------------------------------------------------
const { steps: _steps, input: _input, output: _output, ...summaryFields } = Execution.fields
export const ExecutionSummary = Schema.Struct(summaryFields)

export class ExecutionsApi extends HttpApiGroup.make("executions")
  .add(HttpApiEndpoint.get("list", "/executions")
    .setUrlParams(Schema.Struct({ ...Page.fields, workflowId: optional(Schema.String), threadId: optional(Schema.String), status: optional(ExecutionStatus) }))
    .addSuccess(paged(ExecutionSummary)))
  .add(HttpApiEndpoint.get("get", "/executions/:id").setPath(Id).addSuccess(Execution))
  .add(HttpApiEndpoint.del("delete", "/executions/:id").setPath(Id).addSuccess(Schema.Void))
  .add(HttpApiEndpoint.get("events", "/executions/:id/events").setPath(Id)
    .setHeaders(Schema.Struct({ "last-event-id": optional(Schema.String) }))
    .addSuccess(EventStream)
    .annotate(OpenApi.Description, "Replays what already happened, then follows live; resumes after Last-Event-ID"))
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Executions") {}

// Threads -----------------------------------------------------------------------------------------
const ThreadPath = Schema.Struct({ threadId: Schema.String })

export class ThreadsApi extends HttpApiGroup.make("threads")
  .add(HttpApiEndpoint.post("create", "/threads")
    .setPayload(Schema.Struct({ threadId: optional(Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200))), metadata: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })) }))
    .addSuccess(Thread, { status: 201 }))
  .add(HttpApiEndpoint.get("get", "/threads/:threadId").setPath(ThreadPath).addSuccess(Thread))
  .add(HttpApiEndpoint.get("messages", "/threads/:threadId/messages").setPath(ThreadPath).addSuccess(Schema.Struct({ items: Schema.Array(Message) })))
  .add(HttpApiEndpoint.del("delete", "/threads/:threadId").setPath(ThreadPath).addSuccess(Schema.Void))
  .add(HttpApiEndpoint.post("resume", "/threads/:threadId/resume").setPath(ThreadPath).addSuccess(Thread))
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Threads") {}

// Knowledge ---------------------------------------------------------------------------------------
/** Text that holds something besides whitespace (its length is bounded by the body limit, or by `maxLength`). */
const Text = Schema.String.pipe(Schema.filter((text) => text.trim().length > 0 || "must not be empty or only whitespace"))
const Collection = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(100))
/** A bad body is answered with every problem, not only the first (CONTRACT §3). */
const everyIssue = { parseOptions: { errors: "all" } } as const

export class KnowledgeApi extends HttpApiGroup.make("knowledge")
  .add(HttpApiEndpoint.post("addDocument", "/knowledge/documents")
    .setPayload(Schema.Struct({
      title: Text.pipe(Schema.maxLength(500)),
      content: Text,
      collection: optional(Collection),
      metadata: optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
    }).annotations(everyIssue))
    .addSuccess(Schema.Struct({ id: Schema.String, chunks: Schema.Int }), { status: 201 })
    .annotate(OpenApi.Description, "Adds a document (to the `default` collection unless named), split into overlapping chunks for search"))
  .add(HttpApiEndpoint.get("listDocuments", "/knowledge/documents")
    .setUrlParams(Schema.Struct({ collection: optional(Schema.String) }))
    .addSuccess(Schema.Struct({ items: Schema.Array(KnowledgeDocument) }))
    .annotate(OpenApi.Description, "The organization's documents, newest first; only one collection's with ?collection="))
  .add(HttpApiEndpoint.del("deleteDocument", "/knowledge/documents/:id").setPath(Id).addSuccess(Schema.Void))
  .add(HttpApiEndpoint.post("search", "/knowledge/search")
    .setPayload(Schema.Struct({
      query: Text.pipe(Schema.maxLength(2000)),
      k: optional(Schema.Int.pipe(Schema.between(1, 50))),
      collection: optional(Collection)
    }).annotations(everyIssue))
    .addSuccess(Schema.Struct({ items: Schema.Array(KnowledgeHit) }))
    .annotate(OpenApi.Description, "The k (default 5) best chunks, best first: full-text search in Portuguese and English, hybrid with pgvector when AST_EMBEDDINGS_MODEL is set"))
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Knowledge") {}

// Operations --------------------------------------------------------------------------------------
export class SystemApi extends HttpApiGroup.make("system")
  .add(HttpApiEndpoint.get("health", "/health").addSuccess(Schema.Struct({ status: Schema.Literal("ok") })))
  .add(HttpApiEndpoint.get("ready", "/ready").addSuccess(Schema.Struct({ status: Schema.Literal("ready"), checks: Schema.Record({ key: Schema.String, value: Schema.String }) })))
  .add(HttpApiEndpoint.get("metrics", "/metrics")
    .addSuccess(HttpApiSchema.Text({ contentType: prometheusContentType }))
    .annotate(OpenApi.Description, "Prometheus text: requests, triggers, bursts, executions, nodes, agent tokens and latency, queue depth, LivChat retries (README \"Metrics and tracing\")"))
  .annotate(OpenApi.Title, "Operations") {}

/** The whole API as one typed value: the server, the OpenAPI document and the typed client come from it. */
export class AstApi extends HttpApi.make("ast")
  .add(SystemApi)
  .add(AdminApi)
  .add(WorkflowsApi)
  .add(RunsApi)
  .add(ExecutionsApi)
  .add(ThreadsApi)
  .add(KnowledgeApi)
  .addError(BadRequest)
  .addError(NotFound)
  .addError(MethodNotAllowed)
  .addError(PayloadTooLarge)
  .addError(TooManyRequests)
  .addError(InternalError)
  .addError(ServiceUnavailable)
  .addError(Unauthorized)
  .annotate(OpenApi.Title, "AST — agent workflows for LivChat")
  .annotate(OpenApi.Version, "1.0.0") {}
