import type { AgentConfig } from "../../domain/Agent.ts"
import { addressOf, type ModelProviders } from "./chatModel.ts"
import { StructuredOutputInvalid } from "./structured.ts"

const field = (e: unknown, name: string): unknown => (typeof e === "object" && e !== null ? (e as Record<string, unknown>)[name] : undefined)

/** The innermost cause's words (SDKs wrap the network error that says what happened). */
const reason = (e: unknown): string => {
  const cause = field(e, "cause")
  const own = e instanceof Error ? e.message : String(e)
  return cause instanceof Error && cause.message !== "" && !own.includes(cause.message) ? `${own} (${cause.message})` : own
}

/** A failed turn as the step's error: what failed and what to do, never a key (providers' SDKs mask them). */
export const describeFailure = (e: unknown, config: AgentConfig, providers: ModelProviders): { readonly code: string; readonly message: string } => {
  if (e instanceof StructuredOutputInvalid) return { code: "invalid_output", message: e.message }
  const name = e instanceof Error ? e.name : ""
  if (name === "GraphRecursionError") return { code: "too_many_tool_calls", message: `${config.model} kept calling tools without answering` }
  const status = field(e, "status")
  if (typeof status === "number") return { code: "model_error", message: `${config.model} answered HTTP ${status}: ${reason(e)}` }
  if (/timeout|timed out/i.test(name) || /timed? ?out/i.test(reason(e))) {
    return { code: "model_timeout", message: `${config.model} did not answer within ${providers.requestTimeoutMs} ms (${addressOf(config, providers)})` }
  }
  if (/connection|fetch failed|ECONNREFUSED|ENOTFOUND|socket/i.test(`${name} ${reason(e)}`)) {
    return { code: "model_unreachable", message: `cannot reach ${config.model} at ${addressOf(config, providers)}: ${reason(e)}` }
  }
  return { code: "model_error", message: `${config.model} failed: ${reason(e)}` }
}
