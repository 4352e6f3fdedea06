import { Duration, Effect, Layer } from "effect"
import type { LookupAddress } from "node:dns"
import { lookup } from "node:dns/promises"
import * as http from "node:http"
import * as https from "node:https"
import { HttpFailed } from "../../domain/errors.ts"
import { HttpFetch, type HttpRequest } from "../../ports/HttpFetch.ts"
import { compileAllowList } from "./addressPolicy.ts"
import { pinnedLookup, type Resolve, vetTarget } from "./vetTarget.ts"

export { parseAllowList } from "./addressPolicy.ts"

export interface GuardedHttpFetchOptions {
  /** `AST_HTTP_ALLOW` entries (see `parseAllowList`): host names, IP addresses and CIDRs reachable although private. */
  readonly allow: ReadonlyArray<string>
  /** Largest response body read, in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Redirects followed per request, each target checked again; default 5. */
  readonly maxRedirects?: number
  /** All the addresses of a host name; DNS unless replaced (tests). */
  readonly resolve?: Resolve
}

/** One request of a redirect chain. */
interface Hop {
  readonly method: string
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer | undefined
}

type Answer =
  | { readonly kind: "redirect"; readonly status: number; readonly location: string }
  | { readonly kind: "final"; readonly status: number; readonly contentType: string; readonly bytes: Buffer }

const fail = (message: string) => Effect.fail(new HttpFailed({ message }))
const errorText = (e: unknown) => {
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message
}
// Never the query string or credentials: they may carry secrets into the execution log
const describe = (url: URL) => `${url.origin}${url.pathname}`
const describeText = (url: string) => (URL.canParse(url) ? describe(new URL(url)) : "(invalid URL)")
const sizeText = (bytes: number) => (bytes % 1_048_576 === 0 ? `${bytes / 1_048_576} MiB` : `${bytes} bytes`)

const parseUrl = (text: string, base?: URL) =>
  Effect.try({
    try: () => new URL(text, base),
    catch: () => new HttpFailed({ message: `not a valid URL: ${JSON.stringify(text.slice(0, 200))}` })
  })

/** One request and its answer: a redirect to follow, or the whole body (at most `maxBodyBytes`). */
const exchange = (hop: Hop, addresses: ReadonlyArray<LookupAddress>, maxBodyBytes: number) =>
  Effect.async<Answer, HttpFailed>((resume) => {
    let isSettled = false
    const settle = (answer: Effect.Effect<Answer, HttpFailed>) => {
      if (isSettled) return
      isSettled = true
      resume(answer)
    }
    const what = `${hop.method} ${describe(hop.url)}`
    const tooLarge = () => {
      settle(fail(`${what}: the response body is over ${sizeText(maxBodyBytes)}; it was dropped`))
      request.destroy()
    }
    let request: http.ClientRequest
    try {
      request = (hop.url.protocol === "https:" ? https : http).request(hop.url, {
        method: hop.method, headers: hop.headers, lookup: pinnedLookup(addresses), agent: false
      })
    } catch (e) {
      // Bad header names or values (a template may render a newline) are refused before anything is sent
      return settle(fail(`${what}: ${errorText(e)}`))
    }
    request.on("error", (e) => settle(fail(`${what} failed: ${errorText(e)}`)))
    request.on("response", (response) => {
      const status = response.statusCode ?? 0
      const location = response.headers.location
      if (redirectStatuses.has(status) && location !== undefined) {
        settle(Effect.succeed({ kind: "redirect", status, location }))
        return request.destroy()
      }
      if (Number(response.headers["content-length"]) > maxBodyBytes) return tooLarge()
      const chunks: Array<Buffer> = []
      let size = 0
      response.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBodyBytes) tooLarge()
        else chunks.push(chunk)
      })
      response.on("error", (e) => settle(fail(`${what} failed while reading the answer: ${errorText(e)}`)))
      response.on("end", () =>
        settle(Effect.succeed({ kind: "final", status, contentType: response.headers["content-type"] ?? "", bytes: Buffer.concat(chunks) })))
    })
    request.end(hop.body)
    return Effect.sync(() => request.destroy())
  })

const redirectStatuses = new Set([301, 302, 303, 307, 308])
// Credentials are for the origin they were written for, as browsers do
const originHeaders = new Set(["authorization", "cookie", "proxy-authorization", "host"])

/** The request a redirect asks for: 303 (and 301/302 after POST) become a GET without body. */
const nextHop = (hop: Hop, status: number, url: URL): Hop => {
  const isGetNow = (status === 303 && hop.method !== "HEAD") || ((status === 301 || status === 302) && hop.method === "POST")
  const isCrossOrigin = url.origin !== hop.url.origin
  const headers = Object.entries(hop.headers).filter(([name]) =>
    !(isCrossOrigin && originHeaders.has(name.toLowerCase())) && !(isGetNow && name.toLowerCase() === "content-type"))
  return { method: isGetNow ? "GET" : hop.method, url, headers: Object.fromEntries(headers), body: isGetNow ? undefined : hop.body }
}

/** Strings go as they are, anything else as JSON; a content-type given in the headers wins. */
const firstHop = (request: HttpRequest, url: URL): Hop => {
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.toLowerCase() !== "content-length"))
  if (request.body === undefined) return { method: request.method, url, headers, body: undefined }
  const isText = typeof request.body === "string"
  const body = Buffer.from(typeof request.body === "string" ? request.body : JSON.stringify(request.body))
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === "content-type")
  const type = hasType ? {} : { "content-type": isText ? "text/plain; charset=utf-8" : "application/json" }
  return { method: request.method, url, headers: { ...headers, ...type }, body }
}

/** JSON when the content-type says so and it parses; else the text. */
const bodyOf = (bytes: Buffer, contentType: string): unknown => {
  const charset = /charset="?([^";\s]+)/i.exec(contentType)?.[1] ?? "utf-8"
  let text: string
  try {
    text = new TextDecoder(charset).decode(bytes)
  } catch {
    text = new TextDecoder().decode(bytes)
  }
  if (!/^[^;]*[/+]json\s*(;|$)/i.test(contentType)) return text
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * Outbound HTTP behind an SSRF guard: only http(s); every target (each redirect too) is resolved and refused when
 * private, loopback, link-local, unique-local, IPv4-mapped or otherwise not public, unless allow-listed; the socket
 * connects to the checked address only; the whole chain is bounded by `timeoutMs` and the body by `maxBodyBytes`.
 */
export const makeGuardedHttpFetch = (options: GuardedHttpFetchOptions): HttpFetch["Type"] => {
  const allow = compileAllowList(options.allow)
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576
  const maxRedirects = options.maxRedirects ?? 5
  const resolve: Resolve = options.resolve ?? ((host) => lookup(host, { all: true }))

  const follow = (request: HttpRequest) =>
    Effect.gen(function* () {
      let hop = firstHop(request, yield* parseUrl(request.url))
      for (let redirects = 0; ; redirects++) {
        const addresses = yield* vetTarget(hop.url, allow, resolve)
        const answer = yield* exchange(hop, addresses, maxBodyBytes)
        if (answer.kind === "final") return { status: answer.status, body: bodyOf(answer.bytes, answer.contentType) }
        if (redirects === maxRedirects) return yield* fail(`${request.method} ${describe(hop.url)}: stopped after ${maxRedirects} redirects`)
        hop = nextHop(hop, answer.status, yield* parseUrl(answer.location, hop.url))
      }
    })

  return {
    request: (request) =>
      follow(request).pipe(
        Effect.timeoutFail({
          duration: Duration.millis(request.timeoutMs),
          onTimeout: () => new HttpFailed({ message: `${request.method} ${describeText(request.url)}: timed out after ${request.timeoutMs} ms` })
        }),
        Effect.withSpan("HttpFetch.request", { attributes: { method: request.method } })
      )
  }
}

/** The `http` node's real client; `allow` is the parsed `AST_HTTP_ALLOW`. */
export const HttpFetchGuarded = (allow: ReadonlyArray<string>) => Layer.succeed(HttpFetch, makeGuardedHttpFetch({ allow }))
