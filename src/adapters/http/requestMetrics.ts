import { type HttpApp, HttpServerRequest } from "@effect/platform"
import { Clock, Effect, Exit } from "effect"
import { countOne, httpRequestDuration, httpRequests, observe, secondsSince } from "../../domain/metrics.ts"
import type { Route } from "./problemMiddleware.ts"

/** Served beside the API's own endpoints. */
const documentation = ["/openapi.json", "/docs"]

/** What a request that matches no route is counted as: its raw path could be anything, ids included. */
export const unmatchedRoute = "unmatched"

/**
 * The route template a path matches (`/api/v1/workflows/:id`), whatever the method; templates with fewer
 * parameters win, so a fixed segment beats a parameter.
 */
export const routeTemplateOf = (routes: ReadonlyArray<Route>) => {
  const templates = [...new Set([...routes.map((r) => r.path), ...documentation])]
    .map((path) => ({ path, params: (path.match(/:/g) ?? []).length, pattern: new RegExp(`^${path.replace(/[.]/g, "\\.").replace(/:[A-Za-z]+/g, "[^/]+")}/?$`) }))
    .sort((a, b) => a.params - b.params)
  return (path: string) => templates.find((t) => t.pattern.test(path))?.path ?? unmatchedRoute
}

const pathOf = (target: string) => {
  try {
    return new URL(target.startsWith("/") ? `http://ast${target}` : target, "http://ast").pathname
  } catch {
    return target
  }
}

/**
 * Counts every answered request and times it to its response head, labelled by method, route template
 * and status (`ast_http_requests_total`, `ast_http_request_duration_seconds`). Wrapped around the problem
 * normaliser, so the status is the one the client gets.
 */
export const recordRequests = (routes: ReadonlyArray<Route>) => {
  const templateOf = routeTemplateOf(routes)
  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      Effect.flatMap(Clock.currentTimeNanos, (startedNanos) =>
        Effect.onExit(app, (exit) =>
          Effect.flatMap(secondsSince(startedNanos), (seconds) => {
            const status = Exit.isSuccess(exit) ? exit.value.status : Exit.isInterrupted(exit) ? 499 : 500
            const labels = { method: request.method, route: templateOf(pathOf(request.url)), status: String(status) }
            return Effect.zipRight(countOne(httpRequests, labels), observe(httpRequestDuration, labels, seconds))
          }))))
}
