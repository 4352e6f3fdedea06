import { AIMessage, type AIMessageChunk, type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages"
import type { Runnable } from "@langchain/core/runnables"
import { END, type LangGraphRunnableConfig, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph"
import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint"
import { Clock, Effect, Fiber, Layer, Runtime, Schema } from "effect"
import { type AgentConfig, parseModel, toolNames, type ToolName } from "../../domain/Agent.ts"
import { AgentFailed } from "../../domain/errors.ts"
import { agentTurnDuration, observe, secondsSince } from "../../domain/metrics.ts"
import { MemoryConfig } from "../../domain/Memory.ts"
import { AgentModel, type AgentReply, type AgentTurn, type ToolCall } from "../../ports/AgentModel.ts"
import { Checkpointer, checkpointThreadId } from "./Checkpointer.ts"
import { chatModelFor, type ModelProviders } from "./chatModel.ts"
import { describeFailure } from "./failures.ts"
import { inSpan, recordModelCall } from "./modelTelemetry.ts"
import { pastWindow } from "./window.ts"
import { readStructured, repairPrompt, StructuredOutputInvalid, structuredInstruction } from "./structured.ts"
import { toolSpecs } from "./toolSpecs.ts"

/** Model ↔ tools rounds one turn may take (LangGraph's recursion limit counts both nodes). */
const MAX_STEPS = 25

const defaultMemory = Schema.decodeSync(MemoryConfig)({})

const stamped = <M extends BaseMessage>(message: M): M => {
  message.response_metadata = { ...message.response_metadata, createdAt: new Date().toISOString() }
  return message
}

/** The final message of a streamed answer, as it is kept in memory. */
const settled = (chunk: AIMessageChunk) =>
  stamped(new AIMessage({
    content: chunk.content,
    tool_calls: chunk.tool_calls ?? [],
    ...(chunk.id === undefined ? {} : { id: chunk.id }),
    ...(chunk.usage_metadata === undefined ? {} : { usage_metadata: chunk.usage_metadata }),
    response_metadata: chunk.response_metadata
  }))

const isToolName = (name: string): name is ToolName => (toolNames as ReadonlyArray<string>).includes(name)

/** What one turn's nodes do; the graph is shared by every turn and finds its turn's in `configurable`. */
interface TurnNodes {
  readonly callModel: (state: typeof MessagesAnnotation.State) => Promise<{ messages: Array<BaseMessage> }>
  readonly callTools: (state: typeof MessagesAnnotation.State) => Promise<{ messages: Array<BaseMessage> }>
}

const TURN_KEY = "ast_turn"

const nodesOf = (config: LangGraphRunnableConfig): TurnNodes => config.configurable?.[TURN_KEY] as TurnNodes

/**
 * The agent turn's graph: `model` streams an answer (tokens out as they come); when it calls tools,
 * `tools` runs them and goes back to `model`. Compiled once (with the checkpointer for memory, once
 * without): compiling it, and building the chat model, for every turn cost most of a millisecond before
 * the model was called.
 */
const turnGraph = (checkpointer: BaseCheckpointSaver | undefined) =>
  new StateGraph(MessagesAnnotation)
    .addNode("model", (state, config) => nodesOf(config).callModel(state))
    .addNode("tools", (state, config) => nodesOf(config).callTools(state))
    .addEdge(START, "model")
    .addConditionalEdges("model", (state) => ((state.messages.at(-1) as AIMessage).tool_calls?.length ? "tools" : END), ["tools", END])
    .addEdge("tools", "model")
    .compile(checkpointer === undefined ? {} : { checkpointer })

type TurnGraph = ReturnType<typeof turnGraph>

/**
 * One agent turn on the shared graph. With memory the graph runs on the checkpointer, keyed by
 * organization + thread, and the model sees the last `memory.maxMessages` past messages; with
 * `output`, the final answer is validated (one repair).
 */
const runTurn = (turn: AgentTurn, bound: Runnable<Array<BaseMessage>, AIMessageChunk>, graph: TurnGraph, runtime: Runtime.Runtime<never>) =>
  (signal: AbortSignal) => {
    const run = <A>(effect: Effect.Effect<A>, signal: AbortSignal) => Runtime.runPromise(runtime, effect, { signal })
    /**
     * A token's event, published before the next chunk is read. The bus's publish completes at once (memory:
     * handed to the followers in the call; Redis: queued for its writer), so it runs right here; only a
     * publish that suspends would be waited for.
     */
    const publish = (event: Effect.Effect<void>): Promise<void> | undefined => {
      const fiber = Runtime.runFork(runtime)(event)
      return fiber.unsafePoll() === null ? Runtime.runPromise(runtime, Fiber.join(fiber)) : undefined
    }
    const { config } = turn
    const { provider, name } = parseModel(config.model)
    const memory = config.memory ?? defaultMemory
    const toolCalls: Array<ToolCall> = []
    const system = [turn.systemPrompt, config.output === undefined ? undefined : structuredInstruction(config.output)]
      .filter((part): part is string => part !== undefined && part !== "")
      .join("\n\n")
    const turnId = turn.turnId ?? crypto.randomUUID()
    /** The validated answer of the last model call without tool calls (with `output`): the turn's `structured`. */
    let structured: unknown

    /** One model call, as a span (`AgentModel.model`), timed to its first token, its tokens counted. */
    const stream = (messages: ReadonlyArray<BaseMessage>) =>
      inSpan(runtime, "AgentModel.model", { "ast.model.provider": provider, "ast.model.name": name }, signal, async () => {
        const startedMs = performance.now()
        let timeToFirstTokenMs: number | undefined
        let answer: AIMessageChunk | undefined
        for await (const chunk of await bound.stream([...messages], { signal })) {
          const text = chunk.text
          if (timeToFirstTokenMs === undefined && (text !== "" || (chunk.tool_call_chunks?.length ?? 0) > 0)) timeToFirstTokenMs = performance.now() - startedMs
          if (text !== "") await publish(turn.onToken(text))
          answer = answer === undefined ? chunk : answer.concat(chunk)
        }
        if (answer === undefined) throw new Error("the model answered nothing")
        await run(recordModelCall(provider, { timeToFirstTokenMs, usage: answer.usage_metadata }), signal)
        return settled(answer)
      })

    const nodes: TurnNodes = {
      callModel: async (state) => {
        const start = state.messages.findIndex((m) => m.id === turnId)
        const current = start < 0 ? state.messages : state.messages.slice(start)
        const past = start < 0 ? [] : pastWindow(state.messages.slice(0, start), memory.maxMessages)
        const prompt = [...(system === "" ? [] : [new SystemMessage(system)]), ...past, ...current]
        const answer = await stream(prompt)
        if (config.output === undefined || answer.tool_calls?.length) return { messages: [answer] }
        const first = readStructured(answer.text, config.output)
        if ("value" in first) {
          structured = first.value
          return { messages: [answer] }
        }
        const repaired = await stream([...prompt, answer, new HumanMessage(repairPrompt(first.issues))])
        const second = readStructured(repaired.text, config.output)
        if ("issues" in second) throw new StructuredOutputInvalid(second.issues)
        structured = second.value
        return { messages: [repaired] }
      },
      callTools: async (state) => {
        const last = state.messages.at(-1) as AIMessage
        const results: Array<ToolMessage> = []
        for (const call of last.tool_calls ?? []) {
          const result = isToolName(call.name) && config.tools.includes(call.name)
            ? await run(turn.callTool(call.name, call.args), signal)
            : `error: tool '${call.name}' is not enabled for this agent`
          toolCalls.push({ name: call.name as ToolName, args: call.args, result })
          results.push(stamped(new ToolMessage({ content: result, tool_call_id: call.id ?? "", name: call.name })))
        }
        return { messages: results }
      }
    }

    const threadId = memory.enabled ? checkpointThreadId(turn.thread) : crypto.randomUUID()
    const said = stamped(new HumanMessage({ content: turn.userMessage, id: turnId }))
    return graph.invoke({ messages: [said] }, {
      configurable: { thread_id: threadId, [TURN_KEY]: nodes },
      signal,
      recursionLimit: MAX_STEPS,
      // The turn's memory is saved once, when it ends: nothing is written (or serialized) before the
      // model is called. A turn is never resumed half-way; a failed one is run again from its start.
      durability: "exit"
    }).then((state): AgentReply => {
      const final = state.messages.at(-1) as AIMessage
      const text = final.text
      if (config.output === undefined) return { reply: text, toolCalls }
      const reply = typeof (structured as { reply?: unknown } | undefined)?.reply === "string" ? (structured as { reply: string }).reply : text
      return { reply, structured, toolCalls }
    })
  }

/** Chat models kept for reuse, by what configures them (at most this many; the oldest goes first). */
const MODEL_CACHE_SIZE = 256

/** The agent on LangGraph with OpenAI-compatible and Anthropic models, memory on the `Checkpointer`. */
export const makeAgentModelLangGraph = (providers: ModelProviders) =>
  Effect.gen(function* () {
    const checkpointer = yield* Checkpointer
    const graphs = { withMemory: turnGraph(checkpointer.saver), withoutMemory: turnGraph(undefined) }
    /** A model (with its tools bound) per configuration: its client and its connections are reused. */
    const models = new Map<string, Runnable<Array<BaseMessage>, AIMessageChunk>>()
    const modelFor = (config: AgentConfig) => {
      const key = JSON.stringify([config.model, config.temperature ?? null, config.maxTokens ?? null, config.tools])
      const kept = models.get(key)
      if (kept !== undefined) return Effect.succeed(kept)
      return Effect.map(chatModelFor(config, providers), (model) => {
        const bound = config.tools.length > 0 && model.bindTools !== undefined ? model.bindTools(toolSpecs(config.tools)) : model
        if (models.size >= MODEL_CACHE_SIZE) models.delete(models.keys().next().value as string)
        models.set(key, bound)
        return bound
      })
    }
    const service: AgentModel["Type"] = {
      prefetch: (thread) => checkpointer.prefetch(thread),
      run: Effect.fn("AgentModel.run")(function* (turn) {
        const model = yield* modelFor(turn.config)
        const memory = turn.config.memory ?? defaultMemory
        const graph = memory.enabled ? graphs.withMemory : graphs.withoutMemory
        const { provider, name } = parseModel(turn.config.model)
        yield* Effect.annotateCurrentSpan({ "ast.model.provider": provider, "ast.model.name": name })
        const runtime = yield* Effect.runtime<never>()
        const startedNanos = yield* Clock.currentTimeNanos
        const reply = yield* Effect.tryPromise({
          try: runTurn(turn, model, graph, runtime),
          catch: (e) => new AgentFailed(describeFailure(e, turn.config, providers))
        }).pipe(Effect.onExit(() => Effect.flatMap(secondsSince(startedNanos), (seconds) => observe(agentTurnDuration, { provider }, seconds))))
        if (memory.enabled) {
          const now = yield* Clock.currentTimeMillis
          yield* checkpointer.touch(turn.thread, new Date(now + memory.ttlHours * 3_600_000)).pipe(
            Effect.catchAll((e) => Effect.logWarning(`agent memory: the expiry of a thread was not recorded (${e.message})`))
          )
        }
        return reply
      })
    }
    return service
  })

export const AgentModelLangGraph = (providers: ModelProviders) => Layer.effect(AgentModel, makeAgentModelLangGraph(providers))
