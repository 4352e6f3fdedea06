import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { requestBody } from "./requestBody.ts"

/**
 * How the fake answers one call: `ok` (a send's `{success, messageId, timestamp}` or a status'
 * `{status: "connected"}`), `invalidPhone` (400), `rateLimited` (429, `Retry-After: 1`), `serverError`
 * (500), `notFound` (404), `hang` (never answers), `drop` (destroys the socket), or any status and body.
 */
export type FakeAnswer =
  | "ok" | "invalidPhone" | "rateLimited" | "serverError" | "notFound" | "hang" | "drop"
  | { readonly status: number; readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> }

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: unknown
  /** `Date.now()` when the request was complete. */
  readonly at: number
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers })
  res.end(JSON.stringify(body))
}

/**
 * A LivChat on a random loopback port: answers each call with the next scripted answer (`ok` once the
 * script is used up), records every request and counts sends per `Idempotency-Key`.
 */
export const startFakeLivchat = async () => {
  const script: Array<FakeAnswer> = []
  const requests: Array<RecordedRequest> = []
  const sendsByKey = new Map<string, number>()
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    void requestBody(req).then((body) => {
      const path = req.url ?? ""
      requests.push({ method: req.method ?? "", path, headers: req.headers, body, at: Date.now() })
      const isSend = req.method === "POST" && path === "/api/v1/messages/send"
      const key = req.headers["idempotency-key"]
      if (isSend && typeof key === "string") sendsByKey.set(key, (sendsByKey.get(key) ?? 0) + 1)
      const answer = script.shift() ?? "ok"
      if (answer === "hang") return
      if (answer === "drop") return req.socket.destroy()
      if (typeof answer === "object") return json(res, answer.status, answer.body ?? {}, answer.headers)
      switch (answer) {
        case "ok":
          if (isSend) return json(res, 200, { success: true, messageId: `wamid-${requests.length}`, timestamp: new Date().toISOString() })
          if (req.method === "GET" && /^\/api\/v1\/instances\/[^/]+\/status$/.test(path)) return json(res, 200, { status: "connected" })
          return json(res, 404, { error: `no route ${req.method} ${path}` })
        case "invalidPhone":
          return json(res, 400, { error: "invalid phone" })
        case "rateLimited":
          return json(res, 429, { error: "too many requests" }, { "retry-after": "1" })
        case "serverError":
          return json(res, 500, { error: "internal error" })
        case "notFound":
          return json(res, 404, { error: "instance not found" })
      }
    })
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("fake LivChat has no port")
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: requests as ReadonlyArray<RecordedRequest>,
    sendsByKey: sendsByKey as ReadonlyMap<string, number>,
    /** Queues the answers of the next calls, in order. */
    answer(...answers: ReadonlyArray<FakeAnswer>) {
      script.push(...answers)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

export type FakeLivchat = Awaited<ReturnType<typeof startFakeLivchat>>
