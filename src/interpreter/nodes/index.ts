import type { Effect } from "effect"
import type { NodeFailed } from "../../domain/errors.ts"
import type { Node } from "../../domain/Node.ts"
import type { AgentModel } from "../../ports/AgentModel.ts"
import type { Callbacks } from "../../ports/Callbacks.ts"
import type { EventBus } from "../../ports/EventBus.ts"
import type { ExecutionRepo } from "../../ports/ExecutionRepo.ts"
import type { HttpFetch } from "../../ports/HttpFetch.ts"
import type { KnowledgeBase } from "../../ports/KnowledgeBase.ts"
import type { Messenger } from "../../ports/Messenger.ts"
import type { Store } from "../../ports/Store.ts"
import type { ThreadRepo } from "../../ports/ThreadRepo.ts"
import type { NodeContext } from "../NodeContext.ts"
import { agent } from "./agent.ts"
import { condition } from "./condition.ts"
import { delay } from "./delay.ts"
import { escalate } from "./escalate.ts"
import { http } from "./http.ts"
import { send } from "./send.ts"
import { store } from "./store.ts"
import { transform } from "./transform.ts"
import { trigger } from "./trigger.ts"

/** Every port a graph may touch. */
export type GraphPorts =
  | ExecutionRepo | EventBus | Messenger | Callbacks | ThreadRepo | Store | HttpFetch | AgentModel | KnowledgeBase

/** Runs one attempt of a node with the handler of its kind. */
export const runHandler = (node: Node, ctx: NodeContext, attempt: number): Effect.Effect<unknown, NodeFailed, GraphPorts> => {
  switch (node.type) {
    case "trigger": return trigger(node, ctx)
    case "condition": return condition(node, ctx)
    case "agent": return agent(node, ctx, attempt)
    case "send": return send(node, ctx)
    case "escalate": return escalate(node, ctx)
    case "delay": return delay(node, ctx)
    case "http": return http(node, ctx)
    case "transform": return transform(node, ctx)
    case "store": return store(node, ctx)
  }
}
