import { Effect } from "effect"
import type {
  ApiKeyNotFound, DocumentNotFound, ExecutionNotFound, RunRefused, ThreadNotFound, Unavailable, WorkflowNotFound
} from "../../domain/errors.ts"
import type { ValidationFailed } from "../../domain/Issue.ts"
import { badRequest, conflict, notFound, unavailable } from "./problems.ts"

type DomainError = ValidationFailed | WorkflowNotFound | ExecutionNotFound | ThreadNotFound | ApiKeyNotFound | DocumentNotFound | RunRefused | Unavailable

/** The one table from domain errors to problem responses (CONTRACT §3). */
export const toProblem = (error: DomainError) => {
  switch (error._tag) {
    case "ValidationFailed":
      return badRequest("validation_error", `the document has ${error.issues.length} problem(s)`, error.issues)
    case "WorkflowNotFound":
      return notFound(`no workflow ${error.workflowId} in your organization`)
    case "ExecutionNotFound":
      return notFound(`no execution ${error.executionId} in your organization`)
    case "ThreadNotFound":
      return notFound(`no thread ${error.threadId} in your organization`)
    case "ApiKeyNotFound":
      return notFound(`no live API key ${error.apiKeyId}`)
    case "DocumentNotFound":
      return notFound(`no document ${error.documentId} in your organization's knowledge base`)
    case "RunRefused":
      return conflict(error.code, error.message)
    case "Unavailable":
      // The driver's words stay in the log (see `problems`), never in the answer.
      return unavailable(`${error.dependency === "database" ? "the database" : error.dependency === "redis" ? "Redis" : error.dependency} is unavailable; try again shortly`)
  }
}

/** Maps a use case's domain errors to problems (logging why a dependency is unavailable), leaving its success as it is. */
export const problems = <A, E extends DomainError, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Effect.tapError((e) => (e._tag === "Unavailable" ? Effect.logWarning(`${e.dependency} unavailable: ${e.message}`) : Effect.void)),
    Effect.mapError(toProblem)
  )
