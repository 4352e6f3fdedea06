import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option } from "effect"
import { CallbacksMemory } from "../adapters/memory/Callbacks.ts"
import { EventBusMemory } from "../adapters/memory/EventBus.ts"
import { AgentModelUnconfigured } from "../adapters/memory/AgentModel.ts"
import { HttpFetchDisabled } from "../adapters/memory/HttpFetch.ts"
import { KnowledgeBaseMemory } from "../adapters/memory/KnowledgeBase.ts"
import { MessengerLog } from "../adapters/memory/Messenger.ts"
import { ThreadMemoryMemory } from "../adapters/memory/ThreadMemory.ts"
import { makeReadiness } from "../adapters/http/Readiness.ts"
import { HttpServerLive } from "../adapters/http/Server.ts"
import { BackgroundRuns } from "../application/BackgroundRuns.ts"
import { Persistence } from "./persistence.ts"
import { ServerSettings } from "./settings.ts"

/**
 * The in-process adapters that later issues replace: the EventBus (Redis), the log messenger and
 * in-memory callbacks (LivChat), no outbound HTTP (the SSRF-guarded client), no model (LangGraph).
 */
const InProcess = Layer.mergeAll(EventBusMemory, MessengerLog, CallbacksMemory, HttpFetchDisabled, AgentModelUnconfigured, KnowledgeBaseMemory, ThreadMemoryMemory)

/** Readiness: the database answers a trivial query. */
const ReadinessLive = Layer.unwrapEffect(
  Effect.map(SqlClient.SqlClient, (sql) => makeReadiness({ database: Effect.asVoid(sql`SELECT 1`) }))
)

/** Waits for background executions at shutdown, up to AST_SHUTDOWN_TIMEOUT_SECONDS, after the server stops taking requests. */
const DrainOnShutdown = Layer.scopedDiscard(
  Effect.gen(function* () {
    const { shutdownTimeoutSeconds } = yield* ServerSettings
    const runs = yield* BackgroundRuns
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(runs.size, (n) =>
        n === 0 ? Effect.void : Effect.logInfo(`shutting down: waiting up to ${shutdownTimeoutSeconds}s for ${n} running execution(s)`).pipe(
          Effect.zipRight(runs.drain(`${shutdownTimeoutSeconds} seconds`))
        ))
    )
  })
)

/** The whole service as configured: persistence, adapters, use-case services and the HTTP server. */
export const ServiceLive = Layer.unwrapEffect(
  Effect.map(ServerSettings, (settings) =>
    HttpServerLive({ port: settings.port, host: settings.host, adminToken: Option.getOrUndefined(settings.adminToken) }).pipe(
      Layer.provide(DrainOnShutdown),
      Layer.provideMerge(BackgroundRuns.Default),
      Layer.provideMerge(ReadinessLive),
      Layer.provideMerge(InProcess),
      Layer.provideMerge(Persistence)
    )
  )
)
