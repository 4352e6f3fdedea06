import { Effect, Layer } from "effect"
import { AgentModel } from "../../ports/AgentModel.ts"
import { Callbacks } from "../../ports/Callbacks.ts"
import { EventBus } from "../../ports/EventBus.ts"
import { ExecutionRepo } from "../../ports/ExecutionRepo.ts"
import { HttpFetch } from "../../ports/HttpFetch.ts"
import { KnowledgeBase } from "../../ports/KnowledgeBase.ts"
import { Messenger, type SendRequest } from "../../ports/Messenger.ts"
import { Store } from "../../ports/Store.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"
import { AgentModelUnconfigured, makeScriptedAgentModel, type ScriptedTurn } from "./AgentModel.ts"
import { makeCallbacksMemory } from "./Callbacks.ts"
import { makeEventBusMemory } from "./EventBus.ts"
import { makeExecutionRepoMemory } from "./ExecutionRepo.ts"
import { HttpFetchDisabled, makeScriptedHttpFetch } from "./HttpFetch.ts"
import { makeKnowledgeBaseMemory } from "./KnowledgeBase.ts"
import { makeLogMessenger } from "./Messenger.ts"
import { makeStoreMemory } from "./Store.ts"
import { makeThreadRepoMemory } from "./ThreadRepo.ts"
import type { HttpRequest } from "../../ports/HttpFetch.ts"

export interface WorldOptions {
  /** A scripted model; without it agent steps fail as with no provider configured. */
  readonly agent?: ReadonlyArray<ScriptedTurn> | Parameters<typeof makeScriptedAgentModel>[0]
  /** Answers for `http` nodes; without it outbound HTTP is refused. */
  readonly http?: (request: HttpRequest) => { status: number; body: unknown } | string
  /** Refuses chosen sends with the returned message. */
  readonly failSend?: (request: SendRequest) => string | undefined
}

/**
 * Every port a graph touches, in process memory, with handles to look inside: the embedded mode of
 * `ast run` and the tests' world.
 */
export const makeMemoryWorld = (options: WorldOptions = {}) =>
  Effect.gen(function* () {
    const threads = makeThreadRepoMemory()
    const executions = makeExecutionRepoMemory(threads)
    const messenger = makeLogMessenger(options.failSend)
    const callbacks = makeCallbacksMemory()
    const store = makeStoreMemory()
    const knowledge = makeKnowledgeBaseMemory()
    const bus = yield* makeEventBusMemory()
    const agent = options.agent === undefined ? undefined : makeScriptedAgentModel(options.agent)
    const http = options.http === undefined ? undefined : makeScriptedHttpFetch(options.http)
    const layer = Layer.mergeAll(
      Layer.succeed(ExecutionRepo, executions),
      Layer.succeed(Messenger, messenger),
      Layer.succeed(Callbacks, callbacks),
      Layer.succeed(ThreadRepo, threads),
      Layer.succeed(Store, store),
      Layer.succeed(KnowledgeBase, knowledge),
      Layer.succeed(EventBus, bus),
      agent === undefined ? AgentModelUnconfigured : Layer.succeed(AgentModel, agent),
      http === undefined ? HttpFetchDisabled : Layer.succeed(HttpFetch, http)
    )
    return { layer, executions, messenger, callbacks, threads, store, knowledge, bus, agent, http }
  })
