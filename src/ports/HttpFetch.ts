import { Context, type Effect } from "effect"
import type { HttpFailed } from "../domain/errors.ts"

export interface HttpRequest {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body?: unknown
  readonly timeoutMs: number
}

/** Outbound requests of the `http` node, behind the adapter's SSRF policy. */
export class HttpFetch extends Context.Tag("ast/HttpFetch")<HttpFetch, {
  /** Makes one request; the body is parsed as JSON when it is JSON, else text. */
  readonly request: (request: HttpRequest) => Effect.Effect<{ readonly status: number; readonly body: unknown }, HttpFailed>
}>() {}
