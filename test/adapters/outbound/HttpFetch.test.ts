import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { LookupAddress } from "node:dns"
import { subscribe, unsubscribe } from "node:diagnostics_channel"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { makeGuardedHttpFetch } from "../../../src/adapters/outbound/HttpFetch.ts"
import type { HttpRequest } from "../../../src/ports/HttpFetch.ts"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/** A real HTTP server on 127.0.0.1 and a random port, closed with the scope; it records what it receives. */
const serve = (answer: (request: Received, response: ServerResponse) => void) =>
  Effect.gen(function* () {
    const received: Array<Received> = []
    const sockets: Array<Socket> = []
    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const entry = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString() }
        received.push(entry)
        answer(entry, response)
      })
    })
    server.on("connection", (socket) => sockets.push(socket))
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    const port = (server.address() as AddressInfo).port
    return { origin: `http://127.0.0.1:${port}`, port, received, sockets }
  })

const json = (response: ServerResponse, status: number, value: unknown) => {
  response.writeHead(status, { "content-type": "application/json" })
  response.end(JSON.stringify(value))
}

/** Counts client sockets this process opens (`net.client.socket`), to show a refusal never connects. */
const countSockets = Effect.acquireRelease(
  Effect.sync(() => {
    const opened = { count: 0 }
    const onSocket = () => {
      opened.count++
    }
    subscribe("net.client.socket", onSocket)
    return { opened, onSocket }
  }),
  ({ onSocket }) => Effect.sync(() => unsubscribe("net.client.socket", onSocket))
).pipe(Effect.map(({ opened }) => opened))

const get = (url: string, more: Partial<HttpRequest> = {}): HttpRequest => ({ method: "GET", url, headers: {}, timeoutMs: 5_000, ...more })

const loopbackOnly = makeGuardedHttpFetch({ allow: ["127.0.0.1"] })
const nothingAllowed = makeGuardedHttpFetch({ allow: [] })

/** A resolver standing in for DNS: fixed answers, and the names it was asked. */
const fakeDns = (answers: Record<string, ReadonlyArray<string>>) => {
  const asked: Array<string> = []
  const resolve = (host: string) => {
    asked.push(host)
    const addresses = answers[host]
    return addresses === undefined
      ? Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" }))
      : Promise.resolve(addresses.map((address): LookupAddress => ({ address, family: address.includes(":") ? 6 : 4 })))
  }
  return { asked, resolve }
}

/** The failure's message; a success reads as a short line that no expectation matches. */
const failureOf = <A>(effect: Effect.Effect<A, { readonly message: string }>) =>
  Effect.match(effect, { onFailure: (e) => e.message, onSuccess: (a) => `unexpected success: ${JSON.stringify(a).slice(0, 200)}` })

describe("HttpFetch (guarded): refused targets never get a socket", () => {
  it.scopedLive("loopback, private, link-local, unspecified and IPv4-mapped targets are refused before connecting", () =>
    Effect.gen(function* () {
      const server = yield* serve((_, response) => json(response, 200, { reached: true }))
      const sockets = yield* countSockets
      const targets: ReadonlyArray<readonly [string, string]> = [
        [`http://127.0.0.1:${server.port}/`, "refused: 127.0.0.1 is a loopback address (set AST_HTTP_ALLOW to allow it)"],
        ["http://10.0.0.1/", "refused: 10.0.0.1 is a private address (set AST_HTTP_ALLOW to allow it)"],
        ["http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address (set AST_HTTP_ALLOW to allow it)"],
        [`http://[::1]:${server.port}/`, "refused: ::1 is a loopback address (set AST_HTTP_ALLOW to allow it)"],
        [`http://[::ffff:127.0.0.1]:${server.port}/`, "refused: ::ffff:7f00:1 is an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address"],
        [`http://0.0.0.0:${server.port}/`, "refused: 0.0.0.0 is an unspecified (this-network) address"],
        [`http://0x7f.1:${server.port}/`, "refused: 127.0.0.1 is a loopback address"],
        [`http://2130706433:${server.port}/`, "refused: 127.0.0.1 is a loopback address"],
        [`http://localhost:${server.port}/`, "refused: localhost resolves to "],
        ["https://[fd00::1]/", "refused: fd00::1 is a unique-local address"]
      ]
      for (const [url, message] of targets) {
        expect(yield* failureOf(nothingAllowed.request(get(url, { timeoutMs: 60_000 })))).toContain(message)
      }
      expect(sockets.count).toBe(0)
      expect(server.received).toEqual([])
      expect(server.sockets).toEqual([])
    }))

  it.scopedLive("a name resolving to a private address is refused naming the address; so is a name with one private address among public ones", () =>
    Effect.gen(function* () {
      const sockets = yield* countSockets
      const dns = fakeDns({ "intranet.test": ["10.0.0.7"], "mixed.test": ["93.184.216.34", "192.168.0.10"], "v6.test": ["fe80::1"] })
      const client = makeGuardedHttpFetch({ allow: [], resolve: dns.resolve })
      expect(yield* failureOf(client.request(get("http://intranet.test/")))).toBe(
        "refused: intranet.test resolves to 10.0.0.7, a private address (set AST_HTTP_ALLOW to allow it)")
      expect(yield* failureOf(client.request(get("http://mixed.test/")))).toContain("refused: mixed.test resolves to 192.168.0.10, a private address")
      expect(yield* failureOf(client.request(get("http://v6.test/")))).toContain("refused: v6.test resolves to fe80::1, a link-local address")
      expect(yield* failureOf(client.request(get("http://nowhere.test/")))).toContain("cannot resolve nowhere.test: getaddrinfo ENOTFOUND nowhere.test")
      expect(sockets.count).toBe(0)
    }))

  it.scopedLive("only http and https; a malformed URL fails with a clear message", () =>
    Effect.gen(function* () {
      const sockets = yield* countSockets
      expect(yield* failureOf(nothingAllowed.request(get("file:///etc/passwd")))).toBe("refused: file: URLs are not allowed, only http and https")
      expect(yield* failureOf(nothingAllowed.request(get("ftp://example.com/")))).toContain("refused: ftp: URLs")
      expect(yield* failureOf(nothingAllowed.request(get("not a url")))).toBe('not a valid URL: "not a url"')
      expect(sockets.count).toBe(0)
    }))
})

describe("HttpFetch (guarded): allowed loopback servers answer", () => {
  it.scopedLive("JSON answers are parsed, text stays text, a JSON content-type that does not parse falls back to text", () =>
    Effect.gen(function* () {
      const server = yield* serve((request, response) => {
        if (request.url === "/json") return json(response, 200, { ok: true, items: [1, 2] })
        if (request.url === "/problem") {
          response.writeHead(404, { "content-type": "application/problem+json; charset=utf-8" })
          return response.end(JSON.stringify({ title: "not here" }))
        }
        if (request.url === "/broken") {
          response.writeHead(200, { "content-type": "application/json" })
          return response.end("{not json")
        }
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" })
        response.end("olá")
      })
      expect(yield* loopbackOnly.request(get(`${server.origin}/json`))).toEqual({ status: 200, body: { ok: true, items: [1, 2] } })
      expect(yield* loopbackOnly.request(get(`${server.origin}/problem`))).toEqual({ status: 404, body: { title: "not here" } })
      expect(yield* loopbackOnly.request(get(`${server.origin}/broken`))).toEqual({ status: 200, body: "{not json" })
      expect(yield* loopbackOnly.request(get(`${server.origin}/text`))).toEqual({ status: 200, body: "olá" })
    }))

  it.scopedLive("headers, methods and bodies are sent: objects as JSON, strings as they are, a given content-type wins", () =>
    Effect.gen(function* () {
      const server = yield* serve((request, response) => json(response, 201, { echoed: request.method }))
      const at = `${server.origin}/hook?x=1`
      yield* loopbackOnly.request({ method: "POST", url: at, headers: { "X-Trace": "t-1" }, body: { a: [1, "b"] }, timeoutMs: 5_000 })
      yield* loopbackOnly.request({ method: "PUT", url: at, headers: {}, body: "plain words", timeoutMs: 5_000 })
      yield* loopbackOnly.request({ method: "PATCH", url: at, headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "a=1", timeoutMs: 5_000 })
      const deleted = yield* loopbackOnly.request({ method: "DELETE", url: at, headers: {}, timeoutMs: 5_000 })
      const head = yield* loopbackOnly.request({ method: "HEAD", url: at, headers: {}, timeoutMs: 5_000 })
      expect(deleted).toEqual({ status: 201, body: { echoed: "DELETE" } })
      expect(head).toEqual({ status: 201, body: "" })
      const [post, put, patch] = server.received
      expect(server.received.map((r) => [r.method, r.url])).toEqual([["POST", "/hook?x=1"], ["PUT", "/hook?x=1"], ["PATCH", "/hook?x=1"], ["DELETE", "/hook?x=1"], ["HEAD", "/hook?x=1"]])
      expect(post?.headers).toMatchObject({ "x-trace": "t-1", "content-type": "application/json" })
      expect(JSON.parse(post?.body ?? "")).toEqual({ a: [1, "b"] })
      expect(put).toMatchObject({ body: "plain words", headers: { "content-type": "text/plain; charset=utf-8" } })
      expect(patch).toMatchObject({ body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } })
    }))

  it.scopedLive("a listed host name is reached whatever it resolves to, at the checked address, resolved once", () =>
    Effect.gen(function* () {
      const server = yield* serve((request, response) => json(response, 200, { host: request.headers.host }))
      const dns = fakeDns({ "hooks.internal.test": ["127.0.0.1"] })
      const client = makeGuardedHttpFetch({ allow: ["hooks.internal.test"], resolve: dns.resolve })
      expect(yield* client.request(get(`http://hooks.internal.test:${server.port}/`))).toEqual({
        status: 200, body: { host: `hooks.internal.test:${server.port}` }
      })
      expect(dns.asked).toEqual(["hooks.internal.test"])
      const unlisted = fakeDns({ "other.test": ["127.0.0.1"] })
      const strict = makeGuardedHttpFetch({ allow: ["hooks.internal.test"], resolve: unlisted.resolve })
      expect(yield* failureOf(strict.request(get(`http://other.test:${server.port}/`)))).toContain("refused: other.test resolves to 127.0.0.1, a loopback address")
      expect(server.received).toHaveLength(1)
    }))

  it.scopedLive("a connection refused or a bad header value is an HttpFailed, never an exception", () =>
    Effect.gen(function* () {
      const server = yield* serve((_, response) => json(response, 200, {}))
      const closedPort = yield* Effect.scoped(Effect.map(serve(() => undefined), (s) => s.port))
      expect(yield* failureOf(loopbackOnly.request(get(`http://127.0.0.1:${closedPort}/`)))).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/ failed: .*ECONNREFUSED/)
      expect(yield* failureOf(loopbackOnly.request(get(server.origin, { headers: { "x-bad": "a\r\nInjected: yes" } })))).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/: /)
      expect(server.received).toEqual([])
    }))
})

describe("HttpFetch (guarded): redirects are followed and every target is checked again", () => {
  it.scopedLive("a redirect to a refused target fails after the redirect, without connecting to it", () =>
    Effect.gen(function* () {
      const dns = fakeDns({ "rebound.test": ["10.0.0.1"] })
      const client = makeGuardedHttpFetch({ allow: ["127.0.0.1"], resolve: dns.resolve })
      const server = yield* serve((request, response) => {
        response.writeHead(302, { location: decodeURIComponent(request.url.slice("/to/".length)) })
        response.end()
      })
      const sockets = yield* countSockets
      const via = (target: string) => get(`${server.origin}/to/${encodeURIComponent(target)}`)
      expect(yield* failureOf(client.request(via("http://10.0.0.1/")))).toBe("refused: 10.0.0.1 is a private address (set AST_HTTP_ALLOW to allow it)")
      expect(yield* failureOf(client.request(via(`http://[::1]:${server.port}/`)))).toContain("refused: ::1 is a loopback address")
      expect(yield* failureOf(client.request(via("http://169.254.169.254/latest/meta-data/")))).toContain("refused: 169.254.169.254 is a link-local address")
      expect(yield* failureOf(client.request(via("http://rebound.test/")))).toContain("refused: rebound.test resolves to 10.0.0.1")
      expect(yield* failureOf(client.request(via("file:///etc/passwd")))).toContain("refused: file: URLs are not allowed")
      // one socket per request, each to the allowed server
      expect(sockets.count).toBe(5)
      expect(server.received).toHaveLength(5)
    }))

  it.scopedLive("up to 5 redirects are followed (relative ones too); a sixth fails", () =>
    Effect.gen(function* () {
      const server = yield* serve((request, response) => {
        const left = Number(request.url.split("/")[2])
        if (left === 0) return json(response, 200, { arrived: true })
        response.writeHead(left % 2 === 0 ? 301 : 308, { location: `/hops/${left - 1}` })
        response.end()
      })
      expect(yield* loopbackOnly.request(get(`${server.origin}/hops/5`))).toEqual({ status: 200, body: { arrived: true } })
      expect(yield* failureOf(loopbackOnly.request(get(`${server.origin}/hops/6`)))).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/hops\/1: stopped after 5 redirects$/)
      const strict = makeGuardedHttpFetch({ allow: ["127.0.0.1"], maxRedirects: 0 })
      expect(yield* failureOf(strict.request(get(`${server.origin}/hops/1`)))).toContain("stopped after 0 redirects")
    }))

  it.scopedLive("303 (and 302 after POST) turn into a GET without body; 307 keeps method and body; credentials stay with their origin", () =>
    Effect.gen(function* () {
      const other = yield* serve((request, response) => json(response, 200, { at: "other", method: request.method }))
      const server = yield* serve((request, response) => {
        const [, kind, status] = request.url.split("/")
        if (kind === "end") return json(response, 200, { method: request.method, body: request.body })
        response.writeHead(Number(status), { location: kind === "away" ? `${other.origin}/landed` : "/end" })
        response.end()
      })
      const post = (path: string) => ({ method: "POST", url: `${server.origin}${path}`, headers: { authorization: "Bearer s3cret", cookie: "c=1" }, body: { n: 1 }, timeoutMs: 5_000 })
      expect((yield* loopbackOnly.request(post("/here/303"))).body).toEqual({ method: "GET", body: "" })
      expect((yield* loopbackOnly.request(post("/here/302"))).body).toEqual({ method: "GET", body: "" })
      expect((yield* loopbackOnly.request(post("/here/307"))).body).toEqual({ method: "POST", body: '{"n":1}' })
      expect((yield* loopbackOnly.request(post("/here/308"))).body).toEqual({ method: "POST", body: '{"n":1}' })
      const ends = server.received.filter((r) => r.url === "/end")
      expect(ends.map((r) => [r.headers["authorization"], r.headers["content-type"]])).toEqual([
        ["Bearer s3cret", undefined], ["Bearer s3cret", undefined], ["Bearer s3cret", "application/json"], ["Bearer s3cret", "application/json"]
      ])
      expect((yield* loopbackOnly.request(post("/away/307"))).body).toEqual({ at: "other", method: "POST" })
      expect(other.received[0]?.headers).not.toHaveProperty("authorization")
      expect(other.received[0]?.headers).not.toHaveProperty("cookie")
      expect(other.received[0]?.body).toBe('{"n":1}')
    }))
})

describe("HttpFetch (guarded): the response is bounded in size and time", () => {
  it.scopedLive("a body over 1 MiB fails, announced or streamed; one at the limit is read", () =>
    Effect.gen(function* () {
      const mebibyte = 1_048_576
      const server = yield* serve((request, response) => {
        if (request.url === "/announced") {
          response.writeHead(200, { "content-type": "text/plain", "content-length": String(mebibyte + 1) })
          return response.end("x".repeat(mebibyte + 1))
        }
        if (request.url === "/exact") {
          response.writeHead(200, { "content-type": "text/plain" })
          return response.end("x".repeat(mebibyte))
        }
        // chunked, no length: 64 KiB pieces for 4 MiB
        response.writeHead(200, { "content-type": "application/json" })
        let sent = 0
        const more = () => {
          while (sent < 4 * mebibyte) {
            sent += 65_536
            if (!response.write("x".repeat(65_536))) return response.once("drain", more)
          }
          response.end()
        }
        more()
      })
      expect(yield* failureOf(loopbackOnly.request(get(`${server.origin}/announced`)))).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/announced: the response body is over 1 MiB; it was dropped$/)
      expect(yield* failureOf(loopbackOnly.request(get(`${server.origin}/streamed`)))).toContain("the response body is over 1 MiB")
      const exact = yield* loopbackOnly.request(get(`${server.origin}/exact`))
      expect(typeof exact.body === "string" && exact.body.length).toBe(mebibyte)
      const small = makeGuardedHttpFetch({ allow: ["127.0.0.1"], maxBodyBytes: 1000 })
      expect(yield* failureOf(small.request(get(`${server.origin}/exact`)))).toContain("over 1000 bytes")
    }))

  it.scopedLive("a server that never answers, or stops mid-body, fails within timeoutMs and the connection is dropped", () =>
    Effect.gen(function* () {
      const server = yield* serve((request, response) => {
        if (request.url === "/mid-body") {
          response.writeHead(200, { "content-type": "text/plain" })
          response.write("partial")
        }
      })
      const silent = yield* Effect.exit(loopbackOnly.request(get(`${server.origin}/silent?token=secret`, { timeoutMs: 300 })).pipe(Effect.timeout("20 seconds")))
      expect(silent).toMatchObject(Exit.fail({ _tag: "HttpFailed" }))
      expect(yield* failureOf(loopbackOnly.request(get(`${server.origin}/silent?token=secret`, { timeoutMs: 300 })))).toMatch(
        /^GET http:\/\/127\.0\.0\.1:\d+\/silent: timed out after 300 ms$/)
      expect(yield* failureOf(loopbackOnly.request(get(`${server.origin}/mid-body`, { timeoutMs: 300 })))).toContain("timed out after 300 ms")
      // the client hung up: every server-side socket closes
      yield* Effect.promise(() => Promise.all(server.sockets.map((s) => s.closed ? undefined : new Promise((done) => s.once("close", done)))))
      expect(server.sockets.every((s) => s.closed)).toBe(true)
    }), 30_000)
})
