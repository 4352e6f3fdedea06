import { createHmac, timingSafeEqual } from "node:crypto"
import { createServer, type Server } from "node:http"

export interface Received {
  readonly event: string
  readonly deliveryId: string
  readonly body: Record<string, unknown>
  readonly isSigned: boolean
}

/** Verifies `X-AST-Signature: sha256=<hex>` over the raw body, as the README tells a receiver to. */
export const verify = (secret: string, rawBody: string, header: string | undefined) => {
  if (header === undefined || !header.startsWith("sha256=")) return false
  const expected = Buffer.from(createHmac("sha256", secret).update(rawBody).digest("hex"))
  const given = Buffer.from(header.slice("sha256=".length))
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/**
 * A callback receiver on loopback: checks every signature, answers with `answer()` (e.g. 500 a few times
 * first), and keeps what it accepted.
 */
export const startReceiver = async (secret: string, answer: (attempt: number) => number = () => 200) => {
  const accepted: Array<Received> = []
  const attempts: Array<{ deliveryId: string; status: number }> = []
  const server: Server = createServer((request, response) => {
    let raw = ""
    request.on("data", (c) => (raw += c))
    request.on("end", () => {
      const deliveryId = String(request.headers["x-ast-delivery"])
      const isSigned = verify(secret, raw, request.headers["x-ast-signature"] as string | undefined)
      const status = isSigned ? answer(attempts.length) : 401
      attempts.push({ deliveryId, status })
      if (status === 200) accepted.push({ event: String(request.headers["x-ast-event"]), deliveryId, body: JSON.parse(raw), isSigned })
      response.writeHead(status).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  return {
    url: `http://127.0.0.1:${address.port}/webhooks/ast`,
    accepted,
    attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
