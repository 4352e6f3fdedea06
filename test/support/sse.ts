import { Effect } from "effect"
import { baseUrl } from "./server.ts"

/** One server-sent message: a block of lines ended by a blank line. */
export interface SseMessage {
  readonly id: number | undefined
  readonly data: string | undefined
  readonly comments: ReadonlyArray<string>
  /** When the test read it (ms since the epoch). */
  readonly at: number
}

const parseBlock = (block: string): SseMessage => {
  let id: number | undefined
  const data: Array<string> = []
  const comments: Array<string> = []
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) comments.push(line.slice(1).trim())
    else if (line.startsWith("id:")) id = Number(line.slice(3).trim())
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""))
  }
  return { id, data: data.length === 0 ? undefined : data.join("\n"), comments, at: Date.now() }
}

/** Reads `body` incrementally, one message at a time, as the server flushes it. */
const sseReader = (body: ReadableStream<Uint8Array>) => {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  return async (): Promise<SseMessage | undefined> => {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        return parseBlock(block)
      }
      const { done, value } = await reader.read()
      if (done) {
        if (buffer.trim() !== "") throw new Error(`stream ended inside a message: ${JSON.stringify(buffer)}`)
        return undefined
      }
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n")
    }
  }
}

export interface OpenStream {
  readonly response: Response
  /** The next message; fails if none arrives within 10 s (never hangs). */
  readonly next: Effect.Effect<SseMessage | undefined>
  /** Reads until a message matches (it included), returning every message read. */
  readonly until: (predicate: (m: SseMessage) => boolean) => Effect.Effect<ReadonlyArray<SseMessage>>
  readonly abort: Effect.Effect<void>
}

/** Opens an SSE request through real HTTP; the body is read as it arrives. Aborted when the scope closes. */
export const openStream = (path: string, init: { key: string; method?: string; body?: unknown; headers?: Record<string, string> }) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.acquireRelease(
      Effect.promise(async (): Promise<OpenStream> => {
        const controller = new AbortController()
        const headers = new Headers({ authorization: `Bearer ${init.key}`, accept: "text/event-stream", ...init.headers })
        if (init.body !== undefined) headers.set("content-type", "application/json")
        const response = await fetch(`${url}${path}`, {
          method: init.method ?? "GET",
          headers,
          signal: AbortSignal.any([controller.signal, AbortSignal.timeout(30_000)]),
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
        })
        const read = sseReader(response.body!)
        const next = Effect.tryPromise(read).pipe(
          Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`no SSE message within 10 s on ${path}`) }),
          Effect.orDie
        )
        const until = (predicate: (m: SseMessage) => boolean) =>
          Effect.gen(function* () {
            const seen: Array<SseMessage> = []
            for (;;) {
              const m = yield* next
              if (m === undefined) return yield* Effect.dieMessage(`the stream ended before the awaited message; read ${JSON.stringify(seen)}`)
              seen.push(m)
              if (predicate(m)) return seen
            }
          })
        return { response, next, until, abort: Effect.sync(() => controller.abort()) }
      }),
      (stream) => stream.abort
    ))

