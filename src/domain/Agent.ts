import { Schema } from "effect"
import { optional } from "./optional.ts"
import { MemoryConfig } from "./Memory.ts"

/** The tools an agent may call (§6.1). */
const tools = ["send_whatsapp", "search_docs", "check_instance_status", "human_escalation"] as const
export type ToolName = (typeof tools)[number]
export const toolNames: ReadonlyArray<ToolName> = tools
export const ToolName = Schema.String.pipe(
  Schema.filter((name): name is ToolName => (tools as ReadonlyArray<string>).includes(name), {
    message: (issue) => `unknown tool ${JSON.stringify(issue.actual)} (known: ${tools.join(", ")})`,
    jsonSchema: { enum: tools }
  })
)

export const providers = ["openai", "anthropic"] as const
export type Provider = (typeof providers)[number]

/** `provider:name`; a bare name means `openai:`. */
export const parseModel = (model: string): { readonly provider: string; readonly name: string } => {
  const at = model.indexOf(":")
  return at < 0 ? { provider: "openai", name: model } : { provider: model.slice(0, at), name: model.slice(at + 1) }
}

export const ModelName = Schema.NonEmptyTrimmedString.pipe(
  Schema.filter((model) => {
    const { provider, name } = parseModel(model)
    if (!(providers as ReadonlyArray<string>).includes(provider)) {
      return `unknown model provider '${provider}' (known: ${providers.join(", ")})`
    }
    return name.length > 0 || "a model is written provider:name, e.g. openai:gpt-4o"
  })
)

/** A JSON Schema object describing the agent's structured answer. */
export const OutputSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  description: "a JSON Schema of the structured answer, e.g. {type: 'object', properties: {reply: ..., confidence: ...}}"
})

/** An agent: the seed's shorthand `agent` and the `agent` node's config. */
export const AgentConfig = Schema.Struct({
  model: ModelName,
  temperature: optional(Schema.Number.pipe(Schema.between(0, 2))),
  systemPrompt: optional(Schema.String),
  maxTokens: optional(Schema.Int.pipe(Schema.positive())),
  tools: Schema.optionalWith(Schema.Array(ToolName), { exact: true, default: () => [] }),
  memory: optional(MemoryConfig),
  output: optional(OutputSchema)
})
export type AgentConfig = typeof AgentConfig.Type
