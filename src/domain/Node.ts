import { Schema } from "effect"
import { optional } from "./optional.ts"
import { AccumulatorConfig } from "./Accumulator.ts"
import { AgentConfig } from "./Agent.ts"
import { NodeId } from "./ids.ts"

/** A JsonLogic expression (checked by graph validation, evaluated by the interpreter). */
export const JsonLogic = Schema.Unknown.annotations({ description: "a JsonLogic expression (jsonlogic.com)" })
/** A string with `{{path}}` placeholders over the execution scope. */
export const Template = Schema.String.annotations({ description: "text with {{path}} placeholders" })
/** In `transform` and `store`: a string is a template, anything else JsonLogic. */
export const Assignments = Schema.Record({ key: Schema.String, value: Schema.Unknown })

export const Retry = Schema.Struct({
  maxAttempts: Schema.Int.pipe(Schema.between(1, 20)),
  backoffMs: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 600_000)), { exact: true, default: () => 500 })
})
export type Retry = typeof Retry.Type

export const HttpMethod = Schema.Literal("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")

const common = {
  id: NodeId,
  name: optional(Schema.String),
  timeoutMs: optional(Schema.Int.pipe(Schema.positive())),
  retry: optional(Retry)
}

const node = <T extends string, C extends Schema.Schema.Any>(type: T, config: C) =>
  Schema.Struct({ ...common, type: Schema.Literal(type), config })

export const TriggerNode = Schema.Struct({
  ...common,
  type: Schema.Literal("trigger"),
  config: Schema.optionalWith(Schema.Struct({ accumulator: optional(AccumulatorConfig) }), {
    default: () => ({})
  })
})
export const ConditionNode = node("condition", Schema.Struct({ if: JsonLogic }))
export const AgentNode = node("agent", AgentConfig)
export const SendNode = node(
  "send",
  Schema.Struct({ message: Template, to: optional(Template), instanceId: optional(Template) })
)
export const EscalateNode = node("escalate", Schema.Struct({ reason: Template }))
export const DelayNode = node("delay", Schema.Struct({ seconds: Schema.Number.pipe(Schema.between(0, 86_400)) }))
export const HttpNode = node(
  "http",
  Schema.Struct({
    method: HttpMethod,
    url: Template,
    headers: optional(Schema.Record({ key: Schema.String, value: Template })),
    body: optional(Schema.Unknown),
    timeoutMs: optional(Schema.Int.pipe(Schema.positive()))
  })
)
export const TransformNode = node("transform", Schema.Struct({ set: Assignments }))
export const StoreNode = node(
  "store",
  Schema.Struct({ scope: Schema.Literal("thread", "workflow"), set: Assignments })
)

export const Node = Schema.Union(
  TriggerNode,
  ConditionNode,
  AgentNode,
  SendNode,
  EscalateNode,
  DelayNode,
  HttpNode,
  TransformNode,
  StoreNode
)
export type Node = typeof Node.Type
export type NodeType = Node["type"]
export type NodeOf<T extends NodeType> = Extract<Node, { readonly type: T }>
export const nodeTypes: ReadonlyArray<NodeType> = Node.members.map((m) => m.fields.type.literals[0])
