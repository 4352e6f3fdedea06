import { ChatAnthropic } from "@langchain/anthropic"
import type { BaseChatModel } from "@langchain/core/language_models/chat_models"
import { ChatOpenAI } from "@langchain/openai"
import { Effect, Redacted } from "effect"
import { parseModel, type AgentConfig } from "../../domain/Agent.ts"
import { AgentFailed } from "../../domain/errors.ts"

/** A provider's credentials and address (`OPENAI_API_KEY` / `OPENAI_BASE_URL`, `ANTHROPIC_*`). */
export interface ProviderAccess {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly baseUrl?: string | undefined
}

export interface ModelProviders {
  readonly openai: ProviderAccess
  readonly anthropic: ProviderAccess
  /** The longest one model request may take when the node sets no `timeoutMs` (so a call never hangs). */
  readonly requestTimeoutMs: number
}

/** The key to send: the configured one, or none at all for a keyless OpenAI-compatible server given by URL. */
const keyFor = (access: ProviderAccess) =>
  access.apiKey !== undefined ? Redacted.value(access.apiKey) : access.baseUrl !== undefined ? "unused" : undefined

/**
 * The chat model an agent names (`provider:name`). Retries are the node's (`retry`, one step per
 * attempt), so the client makes none; a missing key fails the step naming the variables to set.
 */
export const chatModelFor = (config: AgentConfig, providers: ModelProviders): Effect.Effect<BaseChatModel, AgentFailed> => {
  const { provider, name } = parseModel(config.model)
  const common = {
    model: name,
    maxRetries: 0,
    streaming: true,
    ...(config.temperature === undefined ? {} : { temperature: config.temperature })
  }
  switch (provider) {
    case "openai": {
      const apiKey = keyFor(providers.openai)
      if (apiKey === undefined) {
        return new AgentFailed({
          code: "model_unconfigured",
          message: `${config.model} needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama, vLLM or LiteLLM)`
        })
      }
      return Effect.succeed(new ChatOpenAI({
        ...common,
        apiKey,
        timeout: providers.requestTimeoutMs,
        streamUsage: true,
        ...(config.maxTokens === undefined ? {} : { maxTokens: config.maxTokens }),
        ...(providers.openai.baseUrl === undefined ? {} : { configuration: { baseURL: providers.openai.baseUrl } })
      }))
    }
    case "anthropic": {
      const apiKey = keyFor(providers.anthropic)
      if (apiKey === undefined) {
        return new AgentFailed({ code: "model_unconfigured", message: `${config.model} needs ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for a proxy)` })
      }
      return Effect.succeed(new ChatAnthropic({
        ...common,
        apiKey,
        // Anthropic requires a limit on every request.
        maxTokens: config.maxTokens ?? 4096,
        clientOptions: { timeout: providers.requestTimeoutMs },
        ...(providers.anthropic.baseUrl === undefined ? {} : { anthropicApiUrl: providers.anthropic.baseUrl })
      }))
    }
    default:
      return new AgentFailed({ code: "model_unconfigured", message: `unknown model provider '${provider}' in '${config.model}' (known: openai, anthropic)` })
  }
}

/** Where a provider's requests go, for error messages (never the key). */
export const addressOf = (config: AgentConfig, providers: ModelProviders): string => {
  const { provider } = parseModel(config.model)
  const access = provider === "anthropic" ? providers.anthropic : providers.openai
  return access.baseUrl ?? (provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1")
}
