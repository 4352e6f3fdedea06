/**
 * What the two stack-floor servers (bench/stackFloorServer.ts, bench/agentFloorServer.ts) share: a bearer
 * `HttpApiMiddleware` checking one token in memory, the open-record Schema parts of the §5 body, and serving an
 * `HttpApi` on NodeHttpServer with `{"listening": <port>}` printed once it listens. Nothing here is AST's.
 */
import { type HttpApi, HttpApiBuilder, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { createServer } from "node:http"

export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {}, HttpApiSchema.annotations({ status: 401 })) {}

export class Caller extends Context.Tag("bench/Caller")<Caller, string>() {}

export class BearerAuth extends HttpApiMiddleware.Tag<BearerAuth>()("bench/BearerAuth", {
  provides: Caller,
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

/** The bearer check: the one token given, compared in memory. */
export const bearerAuth = (token: string) =>
  Layer.succeed(BearerAuth, {
    bearer: (given) => Redacted.value(given) === token ? Effect.succeed("bench") : Effect.fail(new Unauthorized())
  })

/** Extra keys allowed and kept, as the §5 body allows them. */
export const Open = { key: Schema.String, value: Schema.Unknown }

/** Serves the API `api` (its handlers and middleware provided) and prints the port it listens on. */
export const serveApi = <E, R>(api: Layer.Layer<HttpApi.Api, E, R>, options: { readonly port: number; readonly host: string }) =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(api),
    Layer.provideMerge(NodeHttpServer.layer(createServer, options)),
    Layer.tap((context) =>
      Effect.sync(() => {
        const address = Context.get(context, HttpServer.HttpServer).address
        console.log(JSON.stringify({ listening: address._tag === "TcpAddress" ? address.port : null }))
      }))
  )
