import { Config, Effect, Either, Layer, Option } from "effect"
import { parseModel } from "../domain/Agent.ts"
import { EmbeddingsOpenAI } from "../adapters/openai/Embeddings.ts"
import { ModelSettings } from "./modelSettings.ts"
import { refuse, refuseVariable } from "./settingRules.ts"

const isSet = (name: string) => Config.option(Config.string(name)).pipe(Config.map((value) => Option.isSome(value) && value.value.trim() !== ""))

/**
 * `AST_EMBEDDINGS_MODEL` (CONTRACT §1): `openai:<model>` (a bare name means `openai:`), reached through
 * `OPENAI_API_KEY` and/or `OPENAI_BASE_URL` (any OpenAI-compatible server). Unset or empty: knowledge
 * search is full-text only. Only whether the OpenAI variables are set is read here; their form is
 * ModelSettings' to check, so a bad one is reported once.
 */
export const EmbeddingsSettings = Config.all({
  model: Config.option(
    Config.string().pipe(
      Config.mapOrFail((text) => {
        if (text.trim() === "") return Either.right(Option.none<string>())
        const { provider, name } = parseModel(text.trim())
        return provider === "openai" && name !== ""
          ? Either.right(Option.some(`openai:${name}`))
          : refuse<Option.Option<string>>(`must be openai:<model>, e.g. openai:text-embedding-3-small (any OpenAI-compatible server through OPENAI_BASE_URL) (got ${JSON.stringify(text)})`)
      }),
      Config.nested("AST_EMBEDDINGS_MODEL")
    )
  ).pipe(Config.map(Option.flatten)),
  hasOpenAIKey: isSet("OPENAI_API_KEY"),
  hasOpenAIUrl: isSet("OPENAI_BASE_URL")
}).pipe(
  Config.mapOrFail(({ model, hasOpenAIKey, hasOpenAIUrl }) =>
    Option.isSome(model) && !hasOpenAIKey && !hasOpenAIUrl
      ? refuseVariable<Option.Option<string>>("AST_EMBEDDINGS_MODEL", "needs OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server such as Ollama, vLLM or LiteLLM)")
      : Either.right(model))
)

/** The embeddings model as configured, for the knowledge base; nothing without `AST_EMBEDDINGS_MODEL`. */
export const EmbeddingsFromSettings = Layer.unwrapEffect(
  Effect.map(Config.all([EmbeddingsSettings, ModelSettings]), ([model, providers]) =>
    Option.match(model, {
      onNone: () => Layer.empty,
      onSome: (name) => EmbeddingsOpenAI({ model: name, ...providers.openai })
    }))
)
