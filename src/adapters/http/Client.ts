import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect } from "effect"
import { AstApi } from "./Api.ts"

/**
 * A typed client of the AST API, derived from the same API value as the server: every endpoint is a
 * method (`client.workflows.create({ payload })`), every error a typed value. `apiKey` is an organization's
 * key (`ast_…`) or, for `client.admin.*`, the admin token.
 *
 * ```ts
 * const program = Effect.gen(function* () {
 *   const ast = yield* makeAstClient("https://ast.fly.dev", process.env.AST_API_KEY!)
 *   const { executionId } = yield* ast.runs.trigger({ path: { id: workflowId }, payload: { threadId, input, context } })
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 */
export const makeAstClient = (baseUrl: string, apiKey: string) =>
  HttpApiClient.make(AstApi, {
    baseUrl,
    transformClient: HttpClient.mapRequest(HttpClientRequest.bearerToken(apiKey))
  })

export type AstClient = Effect.Effect.Success<ReturnType<typeof makeAstClient>>

export { FetchHttpClient }
