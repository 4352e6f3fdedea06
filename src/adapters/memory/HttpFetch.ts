import { Effect, Layer } from "effect"
import { HttpFailed } from "../../domain/errors.ts"
import { HttpFetch, type HttpRequest } from "../../ports/HttpFetch.ts"

/** Answers `http` nodes from a function (tests); the requests made are kept. */
export const makeScriptedHttpFetch = (answer: (request: HttpRequest) => { status: number; body: unknown } | string) => {
  const requests: Array<HttpRequest> = []
  const service: HttpFetch["Type"] & { readonly requests: ReadonlyArray<HttpRequest> } = {
    requests,
    request: (request) =>
      Effect.suspend(() => {
        requests.push(request)
        const result = answer(request)
        return typeof result === "string" ? Effect.fail(new HttpFailed({ message: result })) : Effect.succeed(result)
      })
  }
  return service
}

/** No outbound HTTP in this process: `http` nodes fail with a clear message. */
export const HttpFetchDisabled = Layer.succeed(HttpFetch, {
  request: (request) => Effect.fail(new HttpFailed({ message: `outbound HTTP is disabled here (${request.method} ${request.url})` }))
})
