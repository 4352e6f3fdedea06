import { Clock, Effect } from "effect"
import { Bursts } from "../ports/Bursts.ts"
import { JobQueue } from "../ports/JobQueue.ts"
import { KnowledgeBase } from "../ports/KnowledgeBase.ts"
import { ThreadMemory } from "../ports/ThreadMemory.ts"
import { purgeExecutions } from "./PurgeExecutions.ts"

/** The schedule of the periodic cleanup: one tick per period across every instance (the queue's job schedulers). */
export const maintenanceScheduleId = "maintenance"

/** Every 15 minutes: frequent enough that a thread's ttl is kept within a quarter of an hour, cheap when idle. */
const maintenanceCron = "*/15 * * * *"

/** How long a message id is remembered for duplicate detection (§5: 24 h). */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000

/**
 * Chunks stored without a vector of the embeddings model in use (added before it was configured, or under
 * another model) that one round embeds at most: a large knowledge base catches up over several rounds.
 */
const EMBED_PER_ROUND = 5_000

export interface MaintenanceOptions {
  /** `AST_EXECUTION_RETENTION_DAYS`. */
  readonly executionRetentionDays: number
}

/**
 * One round of cleanup: executions past retention (and soft-deleted ones), the memory of threads idle
 * past their `ttlHours`, message ids older than the duplicate window; and knowledge chunks without a vector
 * of the embeddings model in use get one. Each part fails alone (logged).
 */
export const runMaintenance = (options: MaintenanceOptions) =>
  Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const memory = yield* ThreadMemory
    const bursts = yield* Bursts
    yield* purgeExecutions(options.executionRetentionDays).pipe(Effect.catchAll((e) => Effect.logWarning(`maintenance: executions not purged (${e.message})`)))
    yield* memory.eraseExpired(new Date(now)).pipe(
      Effect.tap((n) => (n > 0 ? Effect.logInfo(`maintenance: erased the memory of ${n} idle thread(s)`) : Effect.void)),
      Effect.catchAll((e) => Effect.logWarning(`maintenance: thread memory not cleaned (${e.message})`))
    )
    yield* bursts.forgetMessageIds(new Date(now - DUPLICATE_WINDOW_MS)).pipe(
      Effect.catchAll((e) => Effect.logWarning(`maintenance: message ids not expired (${e.message})`))
    )
    yield* (yield* KnowledgeBase).embedMissing(EMBED_PER_ROUND).pipe(
      Effect.tap((n) => (n > 0 ? Effect.logInfo(`maintenance: gave vectors to ${n} knowledge chunk(s) stored without them`) : Effect.void)),
      Effect.catchAll((e) => Effect.logWarning(`maintenance: older knowledge chunks not embedded (${e.message}); next round tries again`))
    )
  }).pipe(Effect.withSpan("Maintenance.run"))

/** Registers the periodic cleanup (idempotent: every instance may, the queue keeps one schedule). */
export const scheduleMaintenance = Effect.flatMap(JobQueue, (queue) => queue.setSchedule(maintenanceScheduleId, { cron: maintenanceCron }))
