import { type HttpApp, HttpApiBuilder, HttpApiScalar, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, type Redacted } from "effect"
import { createServer } from "node:http"
import { AstApi } from "./Api.ts"
import { AdminAuthLive, ApiKeyAuthLive } from "./Authentication.ts"
import { AdminHandlers } from "./handlers/admin.ts"
import { ExecutionsHandlers } from "./handlers/executions.ts"
import { KnowledgeHandlers } from "./handlers/knowledge.ts"
import { RunsHandlers } from "./handlers/runs.ts"
import { SystemHandlers } from "./handlers/system.ts"
import { ThreadsHandlers } from "./handlers/threads.ts"
import { WorkflowsHandlers } from "./handlers/workflows.ts"
import { problemMiddleware, type Route } from "./problemMiddleware.ts"
import { problemBody } from "./problems.ts"
import { recordRequests } from "./requestMetrics.ts"

/** Every endpoint's method and path, for 405 answers. */
export const routes: ReadonlyArray<Route> = Object.values(AstApi.groups).flatMap((group) =>
  Object.values(group.endpoints).map((e) => ({ method: e.method, path: e.path }))
)

/** The API with its handlers and authentication; needs the ports and use-case services. */
export const ApiLive = (adminToken: Redacted.Redacted<string> | undefined) =>
  HttpApiBuilder.api(AstApi).pipe(
    Layer.provide([SystemHandlers, AdminHandlers, WorkflowsHandlers, RunsHandlers, ExecutionsHandlers, ThreadsHandlers, KnowledgeHandlers]),
    Layer.provide([ApiKeyAuthLive, AdminAuthLive(adminToken)])
  )

/** What an instance that runs queued work only (`AST_ROLE=worker`) serves: what orchestrators probe. */
export const operationsPaths: ReadonlyArray<string> = ["/health", "/ready", "/metrics"]

const pathOf = (target: string) => {
  try {
    return new URL(target, "http://ast").pathname
  } catch {
    return undefined
  }
}

/** Only `paths` are served; anything else answers 404 as if the route did not exist. */
const servingOnly = (paths: ReadonlyArray<string>) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    paths.includes(pathOf(request.url) ?? "")
      ? app
      : Effect.succeed(HttpServerResponse.unsafeJson(
        problemBody(404, "not_found", `this instance runs queued work only (AST_ROLE=worker); it serves ${paths.join(", ")}`),
        { status: 404 }
      )))

/**
 * Like `HttpApiBuilder.serve`, with the problem normaliser wrapped around the app itself: a server
 * middleware runs after the response is already written, so it could not rewrite it.
 */
const serveWithProblems = (servedPaths: ReadonlyArray<string> | undefined) =>
  HttpApiBuilder.httpApp.pipe(
    Effect.map((app) => HttpServer.serve(recordRequests(routes)(problemMiddleware(routes)(servedPaths === undefined ? app : servingOnly(servedPaths)(app))))),
    Layer.unwrapEffect,
    Layer.provide([HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer])
  )

/**
 * The API served over HTTP at `/`, with `/openapi.json` and `/docs`, every error as problem+json;
 * with `servedPaths`, only those paths (the rest answers 404).
 */
export const HttpServerLive = (options: {
  readonly port: number
  readonly host: string
  readonly adminToken: Redacted.Redacted<string> | undefined
  readonly servedPaths?: ReadonlyArray<string>
}) =>
  serveWithProblems(options.servedPaths).pipe(
    Layer.provide(HttpApiScalar.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(ApiLive(options.adminToken)),
    HttpServer.withLogAddress,
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host: options.host }))
  )
