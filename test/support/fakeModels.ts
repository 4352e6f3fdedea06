import { Effect, type Scope } from "effect"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import type { Socket } from "node:net"
import { performance } from "node:perf_hooks"
import { requestBody } from "./requestBody.ts"

export interface ScriptedToolCall { readonly name: string; readonly args: Record<string, unknown>; readonly id?: string }

/** How the fake answers one chat request. An empty reply is an empty text answer. */
export interface ScriptedReply {
  /** The assistant's text, streamed one word per chunk. */
  readonly content?: string
  readonly toolCalls?: ReadonlyArray<ScriptedToolCall>
  /** Answers this HTTP status instead, with the provider's error body. */
  readonly status?: number
  /** The error body's message when `status` is given. */
  readonly errorMessage?: string
  /** Accepts the request and never answers (until the client gives up or the server closes). */
  readonly hang?: boolean
  /** Waits this long before the first byte (headers included). */
  readonly firstByteDelayMs?: number
  /** Waits this long between streamed content chunks (text words, tool call pieces). */
  readonly tokenDelayMs?: number
}

export interface RecordedRequest {
  /** The request's path with its query, e.g. `/v1/chat/completions`. */
  readonly path: string
  /** Lower-cased names, as Node gives them. */
  readonly headers: Record<string, string>
  readonly body: any
  /** `performance.now()` when the request was complete. */
  readonly at: number
}

export interface FakeModelServer {
  /** OpenAI: `http://127.0.0.1:<port>/v1` (`configuration.baseURL`); Anthropic: `http://127.0.0.1:<port>` (`anthropicApiUrl`). */
  readonly url: string
  /** Every chat request, in order (embeddings are in `embeddingRequests`). */
  readonly requests: ReadonlyArray<RecordedRequest>
  /** Appends replies to the script; with a function script, pushed replies are answered first. */
  readonly push: (...replies: ReadonlyArray<ScriptedReply>) => void
  /** `performance.now()` when each streamed response wrote its first content chunk (its end if it had none). */
  readonly firstTokenAt: ReadonlyArray<number>
}

export interface FakeOpenAIServer extends FakeModelServer {
  /** Every `/v1/embeddings` request, in order; they do not consume the script. */
  readonly embeddingRequests: ReadonlyArray<RecordedRequest>
}

/** Replies in order, one per chat request; or a function of the request and its 0-based index. */
export type Script = ReadonlyArray<ScriptedReply> | ((request: RecordedRequest, index: number) => ScriptedReply)

/** One piece of a streamed answer; `isToken` pieces are content, paced by `tokenDelayMs`. */
interface Frame { readonly text: string; readonly isToken: boolean }

/** What differs between the providers: where they listen, their bodies and their stream events. */
interface Dialect {
  readonly name: string
  readonly chatPath: string
  readonly urlSuffix: string
  readonly errorBody: (status: number, message: string) => unknown
  readonly completion: (reply: ScriptedReply, body: any, index: number) => unknown
  readonly frames: (reply: ScriptedReply, body: any, index: number) => ReadonlyArray<Frame>
  /** Answers the provider's other routes (embeddings), or `undefined` for a 404. */
  readonly route?: (pathname: string, request: RecordedRequest) => unknown
}

const exhausted: ScriptedReply = { status: 500, errorMessage: "fake model: no scripted reply left" }

/** The text split in word chunks that join back to it exactly. */
export const words = (text: string): Array<string> => text.match(/^\s+|\S+\s*/g) ?? []

/** The tool call's arguments as JSON, cut in (up to) three pieces, as providers stream them. */
const argumentPieces = (args: Record<string, unknown>) => {
  const json = JSON.stringify(args)
  const size = Math.max(1, Math.ceil(json.length / 3))
  return Array.from({ length: Math.ceil(json.length / size) }, (_, i) => json.slice(i * size, (i + 1) * size))
}

const estimateTokens = (value: unknown) => Math.max(1, Math.ceil(JSON.stringify(value ?? "").length / 4))

const usageOf = (reply: ScriptedReply, body: any) => {
  const input = estimateTokens(body?.messages) + (body?.system === undefined ? 0 : estimateTokens(body.system))
  const output = words(reply.content ?? "").length + (reply.toolCalls ?? []).reduce((n, call) => n + estimateTokens(call.args), 0)
  return { input, output: Math.max(1, output) }
}

const flatHeaders = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value ?? ""]))

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify(body))
}

/** Waits `ms`, or less if the client goes away meanwhile. */
const pause = (res: ServerResponse, ms = 0) =>
  ms <= 0 || res.destroyed ? Promise.resolve() : new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      res.off("close", done)
      resolve()
    }
    res.once("close", done)
  })

const readRequest = (req: IncomingMessage) =>
  requestBody(req).then((body): RecordedRequest => ({ path: req.url ?? "", headers: flatHeaders(req.headers), body, at: performance.now() }))

const startFake = async (dialect: Dialect, script: Script) => {
  const queue: Array<ScriptedReply> = typeof script === "function" ? [] : [...script]
  const requests: Array<RecordedRequest> = []
  const firstTokenAt: Array<number> = []
  const sockets = new Set<Socket>()

  const answerChat = async (request: RecordedRequest, res: ServerResponse) => {
    const index = requests.push(request) - 1
    const reply = queue.shift() ?? (typeof script === "function" ? script(request, index) : exhausted)
    if (reply.hang === true) return
    await pause(res, reply.firstByteDelayMs)
    if (res.destroyed) return
    if (reply.status !== undefined) {
      return json(res, reply.status, dialect.errorBody(reply.status, reply.errorMessage ?? `fake model: scripted status ${reply.status}`))
    }
    if (request.body?.stream !== true) return json(res, 200, dialect.completion(reply, request.body, index))
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
    let hasWrittenToken = false
    for (const frame of dialect.frames(reply, request.body, index)) {
      if (frame.isToken && hasWrittenToken) await pause(res, reply.tokenDelayMs)
      if (res.destroyed) return
      res.write(frame.text)
      if (frame.isToken && !hasWrittenToken) {
        firstTokenAt.push(performance.now())
        hasWrittenToken = true
      }
    }
    if (!hasWrittenToken) firstTokenAt.push(performance.now())
    res.end()
  }

  const server = createServer((req, res) => {
    readRequest(req).then((request) => {
      const pathname = new URL(request.path, "http://fake").pathname
      if (req.method === "POST" && pathname === dialect.chatPath) return answerChat(request, res)
      const answer = req.method === "POST" ? dialect.route?.(pathname, request) : undefined
      if (answer !== undefined) return json(res, 200, answer)
      json(res, 404, dialect.errorBody(404, `fake ${dialect.name}: no route ${req.method} ${pathname}`))
    }).catch(() => res.destroy())
  })
  server.on("connection", (socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error(`fake ${dialect.name} has no port`)
  return {
    url: `http://127.0.0.1:${address.port}${dialect.urlSuffix}`,
    requests,
    firstTokenAt,
    push: (...replies: ReadonlyArray<ScriptedReply>) => void queue.push(...replies),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}

const serve = (dialect: Dialect, script: Script) =>
  Effect.acquireRelease(Effect.promise(() => startFake(dialect, script)), (fake) => Effect.promise(fake.close)).pipe(
    Effect.map(({ close: _close, ...fake }): FakeModelServer => fake)
  )

// ---- OpenAI ----

const openAIErrorKinds: Record<number, readonly [type: string, code: string | null]> = {
  400: ["invalid_request_error", null],
  401: ["invalid_request_error", "invalid_api_key"],
  403: ["invalid_request_error", "unsupported_country_region_territory"],
  404: ["invalid_request_error", "model_not_found"],
  429: ["requests", "rate_limit_exceeded"]
}

const openAIError = (status: number, message: string) => {
  const [type, code] = openAIErrorKinds[status] ?? (status >= 500 ? ["server_error", null] : ["invalid_request_error", null])
  return { error: { message, type, param: null, code } }
}

const toolCallId = (prefix: string, index: number, call: ScriptedToolCall, position: number) =>
  call.id ?? `${prefix}_${index + 1}_${position + 1}`

const openAIUsage = (reply: ScriptedReply, body: any) => {
  const { input, output } = usageOf(reply, body)
  return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output }
}

const openAICompletion = (reply: ScriptedReply, body: any, index: number) => {
  const calls = reply.toolCalls ?? []
  return {
    id: `chatcmpl-fake-${index + 1}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "fake",
    system_fingerprint: "fp_fake",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: reply.content ?? (calls.length > 0 ? null : ""),
        refusal: null,
        ...calls.length > 0 && {
          tool_calls: calls.map((call, i) => ({
            id: toolCallId("call", index, call, i),
            type: "function",
            function: { name: call.name, arguments: JSON.stringify(call.args) }
          }))
        }
      },
      logprobs: null,
      finish_reason: calls.length > 0 ? "tool_calls" : "stop"
    }],
    usage: openAIUsage(reply, body)
  }
}

const openAIFrames = (reply: ScriptedReply, body: any, index: number): Array<Frame> => {
  const calls = reply.toolCalls ?? []
  const isUsageAsked = body?.stream_options?.include_usage === true
  const head = {
    id: `chatcmpl-fake-${index + 1}`,
    object: "chat.completion.chunk",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "fake",
    system_fingerprint: "fp_fake"
  }
  const data = (value: unknown, isToken = false): Frame => ({ text: `data: ${JSON.stringify(value)}\n\n`, isToken })
  const chunk = (delta: unknown, finishReason: string | null = null, isToken = true) =>
    data({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...isUsageAsked && { usage: null } }, isToken)
  return [
    chunk({ role: "assistant", content: calls.length > 0 && reply.content === undefined ? null : "", refusal: null }, null, false),
    ...words(reply.content ?? "").map((word) => chunk({ content: word })),
    ...calls.flatMap((call, i) => [
      chunk({ tool_calls: [{ index: i, id: toolCallId("call", index, call, i), type: "function", function: { name: call.name, arguments: "" } }] }),
      ...argumentPieces(call.args).map((piece) => chunk({ tool_calls: [{ index: i, function: { arguments: piece } }] }))
    ]),
    chunk({}, calls.length > 0 ? "tool_calls" : "stop", false),
    ...isUsageAsked ? [data({ ...head, choices: [], usage: openAIUsage(reply, body) })] : [],
    { text: "data: [DONE]\n\n", isToken: false }
  ]
}

/** A vector from the text's words (lower-cased, FNV-1a hashed into `dimensions`), L2-normalised. */
export const fakeEmbedding = (text: string, dimensions = 64): Array<number> => {
  const vector = new Array<number>(dimensions).fill(0)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 0x811c9dc5
    for (const char of word) hash = Math.imul(hash ^ char.codePointAt(0)!, 0x01000193) >>> 0
    vector[hash % dimensions]! += 1
  }
  const norm = Math.hypot(...vector)
  // An empty text still gets a unit vector, so cosine similarity stays defined.
  return norm === 0 ? vector.map((_, i) => (i === 0 ? 1 : 0)) : vector.map((x) => x / norm)
}

const openAIEmbeddings = (pathname: string, request: RecordedRequest) => {
  if (pathname !== "/v1/embeddings") return undefined
  const { input, dimensions, model, encoding_format } = request.body ?? {}
  const texts: Array<unknown> = Array.isArray(input) && typeof input[0] !== "number" ? input : [input]
  const vectors = texts.map((text) => fakeEmbedding(typeof text === "string" ? text : JSON.stringify(text), dimensions ?? 64))
  return {
    object: "list",
    data: vectors.map((vector, index) => ({
      object: "embedding",
      index,
      embedding: encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector
    })),
    model: model ?? "fake",
    usage: { prompt_tokens: estimateTokens(input), total_tokens: estimateTokens(input) }
  }
}

/**
 * An OpenAI-compatible server on a random loopback port: `POST /v1/chat/completions` (streamed or not) from
 * the script, and `POST /v1/embeddings` with deterministic vectors.
 */
export const fakeOpenAI = (script: Script = []): Effect.Effect<FakeOpenAIServer, never, Scope.Scope> => {
  const embeddingRequests: Array<RecordedRequest> = []
  const dialect: Dialect = {
    name: "OpenAI",
    chatPath: "/v1/chat/completions",
    urlSuffix: "/v1",
    errorBody: openAIError,
    completion: openAICompletion,
    frames: openAIFrames,
    route: (pathname, request) => {
      const answer = openAIEmbeddings(pathname, request)
      if (answer !== undefined) embeddingRequests.push(request)
      return answer
    }
  }
  return Effect.map(serve(dialect, script), (fake) => ({ ...fake, embeddingRequests }))
}

// ---- Anthropic ----

const anthropicErrorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error"
}

const anthropicError = (status: number, message: string) => ({
  type: "error",
  error: { type: anthropicErrorTypes[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message }
})

/** The text block comes first, then the tool calls; a reply with neither is one empty text block. */
const hasTextBlock = (reply: ScriptedReply) => reply.content !== undefined || (reply.toolCalls ?? []).length === 0

const anthropicCompletion = (reply: ScriptedReply, body: any, index: number) => {
  const calls = reply.toolCalls ?? []
  const { input, output } = usageOf(reply, body)
  return {
    id: `msg_fake_${index + 1}`,
    type: "message",
    role: "assistant",
    model: body?.model ?? "fake",
    content: [
      ...hasTextBlock(reply) ? [{ type: "text", text: reply.content ?? "" }] : [],
      ...calls.map((call, i) => ({ type: "tool_use", id: toolCallId("toolu", index, call, i), name: call.name, input: call.args }))
    ],
    stop_reason: calls.length > 0 ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: output }
  }
}

const anthropicFrames = (reply: ScriptedReply, body: any, index: number): Array<Frame> => {
  const calls = reply.toolCalls ?? []
  const { input, output } = usageOf(reply, body)
  const event = (type: string, value: object, isToken = false): Frame =>
    ({ text: `event: ${type}\ndata: ${JSON.stringify({ type, ...value })}\n\n`, isToken })
  const textBlocks = hasTextBlock(reply) ? 1 : 0
  return [
    event("message_start", {
      message: {
        id: `msg_fake_${index + 1}`, type: "message", role: "assistant", model: body?.model ?? "fake", content: [],
        stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 }
      }
    }),
    event("ping", {}),
    ...textBlocks === 1 ? [
      event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ...words(reply.content ?? "").map((word) => event("content_block_delta", { index: 0, delta: { type: "text_delta", text: word } }, true)),
      event("content_block_stop", { index: 0 })
    ] : [],
    ...calls.flatMap((call, i) => [
      event("content_block_start", {
        index: textBlocks + i,
        content_block: { type: "tool_use", id: toolCallId("toolu", index, call, i), name: call.name, input: {} }
      }, true),
      ...argumentPieces(call.args).map((piece) =>
        event("content_block_delta", { index: textBlocks + i, delta: { type: "input_json_delta", partial_json: piece } }, true)),
      event("content_block_stop", { index: textBlocks + i })
    ]),
    event("message_delta", { delta: { stop_reason: calls.length > 0 ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: output } }),
    event("message_stop", {})
  ]
}

/** An Anthropic Messages server on a random loopback port: `POST /v1/messages` (streamed or not) from the script. */
export const fakeAnthropic = (script: Script = []): Effect.Effect<FakeModelServer, never, Scope.Scope> =>
  serve({
    name: "Anthropic",
    chatPath: "/v1/messages",
    urlSuffix: "",
    errorBody: anthropicError,
    completion: anthropicCompletion,
    frames: anthropicFrames
  }, script)
