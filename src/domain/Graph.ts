import { Schema } from "effect"
import { optional } from "./optional.ts"
import { NodeId } from "./ids.ts"
import { Node } from "./Node.ts"

/** `true`/`false` leave a condition; `error` is followed when its node fails. */
export const EdgeWhen = Schema.Literal("true", "false", "error")
export type EdgeWhen = typeof EdgeWhen.Type

export const Edge = Schema.Struct({
  from: NodeId,
  to: NodeId,
  when: optional(EdgeWhen)
})
export type Edge = typeof Edge.Type

export const Graph = Schema.Struct({
  nodes: Schema.Array(Node),
  edges: Schema.Array(Edge)
})
export type Graph = typeof Graph.Type
