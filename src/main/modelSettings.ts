import { Config, Option } from "effect"
import type { ModelProviders } from "../adapters/langgraph/chatModel.ts"
import { url, wholeNumber } from "./settingRules.ts"

/**
 * The agent's model providers (CONTRACT §1): `OPENAI_API_KEY` / `OPENAI_BASE_URL` (any OpenAI-compatible
 * server: Ollama, vLLM, LiteLLM...; with only the URL, no key is sent) and `ANTHROPIC_API_KEY` /
 * `ANTHROPIC_BASE_URL`. None is required: an agent step on a provider that is not configured fails naming
 * the variables. `AST_MODEL_TIMEOUT_SECONDS` bounds one model request when a node sets no `timeoutMs`.
 */
export const ModelSettings = Config.all({
  openaiApiKey: Config.option(Config.redacted("OPENAI_API_KEY")),
  openaiBaseUrl: url("OPENAI_BASE_URL", ["http:", "https:"]),
  anthropicApiKey: Config.option(Config.redacted("ANTHROPIC_API_KEY")),
  anthropicBaseUrl: url("ANTHROPIC_BASE_URL", ["http:", "https:"]),
  requestTimeoutSeconds: wholeNumber("AST_MODEL_TIMEOUT_SECONDS", { fallback: 120, min: 1, mustBe: "a whole number of seconds, at least 1" })
}).pipe(
  Config.map((s): ModelProviders => ({
    openai: { apiKey: Option.getOrUndefined(s.openaiApiKey), baseUrl: Option.getOrUndefined(s.openaiBaseUrl) },
    anthropic: { apiKey: Option.getOrUndefined(s.anthropicApiKey), baseUrl: Option.getOrUndefined(s.anthropicBaseUrl) },
    requestTimeoutMs: s.requestTimeoutSeconds * 1000
  }))
)
