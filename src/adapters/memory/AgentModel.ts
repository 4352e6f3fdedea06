import { Effect, Layer } from "effect"
import type { ToolName } from "../../domain/Agent.ts"
import { AgentFailed } from "../../domain/errors.ts"
import { AgentModel, type AgentReply, type AgentTurn, type ToolCall } from "../../ports/AgentModel.ts"

/** One scripted turn: the tools the "model" calls, then what it answers. */
export interface ScriptedTurn {
  readonly toolCalls?: ReadonlyArray<{ readonly name: ToolName; readonly args: Record<string, unknown> }>
  readonly reply: string
  readonly structured?: unknown
}

/**
 * A model that plays a script (tests, and `ast run --agent-reply`): calls its tools through the
 * interpreter, streams the reply word by word, answers. Turns are taken in order; the last one repeats.
 */
export const makeScriptedAgentModel = (script: ReadonlyArray<ScriptedTurn> | ((turn: AgentTurn) => ScriptedTurn)) => {
  const turns: Array<AgentTurn> = []
  const service: AgentModel["Type"] & { readonly turns: ReadonlyArray<AgentTurn> } = {
    turns,
    run: (turn) =>
      Effect.gen(function* () {
        turns.push(turn)
        const scripted = typeof script === "function" ? script(turn) : script[Math.min(turns.length, script.length) - 1]
        if (scripted === undefined) return yield* new AgentFailed({ code: "model_error", message: "the scripted model has no turn left" })
        const toolCalls: Array<ToolCall> = []
        for (const call of scripted.toolCalls ?? []) {
          if (!turn.config.tools.includes(call.name)) {
            toolCalls.push({ ...call, result: `error: tool '${call.name}' is not enabled for this agent` })
            continue
          }
          toolCalls.push({ ...call, result: yield* turn.callTool(call.name, call.args) })
        }
        for (const token of scripted.reply.split(/(?<= )/)) yield* turn.onToken(token)
        const reply: AgentReply = {
          reply: scripted.reply,
          toolCalls,
          ...(scripted.structured === undefined ? {} : { structured: scripted.structured })
        }
        return reply
      })
  }
  return service
}

/** No provider configured: every agent step fails with a message naming the variables to set. */
export const AgentModelUnconfigured = Layer.succeed(AgentModel, {
  run: (turn) =>
    Effect.fail(
      new AgentFailed({
        code: "model_unavailable",
        message: `no model provider for '${turn.config.model}': set OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server) or ANTHROPIC_API_KEY`
      })
    )
})
