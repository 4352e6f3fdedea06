import { describe, expect, it } from "@effect/vitest"
import { ChatAnthropic } from "@langchain/anthropic"
import { AIMessage, type AIMessageChunk, type BaseMessage, HumanMessage, SystemMessage, ToolMessage, type UsageMetadata } from "@langchain/core/messages"
import { tool } from "@langchain/core/tools"
import { ChatOpenAI, OpenAIEmbeddings } from "@langchain/openai"
import { Effect } from "effect"
import { performance } from "node:perf_hooks"
import { z } from "zod"
import { type FakeModelServer, fakeAnthropic, fakeOpenAI, type ScriptedReply, words } from "./fakeModels.ts"

const openAIKey = "sk-test-fake-not-a-real-key-0001"
const anthropicKey = "sk-ant-test-fake-not-a-real-key-0002"

const getWeather = tool(async ({ city }) => `sunny in ${city}`, {
  name: "get_weather",
  description: "The weather in a city",
  schema: z.object({ city: z.string(), days: z.number() })
})

const openAI = (fake: FakeModelServer, fields: { streaming?: boolean; timeout?: number } = {}) =>
  new ChatOpenAI({ model: "gpt-4o-mini", apiKey: openAIKey, configuration: { baseURL: fake.url }, maxRetries: 0, ...fields })

const anthropic = (fake: FakeModelServer, fields: { streaming?: boolean } = {}) =>
  new ChatAnthropic({ model: "claude-sonnet-4-5", apiKey: anthropicKey, anthropicApiUrl: fake.url, maxRetries: 0, ...fields })

/** A promise as an effect whose failure is what the promise rejected with. */
const call = <A>(run: () => Promise<A>) => Effect.tryPromise({ try: run, catch: (error) => error as Error & { status?: number } })

/** Every chunk of a streamed answer, then the chunks merged. */
const streamed = (run: () => Promise<AsyncIterable<AIMessageChunk>>) =>
  call(async () => {
    const chunks: Array<AIMessageChunk> = []
    for await (const chunk of await run()) chunks.push(chunk)
    return { chunks, merged: chunks.reduce((a, b) => a.concat(b)) }
  })

/** The answer's usage; LangChain types `usage_metadata` as `never` under this tsconfig, so it is read through its type. */
const usage = (message: { readonly usage_metadata?: unknown }) => message.usage_metadata as UsageMetadata | undefined

const ask: Array<BaseMessage> = [new SystemMessage("Be brief."), new HumanMessage("What is the weather in Recife?")]
const text = "It is sunny in Recife today, about thirty degrees."
const weatherCall = { name: "get_weather", args: { city: "Recife", days: 2 } }

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((sum, x, i) => sum + x * b[i]!, 0)

describe("fake OpenAI, driven by ChatOpenAI", () => {
  it.scopedLive("streamed text arrives in several chunks; the request holds the messages, the key and the usage ask", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ content: text }])
      const { chunks, merged } = yield* streamed(() => openAI(fake, { streaming: true }).stream(ask))

      const texts = chunks.map((c) => c.content).filter((c) => c !== "")
      expect(texts.length).toBe(words(text).length)
      expect(merged.content).toBe(text)
      expect(usage(merged)?.output_tokens).toBeGreaterThan(0)
      const [request] = fake.requests
      expect(request!.path).toBe("/v1/chat/completions")
      expect(request!.headers.authorization).toBe(`Bearer ${openAIKey}`)
      expect(request!.body).toMatchObject({
        model: "gpt-4o-mini",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "What is the weather in Recife?" }]
      })
      expect(fake.firstTokenAt).toHaveLength(1)
    }))

  it.scopedLive("a text answer without streaming carries the content and the usage", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ content: text }])
      const answer = yield* call(() => openAI(fake).invoke(ask))
      expect(answer.content).toBe(text)
      expect(usage(answer)?.total_tokens).toBeGreaterThan(0)
      expect(fake.requests[0]!.body.stream).toBe(false)
    }))

  for (const streaming of [false, true]) {
    it.scopedLive(`tool calls come back with their name, args and id (streaming: ${streaming}); the tool's answer goes back under that id`, () =>
      Effect.gen(function* () {
        const fake = yield* fakeOpenAI([{ toolCalls: [weatherCall, { name: "get_weather", args: { city: "Natal", days: 1 }, id: "call_mine" }] }, { content: text }])
        const model = openAI(fake, { streaming }).bindTools([getWeather])
        // Streamed through .stream(): ChatOpenAI's invoke() with streaming: true would fetch tiktoken's tables from the network.
        const answer = streaming ? (yield* streamed(() => model.stream(ask))).merged : yield* call(() => model.invoke(ask))

        expect(answer.tool_calls).toEqual([
          { type: "tool_call", name: "get_weather", args: { city: "Recife", days: 2 }, id: "call_1_1" },
          { type: "tool_call", name: "get_weather", args: { city: "Natal", days: 1 }, id: "call_mine" }
        ])
        expect(fake.requests[0]!.body.tools).toEqual([expect.objectContaining({ type: "function", function: expect.objectContaining({ name: "get_weather" }) })])

        const results = answer.tool_calls!.map((c) => new ToolMessage({ tool_call_id: c.id!, content: `sunny in ${c.args.city}` }))
        const final = yield* call(() => openAI(fake).bindTools([getWeather]).invoke([...ask, answer, ...results]))
        expect(final.content).toBe(text)
        const sent = fake.requests[1]!.body.messages
        expect(sent[2]).toMatchObject({ role: "assistant", tool_calls: [{ id: "call_1_1", type: "function" }, { id: "call_mine" }] })
        expect(sent.slice(3)).toEqual([
          { role: "tool", tool_call_id: "call_1_1", content: "sunny in Recife" },
          { role: "tool", tool_call_id: "call_mine", content: "sunny in Natal" }
        ])
      }))
  }

  it.scopedLive("streamed tool call arguments arrive in several pieces", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ toolCalls: [weatherCall] }])
      const { chunks, merged } = yield* streamed(() => openAI(fake, { streaming: true }).bindTools([getWeather]).stream(ask))
      expect(chunks.filter((c) => (c.tool_call_chunks ?? []).length > 0).length).toBeGreaterThan(2)
      expect(merged.tool_calls).toEqual([{ type: "tool_call", name: "get_weather", args: weatherCall.args, id: "call_1_1" }])
      expect(merged.response_metadata.finish_reason).toBe("tool_calls")
    }))

  for (const status of [500, 429, 401]) {
    it.scopedLive(`a scripted ${status} surfaces as an error with that status`, () =>
      Effect.gen(function* () {
        const fake = yield* fakeOpenAI([{ status }])
        const error = yield* Effect.flip(call(() => openAI(fake).invoke(ask)))
        expect(error.status).toBe(status)
        expect(error.message).toContain(`fake model: scripted status ${status}`)
        expect(fake.requests).toHaveLength(1)
      }))
  }

  it.scopedLive("an exhausted script answers 500 saying so", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI()
      const error = yield* Effect.flip(call(() => openAI(fake, { streaming: true }).invoke(ask)))
      expect(error.status).toBe(500)
      expect(error.message).toContain("fake model: no scripted reply left")
    }))

  it.scopedLive("a hanging answer is cut by the client's timeout", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ hang: true }])
      const started = performance.now()
      const error = yield* Effect.flip(call(() => openAI(fake, { timeout: 200 }).invoke(ask)))
      expect(error.message).toMatch(/timed? ?out/i)
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(fake.requests).toHaveLength(1)
    }))

  it.scopedLive("a function script answers from the request", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI((request, index) => ({ content: `#${index}: ${request.body.messages.at(-1).content}` }))
      fake.push({ content: "pushed first" })
      const model = openAI(fake)
      expect((yield* call(() => model.invoke("um"))).content).toBe("pushed first")
      expect((yield* call(() => model.invoke("dois"))).content).toBe("#1: dois")
    }))

  it.scopedLive("firstByteDelayMs delays the first token and tokenDelayMs spaces the rest", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ content: "one two three four", firstByteDelayMs: 150, tokenDelayMs: 40 }])
      yield* streamed(() => openAI(fake, { streaming: true }).stream(ask))
      const done = performance.now()
      const firstToken = fake.firstTokenAt[0]! - fake.requests[0]!.at
      expect(firstToken).toBeGreaterThanOrEqual(145)
      expect(done - fake.firstTokenAt[0]!).toBeGreaterThanOrEqual(3 * 40 - 5)
    }))

  it.scopedLive("embeddings are deterministic and unit-length; texts sharing words are closer; dimensions are honoured", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI()
      const embeddings = new OpenAIEmbeddings({ model: "text-embedding-3-small", apiKey: openAIKey, configuration: { baseURL: fake.url } })
      const [cat, catAgain, bank] = yield* call(() =>
        embeddings.embedDocuments(["O gato preto dorme no sofá", "o gato preto come peixe", "taxa de juros do banco central"]))
      const query = yield* call(() => embeddings.embedQuery("O gato preto dorme no sofá"))

      expect(cat).toHaveLength(64)
      expect(Math.hypot(...cat!)).toBeCloseTo(1, 5)
      expect(query).toEqual(cat)
      expect(cosine(cat!, catAgain!)).toBeGreaterThan(cosine(cat!, bank!) + 0.3)
      expect(fake.embeddingRequests[0]!.headers.authorization).toBe(`Bearer ${openAIKey}`)
      expect(fake.requests).toHaveLength(0)

      const small = new OpenAIEmbeddings({ model: "text-embedding-3-small", apiKey: openAIKey, configuration: { baseURL: fake.url }, dimensions: 16 })
      expect(yield* call(() => small.embedQuery("gato"))).toHaveLength(16)
      expect(fake.embeddingRequests[2]!.body.dimensions).toBe(16)
    }))

  it.scopedLive("on the wire: role chunk, word chunks, finish, usage only when asked, then [DONE]", () =>
    Effect.gen(function* () {
      const fake = yield* fakeOpenAI([{ content: "a b" }, { content: "a b" }])
      const post = (body: object) =>
        call(() => fetch(`${fake.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then((r) => r.text()))
      const lines = (sse: string) => sse.split("\n\n").filter((l) => l !== "").map((l) => l.slice("data: ".length))
      const plain = lines(yield* post({ model: "m", stream: true, messages: [] }))
      const withUsage = lines(yield* post({ model: "m", stream: true, stream_options: { include_usage: true }, messages: [] }))

      expect(plain.at(-1)).toBe("[DONE]")
      const chunks = plain.slice(0, -1).map((l) => JSON.parse(l))
      expect(chunks.map((c) => c.choices[0].delta)).toEqual([{ role: "assistant", content: "", refusal: null }, { content: "a " }, { content: "b" }, {}])
      expect(chunks.map((c) => c.choices[0].finish_reason)).toEqual([null, null, null, "stop"])
      expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.usage === undefined)).toBe(true)
      const usage = JSON.parse(withUsage.at(-2)!)
      expect(usage.choices).toEqual([])
      expect(usage.usage.total_tokens).toBe(usage.usage.prompt_tokens + usage.usage.completion_tokens)
    }))

  it.scopedLive("closing the scope ends a hanging request", () =>
    Effect.gen(function* () {
      const pending = yield* Effect.scoped(Effect.gen(function* () {
        const fake = yield* fakeOpenAI([{ hang: true }])
        const pending = fetch(`${fake.url}/chat/completions`, { method: "POST", body: "{}" }).then(() => "answered", () => "cut")
        yield* Effect.promise(async () => {
          const deadline = performance.now() + 5_000
          while (fake.requests.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5))
        })
        return pending
      }))
      expect(yield* Effect.promise(() => pending)).toBe("cut")
    }))
})

describe("fake Anthropic, driven by ChatAnthropic", () => {
  it.scopedLive("streamed text arrives in several chunks; the request holds the system prompt, the messages and the key", () =>
    Effect.gen(function* () {
      const fake = yield* fakeAnthropic([{ content: text }])
      const { chunks, merged } = yield* streamed(() => anthropic(fake, { streaming: true }).stream(ask))

      expect(chunks.filter((c) => c.content !== "").length).toBe(words(text).length)
      expect(merged.content).toBe(text)
      expect(usage(merged)?.output_tokens).toBeGreaterThan(0)
      const [request] = fake.requests
      expect(request!.path).toBe("/v1/messages")
      expect(request!.headers["x-api-key"]).toBe(anthropicKey)
      expect(request!.headers["anthropic-version"]).toBeDefined()
      expect(request!.body).toMatchObject({
        model: "claude-sonnet-4-5",
        stream: true,
        system: "Be brief.",
        messages: [{ role: "user", content: "What is the weather in Recife?" }]
      })
      expect(fake.firstTokenAt).toHaveLength(1)
    }))

  it.scopedLive("a text answer without streaming carries the content and the usage", () =>
    Effect.gen(function* () {
      const fake = yield* fakeAnthropic([{ content: text }])
      const answer = yield* call(() => anthropic(fake).invoke(ask))
      expect(answer.content).toBe(text)
      expect(usage(answer)?.total_tokens).toBeGreaterThan(0)
      expect(answer.response_metadata.stop_reason).toBe("end_turn")
    }))

  for (const streaming of [false, true]) {
    it.scopedLive(`tool calls come back with their name, args and id (streaming: ${streaming}); the tool's answer goes back under that id`, () =>
      Effect.gen(function* () {
        const fake = yield* fakeAnthropic([{ content: "Let me look.", toolCalls: [weatherCall] }, { content: text }])
        const model = anthropic(fake, { streaming }).bindTools([getWeather])
        const answer = yield* call(() => model.invoke(ask))

        expect(answer.tool_calls).toEqual([{ type: "tool_call", name: "get_weather", args: weatherCall.args, id: "toolu_1_1" }])
        expect(fake.requests[0]!.body.tools).toEqual([expect.objectContaining({ name: "get_weather", input_schema: expect.objectContaining({ type: "object" }) })])

        const result = new ToolMessage({ tool_call_id: "toolu_1_1", content: "sunny in Recife" })
        const final = yield* call(() => model.invoke([...ask, answer, result]))
        // With tools bound and streaming, ChatAnthropic keeps the content as blocks: .text is the text either way.
        expect(final.text).toBe(text)
        const sent = fake.requests[1]!.body.messages
        expect(sent[1]).toMatchObject({ role: "assistant", content: expect.arrayContaining([expect.objectContaining({ type: "tool_use", id: "toolu_1_1", name: "get_weather" })]) })
        expect(sent[2]).toMatchObject({ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1_1", content: "sunny in Recife" }] })
      }))
  }

  it.scopedLive("streamed tool input arrives in several input_json_delta pieces", () =>
    Effect.gen(function* () {
      const fake = yield* fakeAnthropic([{ toolCalls: [{ ...weatherCall, id: "toolu_mine" }] }])
      const { chunks, merged } = yield* streamed(() => anthropic(fake, { streaming: true }).bindTools([getWeather]).stream(ask))
      expect(chunks.filter((c) => (c.tool_call_chunks ?? []).some((t) => t.args !== "")).length).toBeGreaterThan(1)
      expect(merged.tool_calls).toEqual([{ type: "tool_call", name: "get_weather", args: weatherCall.args, id: "toolu_mine" }])
    }))

  for (const [status, type] of [[401, "authentication_error"], [429, "rate_limit_error"], [529, "overloaded_error"]] as const) {
    it.scopedLive(`a scripted ${status} surfaces as an error with that status (${type})`, () =>
      Effect.gen(function* () {
        const fake = yield* fakeAnthropic([{ status }])
        const error = yield* Effect.flip(call(() => anthropic(fake, { streaming: true }).invoke(ask)))
        expect(error.status).toBe(status)
        expect(error.message).toContain(type)
        expect(error.message).toContain(`fake model: scripted status ${status}`)
      }))
  }

  it.scopedLive("a hanging answer is cut by the caller's AbortSignal or the client's timeout", () =>
    Effect.gen(function* () {
      const fake = yield* fakeAnthropic([{ hang: true }, { hang: true }, { hang: true }])
      const started = performance.now()
      const error = yield* Effect.flip(call(() => anthropic(fake).invoke(ask, { signal: AbortSignal.timeout(200) })))
      expect(`${error.name}: ${error.message}`).toMatch(/abort/i)
      const streamingError = yield* Effect.flip(call(() => anthropic(fake, { streaming: true }).invoke(ask, { signal: AbortSignal.timeout(200) })))
      expect(`${streamingError.name}: ${streamingError.message}`).toMatch(/abort/i)
      const timeout = new ChatAnthropic({ model: "claude-sonnet-4-5", apiKey: anthropicKey, anthropicApiUrl: fake.url, maxRetries: 0, clientOptions: { timeout: 200 } })
      expect((yield* Effect.flip(call(() => timeout.invoke(ask)))).message).toBe("Request timed out.")
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(fake.requests).toHaveLength(3)
    }))

  it.scopedLive("an AI message in the history is sent back as the assistant's turn", () =>
    Effect.gen(function* () {
      const replies: Array<ScriptedReply> = [{ content: "ok" }]
      const fake = yield* fakeAnthropic(replies)
      yield* call(() => anthropic(fake).invoke([new HumanMessage("oi"), new AIMessage("olá!"), new HumanMessage("tudo bem?")]))
      expect(fake.requests[0]!.body.messages).toEqual([
        { role: "user", content: "oi" },
        { role: "assistant", content: "olá!" },
        { role: "user", content: "tudo bem?" }
      ])
    }))
})
