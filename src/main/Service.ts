import { SqlClient } from "@effect/sql"
import { Config, Duration, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { hostname } from "node:os"
import { eventLoopLoad } from "./eventLoopLoad.ts"
import { makeJobQueueMemory } from "../adapters/memory/JobQueue.ts"
import { resyncSchedules, sweepOverdue, workQueue } from "../application/Accumulate.ts"
import { ExecutionSlots } from "../application/ExecutionSlots.ts"
import { makeOutboxCallbacks, sweepCallbacks } from "../application/Callbacks.ts"
import { scheduleMaintenance } from "../application/Maintenance.ts"
import { WebhookSenderFetch } from "../adapters/outbound/WebhookSender.ts"
import { MessengerLivchat } from "../adapters/livchat/Messenger.ts"
import { HttpFetchGuarded } from "../adapters/outbound/HttpFetch.ts"
import { Callbacks } from "../ports/Callbacks.ts"
import type { Bursts } from "../ports/Bursts.ts"
import type { CallbackOutbox } from "../ports/CallbackOutbox.ts"
import { JobQueue } from "../ports/JobQueue.ts"
import { RateLimiter } from "../ports/RateLimiter.ts"
import { RateLimitPerMinute } from "../adapters/http/Authentication.ts"
import { RateLimiterInProcess } from "../adapters/memory/RateLimiter.ts"
import { describeUrl } from "../adapters/describeUrl.ts"
import { redisCall, redisConnection } from "../adapters/redis/connection.ts"
import { makeEventBusRedis } from "../adapters/redis/EventBus.ts"
import { makeJobQueueRedis } from "../adapters/redis/JobQueue.ts"
import { EventBus } from "../ports/EventBus.ts"
import { makeRateLimiterRedis } from "../adapters/redis/RateLimiter.ts"
import type { SecretBox } from "../ports/SecretBox.ts"
import type { Readiness } from "../adapters/http/Readiness.ts"
import type { ApiKeyRepo } from "../ports/ApiKeyRepo.ts"
import type { ExecutionRepo } from "../ports/ExecutionRepo.ts"
import type { Store } from "../ports/Store.ts"
import type { KnowledgeBase } from "../ports/KnowledgeBase.ts"
import type { ThreadRepo } from "../ports/ThreadRepo.ts"
import type { WorkflowRepo } from "../ports/WorkflowRepo.ts"
import { EventBusMemory } from "../adapters/memory/EventBus.ts"
import { AgentModelLangGraph } from "../adapters/langgraph/AgentModel.ts"
import type { ModelProviders } from "../adapters/langgraph/chatModel.ts"
import type { Checkpointer } from "../adapters/langgraph/Checkpointer.ts"
import type { ThreadMemory } from "../ports/ThreadMemory.ts"
import { MessengerLog } from "../adapters/memory/Messenger.ts"
import { makeReadiness } from "../adapters/http/Readiness.ts"
import { HttpServerLive, operationsPaths } from "../adapters/http/Server.ts"
import { BackgroundRuns } from "../application/BackgroundRuns.ts"
import { Persistence } from "./persistence.ts"
import { ModelSettings } from "./modelSettings.ts"
import { PersistenceSettings, type Role, ServerSettings } from "./settings.ts"


/** Readiness: the database answers a trivial query. */
const ReadinessLive = Layer.unwrapEffect(
  Effect.map(SqlClient.SqlClient, (sql) => makeReadiness({ database: Effect.asVoid(sql`SELECT 1`) }))
)

/** Readiness with Redis: the database and Redis both answer. */
const ReadinessWithRedis = (url: Redacted.Redacted<string>) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const redis = yield* redisConnection(url)
      return makeReadiness({ database: Effect.asVoid(sql`SELECT 1`), redis: redisCall("ping", () => redis.ping()).pipe(Effect.asVoid) })
    })
  )

/** Waits for background executions at shutdown, up to the timeout, after the server stops taking requests. */
const DrainOnShutdown = (shutdownTimeoutSeconds: number) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const runs = yield* BackgroundRuns
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(runs.size, (n) =>
          n === 0 ? Effect.void : Effect.logInfo(`shutting down: waiting up to ${shutdownTimeoutSeconds}s for ${n} running execution(s)`).pipe(
            Effect.zipRight(runs.drain(`${shutdownTimeoutSeconds} seconds`))
          ))
      )
    })
  )

export interface ServiceOptions {
  readonly port: number
  readonly host: string
  readonly adminToken: Redacted.Redacted<string> | undefined
  readonly shutdownTimeoutSeconds: number
  /** Bursts this instance runs at once (`AST_WORKER_CONCURRENCY`). */
  readonly workerConcurrency: number
  /** How long a running burst's lease lasts without renewal (a crashed instance's work is taken over after it). */
  readonly leaseMs: number
  /** How often this instance looks for overdue bursts in the database, and how late they must be. */
  readonly sweepIntervalMs: number
  readonly sweepGraceMs: number
  /** `AST_RATE_LIMIT`: requests per minute per API key. */
  readonly rateLimitPerMinute: number
  /** `LIVCHAT_CALLBACK_URL`: where callbacks go when a workflow has no `callbackUrl`. */
  readonly callbackUrl: string | undefined
  /** `AST_WEBHOOK_SECRET`: signs callbacks (unset: unsigned, with a warning logged once). */
  readonly webhookSecret: Redacted.Redacted<string> | undefined
  /** `LIVCHAT_API_URL` / `LIVCHAT_API_KEY`: where sends go (unset: the log messenger). */
  readonly livchatApiUrl?: string | undefined
  readonly livchatApiKey?: Redacted.Redacted<string> | undefined
  /** `AST_HTTP_ALLOW`: private hosts/CIDRs the `http` node may reach. */
  readonly httpAllow?: ReadonlyArray<string>
  /** `AST_EXECUTION_RETENTION_DAYS` (default 30): the periodic cleanup purges older executions. */
  readonly executionRetentionDays?: number
  /** `OPENAI_*` / `ANTHROPIC_*`: the agent's model providers (unset: agent steps fail naming the variables). */
  readonly modelProviders?: ModelProviders
  /** `AST_ROLE`: `api` runs no queued work, `worker` serves only the operations endpoints; `all` (the default) both. */
  readonly role?: Role
  /**
   * Back-pressure also from this process's event loop (ExecutionSlots: triggers wait while it is over
   * 85 % busy or its timers fire more than 20 ms late, eventLoopLoad.ts). `npm start` sets it; a test
   * running the service inside its own busy process does not.
   */
  readonly watchEventLoop?: boolean
}

/** No provider configured: every agent step fails with a message naming the variables to set. */
const noModelProviders: ModelProviders = { openai: {}, anthropic: {}, requestTimeoutMs: 120_000 }

/** What instances share through Redis: the queue of bursts, the rate limits and live events. */
export type Shared = JobQueue | RateLimiter | EventBus

/**
 * Jobs one instance takes at once: more than the executions it runs at once (`AST_WORKER_CONCURRENCY`),
 * so a burst is flushed (closed) when its window ends even while every execution slot is busy; it then
 * waits for a slot, first come, first served.
 */
export const jobsAtOnce = (workerConcurrency: number) => workerConcurrency * 4

/** No `REDIS_URL`: the queue and the rate limits in this process (one instance only). */
export const InProcessShared = (options: Pick<ServiceOptions, "workerConcurrency" | "shutdownTimeoutSeconds">) =>
  Layer.mergeAll(
    Layer.scoped(JobQueue, makeJobQueueMemory({ concurrency: jobsAtOnce(options.workerConcurrency), shutdownTimeout: `${options.shutdownTimeoutSeconds} seconds` })),
    RateLimiterInProcess,
    EventBusMemory
  ).pipe(Layer.tap(() => Effect.logInfo("queue: single instance: in-process queue (set REDIS_URL to share work between instances)")))

/** `REDIS_URL`: BullMQ and the rate limits on Redis, shared by every instance. */
export const RedisShared = (url: Redacted.Redacted<string>, options: Pick<ServiceOptions, "workerConcurrency" | "shutdownTimeoutSeconds" | "leaseMs">, prefix?: string) =>
  Layer.mergeAll(
    Layer.scoped(JobQueue, makeJobQueueRedis({
      url, concurrency: jobsAtOnce(options.workerConcurrency), shutdownTimeout: `${options.shutdownTimeoutSeconds} seconds`, lockDurationMs: options.leaseMs,
      ...(prefix === undefined ? {} : { prefix })
    })),
    Layer.scoped(RateLimiter, makeRateLimiterRedis(url, prefix)),
    Layer.scoped(EventBus, makeEventBusRedis(url, prefix))
  ).pipe(Layer.tap(() => Effect.logInfo(`queue: BullMQ on Redis at ${describeUrl(Redacted.value(url))}, shared by every instance`)))

/** This instance's worker (runs due bursts) and sweeper (reschedules what the queue lost), until shutdown. */
const Workers = (options: ServiceOptions) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      if (options.role === "api") return yield* Effect.logInfo("role: api: takes requests; queued work, sweeps and schedules run on worker instances")
      if (options.role === "worker") yield* Effect.logInfo(`role: worker: runs queued work; serves only ${operationsPaths.join(", ")}`)
      if (options.webhookSecret === undefined) yield* Effect.logWarning("callbacks: AST_WEBHOOK_SECRET is not set; callbacks are sent unsigned")
      yield* workQueue({
        owner: `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`,
        leaseMs: options.leaseMs,
        callbacks: { secret: options.webhookSecret, maxAttempts: 10, timeoutMs: 10_000 },
        maintenance: { executionRetentionDays: options.executionRetentionDays ?? 30 }
      })
      yield* scheduleMaintenance.pipe(Effect.catchAll((e) => Effect.logWarning(`maintenance: not scheduled at startup (${e.message})`)))
      yield* resyncSchedules.pipe(Effect.catchAll((e) => Effect.logWarning(`schedules: not registered at startup (${e.message})`)))
      yield* Effect.forkScoped(
        Effect.zip(sweepOverdue(options.sweepGraceMs), sweepCallbacks(options.sweepGraceMs)).pipe(
          Effect.catchAll((e) => Effect.logWarning(`sweeper: ${e.message}`)),
          Effect.repeat(Schedule.spaced(Duration.millis(options.sweepIntervalMs)))
        )
      )
    })
  )

/** The service on given persistence, queue and readiness checks (tests use in-memory repositories). */
export const makeService = <P extends Repositories, E1, R1, E2, R2, E3, R3>(
  options: ServiceOptions,
  persistence: Layer.Layer<P, E1, R1>,
  readiness: Layer.Layer<Readiness, E2, R2>,
  queue: Layer.Layer<Shared, E3, R3>
) =>
  HttpServerLive({ ...options, ...(options.role === "worker" ? { servedPaths: operationsPaths } : {}) }).pipe(
    Layer.provide(Layer.succeed(RateLimitPerMinute, options.rateLimitPerMinute)),
    Layer.provide(DrainOnShutdown(options.shutdownTimeoutSeconds)),
    Layer.provideMerge(Workers(options)),
    // An api instance runs no bursts: there is nothing whose timing its event loop could spoil.
    Layer.provideMerge(options.watchEventLoop === true && options.role !== "api"
      ? Layer.scoped(ExecutionSlots, Effect.flatMap(eventLoopLoad(), (isOverloaded) => ExecutionSlots.make(options.workerConcurrency, isOverloaded)))
      : ExecutionSlots.layer(options.workerConcurrency)),
    Layer.provideMerge(BackgroundRuns.Default),
    Layer.provideMerge(readiness),
    Layer.provideMerge(Layer.effect(Callbacks, makeOutboxCallbacks(options.callbackUrl))),
    Layer.provideMerge(queue),
    Layer.provideMerge(WebhookSenderFetch),
    Layer.provideMerge(AgentModelLangGraph(options.modelProviders ?? noModelProviders)),
    Layer.provideMerge(HttpFetchGuarded(options.httpAllow ?? [])),
    Layer.provideMerge(
      options.livchatApiUrl === undefined
        ? MessengerLog.pipe(Layer.tap(() => Effect.logInfo("messenger: no LIVCHAT_API_URL; sends are written to the log, nothing leaves the process")))
        : MessengerLivchat({ baseUrl: options.livchatApiUrl, defaultApiKey: options.livchatApiKey })
    ),
    Layer.provideMerge(persistence)
  )

/**
 * The whole service as configured: persistence, adapters, use-case services and the HTTP server.
 * `Persistence` appears twice but is built once: a layer is shared by reference within one build.
 */
export const ServiceLive = Layer.unwrapEffect(
  Effect.map(Config.all([ServerSettings, ModelSettings, PersistenceSettings]), ([settings, modelProviders, persistence]) => {
    const options = {
      ...settings,
      modelProviders,
      executionRetentionDays: persistence.executionRetentionDays,
      adminToken: Option.getOrUndefined(settings.adminToken),
      callbackUrl: Option.getOrUndefined(settings.callbackUrl),
      livchatApiUrl: Option.getOrUndefined(settings.livchatApiUrl),
      livchatApiKey: Option.getOrUndefined(settings.livchatApiKey),
      webhookSecret: Option.getOrUndefined(settings.webhookSecret),
      watchEventLoop: true
    }
    const readiness = Option.match(settings.redisUrl, {
      onNone: () => ReadinessLive.pipe(Layer.provide(Persistence)),
      onSome: (url) => ReadinessWithRedis(url).pipe(Layer.provide(Persistence))
    })
    const shared = Option.match(settings.redisUrl, { onNone: () => InProcessShared(options), onSome: (url) => RedisShared(url, options, settings.redisPrefix) })
    return makeService(options, Persistence, readiness, shared)
  })
)

/** Every repository the service needs. */
export type Repositories = WorkflowRepo | ExecutionRepo | ApiKeyRepo | ThreadRepo | Store | Bursts | SecretBox | CallbackOutbox | ThreadMemory | Checkpointer | KnowledgeBase
