import type { UsageMetadata } from "@langchain/core/messages"
import { Cause, Effect, Exit, Runtime } from "effect"
import { agentTokens, countBy, modelTimeToFirstToken, observe } from "../../domain/metrics.ts"

/** What one model call measured: time to its first token (none if it streamed nothing) and the tokens the provider reported. */
export interface ModelCallMeasures {
  readonly timeToFirstTokenMs: number | undefined
  readonly usage: UsageMetadata | undefined
}

/** `ast_model_time_to_first_token_seconds` and `ast_agent_tokens_total` for one model call. */
export const recordModelCall = (provider: string, measures: ModelCallMeasures) =>
  Effect.all([
    measures.timeToFirstTokenMs === undefined ? Effect.void : observe(modelTimeToFirstToken, { provider }, measures.timeToFirstTokenMs / 1000),
    ...([["input", measures.usage?.input_tokens], ["output", measures.usage?.output_tokens]] as const).map(([kind, tokens]) =>
      tokens === undefined || !(tokens > 0) ? Effect.void : countBy(agentTokens, { provider, kind }, tokens))
  ], { discard: true })

/**
 * Runs a promise-returning step of a LangGraph turn (a model call) as a span under the turn's (the
 * runtime carries it as parent). Its value, or its own error, comes back unchanged, so the turn's
 * failure is described as before.
 */
export const inSpan = <A>(runtime: Runtime.Runtime<never>, name: string, attributes: Record<string, unknown>, signal: AbortSignal, call: () => Promise<A>) =>
  Runtime.runPromiseExit(runtime, Effect.tryPromise({ try: call, catch: (error) => error }).pipe(Effect.withSpan(name, { attributes })), { signal }).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  })
