import type { Effect } from "effect"
import type { NodeFailed } from "../domain/errors.ts"
import type { NodeOf, NodeType } from "../domain/Node.ts"
import type { PublicContext, RunInput } from "../domain/RunRequest.ts"
import type { Journal } from "./journal.ts"
import type { Scope } from "./Scope.ts"

/** What one execution runs on: ids, the burst's input, and the secrets kept out of the scope. */
export interface RunSpec {
  readonly executionId: string
  readonly organizationId: string
  readonly workflowId: string
  readonly threadId: string
  readonly callbackUrl?: string
  readonly input: RunInput
  readonly context: PublicContext
  /** Used by sends only; never enters the scope, a step, a log line or an event. */
  readonly secrets: { readonly livchatApiKey?: string }
  readonly thread: Record<string, unknown>
  readonly store: Scope["store"]
}

/** What a node handler gets besides its config. */
export interface NodeContext {
  readonly spec: RunSpec
  /** The predecessor's output (a merge: `{<fromNodeId>: output}`; after an error edge: `{error}`). */
  readonly input: unknown
  readonly scope: Scope
  /** Stable id of this attempt's step: `<nodeId>:<attempt>`. */
  readonly stepId: string
  /** The execution's step journal (the agent's tool calls are steps of their own). */
  readonly journal: Journal
}

/** One handler per node kind: config + scope in, output out, effects only through ports. */
export type NodeHandler<T extends NodeType, R> = (node: NodeOf<T>, ctx: NodeContext) => Effect.Effect<unknown, NodeFailed, R>
