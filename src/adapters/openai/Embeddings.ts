import { OpenAIEmbeddings } from "@langchain/openai"
import { Duration, Effect, Layer, Redacted } from "effect"
import { parseModel } from "../../domain/Agent.ts"
import { Unavailable } from "../../domain/errors.ts"
import { Embeddings } from "../../ports/Embeddings.ts"

export interface EmbeddingsAccess {
  /** `openai:<name>` (a bare name means `openai:`). */
  readonly model: string
  /** `OPENAI_API_KEY`; may be left out for a keyless OpenAI-compatible server given by `baseUrl`. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** `OPENAI_BASE_URL`: any OpenAI-compatible server (Ollama, vLLM, LiteLLM, ...). */
  readonly baseUrl?: string | undefined
  /** The longest one call may take, retries included (so a search or an upload never hangs). */
  readonly timeout?: Duration.DurationInput
}

/** Embeddings from an OpenAI-compatible `/v1/embeddings` (@langchain/openai), batched, retried a little. */
export const makeEmbeddingsOpenAI = (access: EmbeddingsAccess): Embeddings["Type"] => {
  const { name } = parseModel(access.model)
  const model = `openai:${name}`
  const timeout = Duration.decode(access.timeout ?? "60 seconds")
  const client = new OpenAIEmbeddings({
    model: name,
    apiKey: access.apiKey === undefined ? "unused" : Redacted.value(access.apiKey),
    // Floats, not the SDK's default base64, which not every OpenAI-compatible server speaks.
    encodingFormat: "float",
    // Chunks keep their line breaks: current models read them, and the title stays apart from the text.
    stripNewLines: false,
    batchSize: 256,
    // One retry: a search waits for the model before falling back to full-text, so a down model must fail fast.
    maxRetries: 1,
    timeout: Duration.toMillis(timeout),
    ...(access.baseUrl === undefined ? {} : { configuration: { baseURL: access.baseUrl } })
  })
  const unavailable = (message: string) => new Unavailable({ dependency: "the embeddings model", message: `${model}: ${message}` })
  return {
    model,
    embed: (texts) =>
      texts.length === 0
        ? Effect.succeed([])
        : Effect.tryPromise({
          try: () => client.embedDocuments([...texts]),
          catch: (e) => unavailable(e instanceof Error ? e.message : String(e))
        }).pipe(
          Effect.filterOrFail((vectors) => vectors.length === texts.length, () => unavailable(`answered ${texts.length} texts with a different number of vectors`)),
          Effect.timeoutFail({ duration: timeout, onTimeout: () => unavailable(`no answer within ${Duration.format(timeout)}`) }),
          Effect.withSpan("Embeddings.embed", { attributes: { model, texts: texts.length } })
        )
  }
}

export const EmbeddingsOpenAI = (access: EmbeddingsAccess) => Layer.sync(Embeddings, () => makeEmbeddingsOpenAI(access))
