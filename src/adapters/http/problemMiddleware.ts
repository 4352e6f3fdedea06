import { HttpBody, HttpIncomingMessage, HttpServerRequest, HttpServerResponse, type HttpApp } from "@effect/platform"
import { Cause, Effect, Option } from "effect"
import type { Issue } from "../../domain/Issue.ts"
import { problemBody, type ProblemFields } from "./problems.ts"

/** At most this many issues are listed in one answer. */
export const maxIssues = 100

/** The largest request body AST reads (§3). */
export const maxBodyBytes = 1024 * 1024

export interface Route {
  readonly method: string
  readonly path: string
}

/** How deep a request body may nest (a workflow document needs far less). */
export const maxNesting = 64

const isJson = (contentType: string | undefined) =>
  contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType.trim())

/** The deepest nesting of arrays and objects in a JSON text (strings skipped), in one pass. */
const nestingOf = (text: string): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92) i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) deepest = Math.max(deepest, ++depth)
    else if (c === 93 || c === 125) depth--
  }
  return deepest
}

/** The path of a request target, whatever its shape (`//`, `//:` would make `new URL` throw). */
const pathOf = (target: string) => {
  try {
    return new URL(target.startsWith("/") ? `http://ast${target}` : target, "http://ast").pathname
  } catch {
    return target.split("?")[0] ?? target
  }
}

const toPattern = (path: string) => new RegExp(`^${path.replace(/:[A-Za-z]+/g, "[^/]+")}/?$`)

const problemResponse = (response: HttpServerResponse.HttpServerResponse, problem: ProblemFields) =>
  HttpServerResponse.setBody(
    HttpServerResponse.setStatus(response, problem.status),
    HttpBody.text(JSON.stringify(problem), "application/problem+json")
  )

const fresh = (problem: ProblemFields) => problemResponse(HttpServerResponse.empty(), problem)

const bodyJson = (response: HttpServerResponse.HttpServerResponse): unknown => {
  if (response.body._tag !== "Uint8Array") return undefined
  try {
    return JSON.parse(new TextDecoder().decode(response.body.body))
  } catch {
    return undefined
  }
}

interface DecodeIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const isProblem = (body: unknown): body is ProblemFields =>
  typeof body === "object" && body !== null && "code" in body && "type" in body && "status" in body

/**
 * Every error the service answers is `application/problem+json` with a stable `code` (CONTRACT §3),
 * including the framework's own: malformed JSON, schema decode failures (with `issues`), unknown routes
 * (404), known paths with another method (405 + Allow), bodies over 1 MiB (413). A 5xx is logged with a
 * correlation id that the response carries too; no stack trace or internal message reaches a client.
 */
export const problemMiddleware = (routes: ReadonlyArray<Route>) => {
  const patterns = routes.map((r) => ({ method: r.method.toUpperCase(), pattern: toPattern(r.path) }))

  const notRouted = (request: HttpServerRequest.HttpServerRequest) => {
    const path = pathOf(request.url)
    const allowed = patterns.filter((p) => p.pattern.test(path)).map((p) => p.method)
    return allowed.length === 0
      ? fresh(problemBody(404, "not_found", `no route ${request.method} ${path}`))
      : HttpServerResponse.setHeader(
        fresh(problemBody(405, "method_not_allowed", `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(", ")}`)),
        "allow", [...new Set(allowed)].join(", ")
      )
  }

  const fromCause = (cause: Cause.Cause<unknown>, request: HttpServerRequest.HttpServerRequest, correlationId: string) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.succeed(HttpServerResponse.empty({ status: 499 }))
    const error = Cause.squash(cause) as { _tag?: string; reason?: string; cause?: unknown }
    if (error._tag === "RouteNotFound") return Effect.succeed(notRouted(request))
    if (error._tag === "MultipartError") {
      return Effect.succeed(fresh(problemBody(415, "unsupported_media_type", "send the body as application/json")))
    }
    if (error._tag === "RequestError" && error.reason === "Decode") {
      return Effect.succeed(
        error.cause instanceof Error && error.cause.message === "maxBytes exceeded"
          ? fresh(problemBody(413, "payload_too_large", `the body is over ${maxBodyBytes} bytes`))
          : fresh(problemBody(400, "invalid_json", "the body is not valid JSON"))
      )
    }
    return Effect.logError("unexpected failure answering a request", cause).pipe(
      Effect.annotateLogs({ correlationId }),
      Effect.as(fresh(problemBody(500, "internal_error", `an unexpected error happened; quote ${correlationId}`, { correlationId })))
    )
  }

  const normalize = (response: HttpServerResponse.HttpServerResponse, correlationId: string) => {
    if (response.status < 400) return Effect.succeed(response)
    const body = bodyJson(response)
    if (typeof body === "object" && body !== null && (body as { _tag?: string })._tag === "HttpApiDecodeError") {
      const issues: Array<Issue> = ((body as { issues?: ReadonlyArray<DecodeIssue> }).issues ?? []).slice(0, maxIssues).map((i) => ({
        path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
        message: i.message
      }))
      return Effect.succeed(problemResponse(response, problemBody(400, "validation_error", `the request has ${issues.length} problem(s)`, { issues })))
    }
    if (isProblem(body)) {
      if (body.status === 429 && body.retryAfterSeconds !== undefined) {
        return Effect.succeed(HttpServerResponse.setHeader(problemResponse(response, body), "retry-after", String(body.retryAfterSeconds)))
      }
      if (body.status < 500) return Effect.succeed(problemResponse(response, body))
      return Effect.logWarning(`answered ${body.status} ${body.code}: ${body.detail}`).pipe(
        Effect.annotateLogs({ correlationId }),
        Effect.as(problemResponse(response, { ...body, correlationId }))
      )
    }
    const status = response.status
    const code = status === 401 ? "unauthorized" : status === 404 ? "not_found" : status >= 500 ? "internal_error" : "bad_request"
    return Effect.succeed(problemResponse(response, problemBody(status, code, `the request failed with status ${status}`, status >= 500 ? { correlationId } : {})))
  }

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const correlationId = crypto.randomUUID()
      const declared = Number(request.headers["content-length"] ?? "0")
      const hasBody = declared > 0 || request.headers["transfer-encoding"] !== undefined
      const refused = declared > maxBodyBytes
        ? fresh(problemBody(413, "payload_too_large", `the body is over ${maxBodyBytes} bytes`))
        : (hasBody || request.headers["content-type"] !== undefined) && !isJson(request.headers["content-type"]) && request.method !== "GET" && request.method !== "HEAD"
        ? fresh(problemBody(415, "unsupported_media_type", "send the body as application/json"))
        : undefined
      const response = refused ?? (yield* Effect.gen(function* () {
        if (hasBody) {
          // The text is read once (the framework reuses it): a body nested deeper than JSON needs is refused
          // here, before any decoder or encoder could recurse through it.
          const text = yield* request.text
          if (nestingOf(text) > maxNesting) {
            return fresh(problemBody(400, "validation_error", `the body nests deeper than ${maxNesting} levels`, { issues: [{ path: [], message: `nested deeper than ${maxNesting} levels` }] }))
          }
        }
        return yield* app
      }).pipe(
        HttpIncomingMessage.withMaxBodySize(Option.some(maxBodyBytes)),
        Effect.flatMap((r) => normalize(r, correlationId)),
        Effect.catchAllCause((cause) => fromCause(cause, request, correlationId)),
        // Every log line written while answering carries the id the response gives the client.
        Effect.annotateLogs({ correlationId })
      ))
      return HttpServerResponse.setHeader(response, "x-correlation-id", correlationId)
    })
}
