import { Clock, Duration, Effect, Fiber, Metric, Option, Schedule } from "effect"
import { burstFlushLateness, burstsFlushed, countOne, triggers } from "../domain/metrics.ts"
import type { RunRequest } from "../domain/RunRequest.ts"
import { publicContext } from "../domain/RunRequest.ts"
import { effectiveAccumulator, type Workflow } from "../domain/Workflow.ts"
import { Bursts, type ClosedBurst } from "../ports/Bursts.ts"
import { ExecutionRepo } from "../ports/ExecutionRepo.ts"
import { JobQueue, type JobOutcome } from "../ports/JobQueue.ts"
import { SecretBox } from "../ports/SecretBox.ts"
import { WorkflowRepo } from "../ports/WorkflowRepo.ts"
import { callbackJobPrefix, deliverCallback, type DeliveryOptions } from "./Callbacks.ts"
import { executeWorkflow } from "./ExecuteWorkflow.ts"
import { ExecutionSlots } from "./ExecutionSlots.ts"
import { maintenanceScheduleId, runMaintenance, type MaintenanceOptions } from "./Maintenance.ts"
import { getWorkflow, runnable } from "./Workflows.ts"

export type Triggered = { readonly status: "triggered" | "duplicate"; readonly executionId: string }

/**
 * `/trigger` (§5, §5.1): records the message in its thread's burst (durably, before answering) and makes
 * sure the burst's flush is scheduled. Every trigger of one burst answers the same execution id; a
 * message id seen within 24 h answers `duplicate`. While this instance is behind on the bursts it runs,
 * a checked trigger first waits to be accepted (`ExecutionSlots.admit`, at most 2 s).
 */
export const acceptTrigger = Effect.fn("Accumulate.accept")(function* (organizationId: string, workflowId: string, request: RunRequest) {
  const workflow = yield* Effect.flatMap(getWorkflow(organizationId, workflowId), (w) => runnable(w, "trigger"))
  // Behind on the bursts already due here? Then this one waits its turn to be accepted (back-pressure).
  const slots = yield* Effect.serviceOption(ExecutionSlots)
  if (Option.isSome(slots)) yield* slots.value.admit
  const secret = request.context.livchatApiKey
  const sealedSecret = secret === undefined ? null : yield* (yield* SecretBox).seal(secret)
  const now = new Date(yield* Clock.currentTimeMillis)
  const result = yield* (yield* Bursts).append(
    { organizationId, workflowId, threadId: request.threadId },
    {
      messages: request.input.messages, sender: request.input.sender, context: publicContext(request.context), sealedSecret,
      workflowVersion: workflow.version, ...(request.input.aggregatedInput === undefined ? {} : { aggregatedInput: request.input.aggregatedInput })
    },
    effectiveAccumulator(workflow),
    now
  )
  yield* countOne(triggers, { outcome: result._tag === "Duplicate" ? "duplicate" : "accepted" })
  if (result._tag === "Duplicate") return { status: "duplicate", executionId: result.executionId } satisfies Triggered
  // Timed by this instance (it flushes the burst itself when due, if it runs bursts). A later message
  // only moves the window's end later (or to now, when full), so the queue's job is then left as it is.
  // The burst is recorded: if the queue is down now, the sweeper schedules it from the database later.
  const timing = result.isNew ? "new" : result.flushAt.getTime() > now.getTime() ? "later" : "any"
  yield* (yield* JobQueue).scheduleHere(result.executionId, result.flushAt, timing).pipe(
    Effect.catchAll((e) => Effect.logWarning(`burst ${result.executionId} recorded but not scheduled (${e.message}); the sweeper will pick it up`))
  )
  return { status: "triggered", executionId: result.executionId } satisfies Triggered
})

export interface WorkerOptions {
  /** Who holds a lease: this instance's id (each run of a burst adds a number of its own, so no two runs share a lease). */
  readonly owner: string
  /** How long a lease lasts without renewal; a crashed holder's bursts are taken over after it. */
  readonly leaseMs: number
  /** How callbacks are signed and retried. */
  readonly callbacks: DeliveryOptions
  /** What the periodic cleanup keeps. */
  readonly maintenance: MaintenanceOptions
}

/**
 * The step that opens a flushed burst's execution: what was gathered, how late the flush (the burst's
 * closing) was after its window's end, and how long the flushed burst then waited to run (`queuedMs`:
 * for its thread's previous execution, or for an execution slot).
 */
const accumulatorStep = (burst: ClosedBurst, aggregatedInput: string, runAt: number) => ({
  id: "accumulator:1",
  nodeId: "accumulator",
  stepName: "accumulator",
  attempt: 1,
  status: "completed" as const,
  input: { messageCount: burst.messages.length, firstAt: burst.firstAt.toISOString(), windowEnd: burst.windowEnd.toISOString() },
  output: {
    messages: burst.messages,
    aggregatedInput,
    latenessMs: Math.max(0, burst.closedAt.getTime() - burst.windowEnd.getTime()),
    queuedMs: Math.max(0, runAt - burst.closedAt.getTime())
  },
  error: null,
  durationMs: burst.closedAt.getTime() - burst.firstAt.getTime(),
  startedAt: burst.firstAt.toISOString(),
  finishedAt: burst.closedAt.toISOString()
})

/** Runs of `processBurst` in this process so far (each run's lease owner is unique). */
let burstRuns = 0

/**
 * One job of the queue: closes the burst when its window has ended (the flush: a later message starts
 * the thread's next burst), claims it (one holder per thread, in order), runs its execution once an
 * execution slot is free, renewing the lease meanwhile, and releases it. Anything not yet possible comes
 * back later; a dependency that is down hands the burst back.
 */
export const processBurst = (options: WorkerOptions) => (executionId: string, isHere = false) =>
  Effect.gen(function* () {
    const bursts = yield* Bursts
    const now = yield* Clock.currentTimeMillis
    // A lease owner of its own for every run: one burst may be taken at once by the queue's job and by
    // this instance's own timer, or by a job the queue hands out again while its first run goes on (a
    // stalled lock); only one of them claims it (an owner may claim its own running burst again).
    const owner = `${options.owner}:${isHere ? "here" : "queue"}:${++burstRuns}`
    const retryIn = (ms: number): JobOutcome => ({ _tag: "RetryAt", at: new Date(now + ms) })
    const claim = yield* bursts.take(executionId, owner, options.leaseMs, new Date(now))
    if (claim._tag === "NotDue") return { _tag: "RetryAt", at: claim.flushAt, isNotDueYet: true } satisfies JobOutcome
    if (claim._tag === "Done") return { _tag: "Done" } satisfies JobOutcome
    // The thread is busy: the burst that holds it starts this one when it ends (below); the retry is a safety net.
    if (claim._tag === "Busy") return retryIn(2000)
    const burst = claim.burst
    const renewing = yield* Effect.fork(
      bursts.renew(executionId, owner, options.leaseMs).pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(Duration.millis(options.leaseMs / 3))),
        Effect.delay(Duration.millis(options.leaseMs / 3))
      )
    )
    const slots = yield* Effect.serviceOption(ExecutionSlots)
    const execution = runClaimed(burst)
    const ran = yield* (Option.isSome(slots) ? slots.value.run(execution) : execution).pipe(
      Effect.either,
      Effect.ensuring(Fiber.interrupt(renewing)),
      // Stopped (shutdown): hand the burst back at once rather than waiting for the lease to expire.
      Effect.onInterrupt(() => Effect.ignore(bursts.release(executionId, owner, false)))
    )
    const next = yield* bursts.finish(executionId, owner, ran._tag === "Right")
    if (ran._tag === "Left") return retryIn(1000)
    if (next !== undefined) yield* (yield* JobQueue).scheduleHere(next, new Date(yield* Clock.currentTimeMillis), "any").pipe(Effect.ignore)
    return { _tag: "Done" } satisfies JobOutcome
  }).pipe(
    Effect.catchAll((e) =>
      Effect.logWarning(`burst ${executionId} not processed: ${e.message}`).pipe(
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.map((now): JobOutcome => ({ _tag: "RetryAt", at: new Date(now + 1000) }))
      )),
    Effect.annotateLogs({ executionId })
  )

const runClaimed = (burst: ClosedBurst) =>
  Effect.gen(function* () {
    const runAt = yield* Clock.currentTimeMillis
    const { organizationId, workflowId, threadId } = burst.key
    const executions = yield* ExecutionRepo
    const ref = { organizationId, executionId: burst.executionId }
    const found = yield* (yield* WorkflowRepo).get(organizationId, workflowId)
    if (Option.isNone(found)) {
      yield* executions.setStatus(ref, "error", { error: { code: "workflow_deleted", message: `workflow ${workflowId} was deleted before its burst ran` } })
      return
    }
    const aggregatedInput = burst.aggregatedInput ?? burst.messages.map((m) => m.content).join(burst.separator)
    const step = accumulatorStep(burst, aggregatedInput, runAt)
    yield* Metric.increment(burstsFlushed)
    yield* Metric.update(burstFlushLateness, step.output.latenessMs / 1000)
    const secret = burst.sealedSecret === null ? undefined : yield* (yield* SecretBox).open(burst.sealedSecret).pipe(Effect.option, Effect.map(Option.getOrUndefined))
    const request: RunRequest = {
      threadId,
      input: { messages: burst.messages, aggregatedInput, ...(burst.sender === undefined ? {} : { sender: burst.sender }) },
      context: { ...burst.context, ...(secret === undefined ? {} : { livchatApiKey: secret }) }
    }
    yield* executeWorkflow(found.value, request, { executionId: burst.executionId, recorded: "pending", precedingSteps: [step] })
  })

/** Runs this instance's share of the queue (bursts and schedule ticks) until the scope closes. */
export const workQueue = (options: WorkerOptions) =>
  Effect.gen(function* () {
    const context = yield* Effect.context<Effect.Effect.Context<
      | ReturnType<ReturnType<typeof processBurst>> | ReturnType<typeof runScheduleTick> | ReturnType<ReturnType<typeof deliverCallback>>
      | ReturnType<typeof runMaintenance>
    >>()
    yield* (yield* JobQueue).work({
      job: (jobId, isHere): Effect.Effect<JobOutcome> =>
        jobId.startsWith(callbackJobPrefix)
          ? deliverCallback(options.callbacks)(jobId.slice(callbackJobPrefix.length)).pipe(Effect.provide(context))
          : processBurst(options)(jobId, isHere).pipe(Effect.provide(context)),
      tick: (scheduleId) =>
        scheduleId === maintenanceScheduleId
          ? runMaintenance(options.maintenance).pipe(Effect.provide(context))
          : runScheduleTick(scheduleId).pipe(Effect.provide(context))
    })
  })

/** A schedule's id: `<organizationId>/<workflowId>`, encoded (BullMQ ids may not hold ':'). */
const scheduleIdOf = (organizationId: string, workflowId: string) => `${encodeURIComponent(organizationId)}/${workflowId}`

/** Registers (or removes) the schedule of a workflow after it was created, replaced or deleted. */
export const syncSchedule = Effect.fn("Accumulate.syncSchedule")(function* (
  workflow: { readonly id: string; readonly organizationId: string; readonly isActive: boolean; readonly trigger: Workflow["trigger"] },
  isDeleted = false
) {
  const spec = !isDeleted && workflow.isActive && workflow.trigger.type === "schedule"
    ? { cron: workflow.trigger.cron, ...(workflow.trigger.timezone === undefined ? {} : { timezone: workflow.trigger.timezone }) }
    : undefined
  yield* (yield* JobQueue).setSchedule(scheduleIdOf(workflow.organizationId, workflow.id), spec)
})

/** At startup: every scheduled workflow's schedule is registered (the in-process queue forgets them on restart). */
export const resyncSchedules = Effect.gen(function* () {
  const scheduled = yield* (yield* WorkflowRepo).listScheduled()
  yield* Effect.forEach(scheduled, (w) => syncSchedule(w), { discard: true })
  if (scheduled.length > 0) yield* Effect.logInfo(`schedules: ${scheduled.length} scheduled workflow(s) registered`)
})

/**
 * One tick of a workflow's schedule (§4): an execution with input `{}` and thread `schedule:<workflowId>`,
 * through the same queue as every burst (so per-thread order holds).
 */
export const runScheduleTick = (scheduleId: string) =>
  Effect.gen(function* () {
    const [encodedOrganization, workflowId] = scheduleId.split("/") as [string, string]
    const organizationId = decodeURIComponent(encodedOrganization)
    const found = yield* (yield* WorkflowRepo).get(organizationId, workflowId)
    if (Option.isNone(found) || found.value.trigger.type !== "schedule" || !found.value.isActive) {
      return yield* (yield* JobQueue).setSchedule(scheduleId, undefined)
    }
    const now = new Date(yield* Clock.currentTimeMillis)
    const result = yield* (yield* Bursts).append(
      { organizationId, workflowId, threadId: `schedule:${workflowId}` },
      { messages: [], sender: undefined, context: {}, sealedSecret: null, workflowVersion: found.value.version },
      undefined,
      now
    )
    if (result._tag === "Accepted") yield* (yield* JobQueue).schedule(result.executionId, now)
  }).pipe(
    Effect.catchAll((e) => Effect.logWarning(`schedule ${scheduleId}: tick not run (${e.message})`)),
    Effect.annotateLogs({ scheduleId })
  )

/**
 * Reschedules bursts whose timer was lost (Redis flushed or down) or whose holder crashed: PostgreSQL is
 * the truth, so every accepted burst runs. Every instance may sweep; scheduling is idempotent.
 */
export const sweepOverdue = Effect.fn("Accumulate.sweep")(function* (graceMs: number) {
  const now = yield* Clock.currentTimeMillis
  const overdue = yield* (yield* Bursts).overdue(new Date(now), graceMs)
  const queue = yield* JobQueue
  yield* Effect.forEach(overdue, (b) => queue.schedule(b.executionId, new Date(now)), { discard: true })
  if (overdue.length > 0) yield* Effect.logInfo(`sweeper: rescheduled ${overdue.length} overdue burst(s)`)
  return overdue.length
})
