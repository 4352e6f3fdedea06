import { Effect } from "effect"
import { NodeFailed } from "../../domain/errors.ts"
import { HttpFetch } from "../../ports/HttpFetch.ts"
import type { NodeHandler } from "../NodeContext.ts"
import { renderDeep, renderTemplate } from "../template.ts"

/** One outbound request; `{status, body}`. */
export const http: NodeHandler<"http", HttpFetch> = (node, ctx) =>
  Effect.gen(function* () {
    const fetcher = yield* HttpFetch
    const headers = Object.fromEntries(
      Object.entries(node.config.headers ?? {}).map(([name, value]) => [name, renderTemplate(value, ctx.scope)])
    )
    const body = node.config.body === undefined ? {} : { body: renderDeep(node.config.body, ctx.scope) }
    return yield* fetcher.request({
      method: node.config.method,
      url: renderTemplate(node.config.url, ctx.scope),
      headers,
      timeoutMs: node.config.timeoutMs ?? 10_000,
      ...body
    }).pipe(Effect.mapError((e) => new NodeFailed({ code: "http_failed", message: e.message })))
  })
