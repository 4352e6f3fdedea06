import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, FastCheck, Fiber, Layer, Option, TestClock } from "effect"
import { AgentModelUnconfigured } from "../../src/adapters/memory/AgentModel.ts"
import { HttpFetchDisabled } from "../../src/adapters/memory/HttpFetch.ts"
import { WebhookSenderFetch } from "../../src/adapters/outbound/WebhookSender.ts"
import { makeJobQueueMemory } from "../../src/adapters/memory/JobQueue.ts"
import { MemoryRepositories } from "../../src/adapters/memory/Repositories.ts"
import { makeMemoryWorld } from "../../src/adapters/memory/World.ts"
import { acceptTrigger, processBurst, sweepOverdue, workQueue } from "../../src/application/Accumulate.ts"
import { ExecutionSlots } from "../../src/application/ExecutionSlots.ts"
import { runMaintenance, scheduleMaintenance } from "../../src/application/Maintenance.ts"
import { Checkpointer } from "../../src/adapters/langgraph/Checkpointer.ts"
import { createWorkflow } from "../../src/application/Workflows.ts"
import type { AccumulatorConfig } from "../../src/domain/Accumulator.ts"
import { Unavailable } from "../../src/domain/errors.ts"
import type { Execution, Step } from "../../src/domain/Execution.ts"
import type { InputMessage } from "../../src/domain/RunRequest.ts"
import { effectiveAccumulator } from "../../src/domain/Workflow.ts"
import { Bursts } from "../../src/ports/Bursts.ts"
import { Callbacks } from "../../src/ports/Callbacks.ts"
import { EventBus } from "../../src/ports/EventBus.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"
import { JobQueue } from "../../src/ports/JobQueue.ts"
import { KnowledgeBase } from "../../src/ports/KnowledgeBase.ts"
import { Messenger } from "../../src/ports/Messenger.ts"

const ORG = "org-accumulator"
const second = 1000

/**
 * The in-process twin of the service: every repository and the bursts in memory, the graph's ports from
 * the memory world (the in-process queue comes on top). Timers run on Effect's Clock: `TestClock` drives it all.
 */
const Ports = () =>
  Layer.unwrapEffect(
    Effect.map(makeMemoryWorld(), (world) =>
      Layer.mergeAll(
        MemoryRepositories,
        Layer.succeed(EventBus, world.bus),
        Layer.succeed(Messenger, world.messenger),
        Layer.succeed(Callbacks, world.callbacks),
        Layer.succeed(KnowledgeBase, world.knowledge),
        AgentModelUnconfigured,
        HttpFetchDisabled
      ))
  )

const noCallbacks = { secret: undefined, maxAttempts: 1, timeoutMs: 1000 }

/** No grace at shutdown: a test that fails mid-run must not wait on a clock nobody advances. */
const TestService = () => Layer.provideMerge(Layer.scoped(JobQueue, makeJobQueueMemory({ concurrency: 8, shutdownTimeout: 0 })), Ports())

/** Runs `test` with the service's worker started in the test's scope (closed, and drained, before the layer's). */
const withWorker = <A, E, R>(test: Effect.Effect<A, E, R>, leaseMs = 30_000, executionSlots?: number) =>
  Effect.scoped(Effect.zipRight(workQueue({ owner: "worker-1", leaseMs, callbacks: noCallbacks, maintenance: { executionRetentionDays: 30 } }), test)).pipe(
    Effect.provide(executionSlots === undefined ? Layer.empty : ExecutionSlots.layer(executionSlots)),
    Effect.provide(TestService()),
    Effect.provide(WebhookSenderFetch)
  )

type Accumulator = Pick<AccumulatorConfig, "timeoutSeconds" | "maxMessages" | "maxWaitSeconds" | "resetOnNewMessage">

const typing: Accumulator = { timeoutSeconds: 5, maxMessages: 10, maxWaitSeconds: 12, resetOnNewMessage: true }

/** trigger → (delay) → collect, where collect keeps what the workflow was given. */
const accumulating = (accumulator: Accumulator, workSeconds = 0) =>
  createWorkflow(ORG, {
    name: "accumulating",
    graph: {
      nodes: [
        { id: "trigger", type: "trigger", config: { accumulator } },
        ...(workSeconds > 0 ? [{ id: "work", type: "delay", config: { seconds: workSeconds } }] : []),
        { id: "collect", type: "transform", config: { set: { all: "{{input.aggregatedInput}}" } } }
      ],
      edges: workSeconds > 0
        ? [{ from: "trigger", to: "work" }, { from: "work", to: "collect" }]
        : [{ from: "trigger", to: "collect" }]
    }
  })

const say = (workflowId: string, content: string, options: { readonly threadId?: string; readonly id?: string } = {}) =>
  acceptTrigger(ORG, workflowId, {
    threadId: options.threadId ?? "5511999999999",
    input: { messages: [{ content, type: "text", ...(options.id === undefined ? {} : { id: options.id }) }], sender: { phone: "5511999999999" } },
    context: { instanceId: "inst-1" }
  })

const executionOf = (executionId: string) =>
  Effect.flatMap(ExecutionRepo, (repo) => repo.get(ORG, executionId)).pipe(Effect.map(Option.getOrThrow))

const executionsOf = (workflowId: string) =>
  Effect.gen(function* () {
    const repo = yield* ExecutionRepo
    const page = yield* repo.list({ organizationId: ORG, workflowId, limit: 1000 })
    return yield* Effect.forEach(page.items, (e) => executionOf(e.id))
  })

/** Moves the test clock to `ms` after the start. */
const clockAt = (ms: number) => Effect.flatMap(TestClock.currentTimeMillis, (now) => TestClock.adjust(ms - now))

const accumulatorStep = (execution: Execution) => {
  const step = execution.steps[0]
  expect(step?.stepName).toBe("accumulator")
  return step as Step & { readonly output: { readonly messages: ReadonlyArray<InputMessage>; readonly aggregatedInput: string; readonly latenessMs: number } }
}

const graphSteps = (execution: Execution) => execution.steps.filter((s) => s.stepName !== "accumulator")
const ms = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso))
/** When the graph of an execution ran: from its first node's start to its last node's end. */
const ranDuring = (execution: Execution) => {
  const steps = graphSteps(execution)
  return { start: Math.min(...steps.map((s) => ms(s.startedAt))), end: Math.max(...steps.map((s) => ms(s.finishedAt))) }
}

describe("accumulator (§5.1) on the in-process twin", () => {
  it.effect("with the only execution slot busy, a due burst is still flushed when its window ends; a message that comes while a round of bursts waits for the slot waits too, then starts a new burst", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing, 3)
      const a = yield* say(workflow.id, "a1", { threadId: "5511000000001" })
      const b = yield* say(workflow.id, "b1", { threadId: "5511000000002" })
      yield* clockAt(6 * second) // both flushed at 5 s; one runs (until 8 s), the other waits for the slot
      const later = yield* Effect.fork(say(workflow.id, "b2", { threadId: "5511000000002" }))
      yield* clockAt(7.9 * second)
      expect(later.unsafePoll()).toBeNull() // back-pressure: a round of bursts waits for the slot
      yield* clockAt(8 * second) // the slot frees, the waiting burst starts: the message is taken
      const accepted = yield* Fiber.join(later)
      expect(accepted.executionId).not.toBe(b.executionId)
      yield* clockAt(60 * second)
      const [ea, eb, el] = yield* Effect.forEach([a, b, accepted], (t) => executionOf(t.executionId))
      expect([ea!.status, eb!.status, el!.status]).toEqual(["completed", "completed", "completed"])
      expect(eb!.output).toEqual({ collect: { all: "b1" } })
      expect(el!.output).toEqual({ collect: { all: "b2" } })
      // Flushed when their windows ended, all of them; run one at a time.
      expect([ea!, eb!, el!].map((e) => accumulatorStep(e).output.latenessMs)).toEqual([0, 0, 0])
      const runs = [ranDuring(ea!), ranDuring(eb!), ranDuring(el!)].sort((x, y) => x.start - y.start)
      expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.end)
      expect(runs[2]!.start).toBeGreaterThanOrEqual(runs[1]!.end)
    }), 30_000, 1))

  it.effect("messages at 0, 2 and 4 s make one execution, flushed 5 s after the last (at 9 s, not before), in order", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing)
      const answers = [yield* say(workflow.id, "m1")]
      yield* clockAt(2 * second)
      answers.push(yield* say(workflow.id, "m2"))
      yield* clockAt(4 * second)
      answers.push(yield* say(workflow.id, "m3"))
      expect(answers.map((a) => a.status)).toEqual(["triggered", "triggered", "triggered"])
      const executionId = answers[0]!.executionId
      expect(answers.every((a) => a.executionId === executionId)).toBe(true)

      yield* clockAt(8.9 * second)
      expect((yield* executionOf(executionId)).status).toBe("pending")
      yield* clockAt(9 * second)
      const execution = yield* executionOf(executionId)
      expect(execution.status).toBe("completed")
      expect(execution.output).toEqual({ collect: { all: "m1\n\nm2\n\nm3" } })
      const step = accumulatorStep(execution)
      expect(step.output.messages.map((m) => m.content)).toEqual(["m1", "m2", "m3"])
      expect(step.output.latenessMs).toBe(0)
      expect(step.finishedAt).toBe(new Date(9 * second).toISOString())
      expect((yield* executionsOf(workflow.id)).map((e) => e.id)).toEqual([executionId])
    })))

  it.effect("a user who keeps typing every 4 s gets an answer maxWaitSeconds (12 s) after the first message", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing)
      const first = yield* say(workflow.id, "m1")
      for (const s of [4, 8]) {
        yield* clockAt(s * second)
        expect((yield* say(workflow.id, `at ${s}`)).executionId).toBe(first.executionId)
      }
      yield* clockAt(11.9 * second)
      expect((yield* executionOf(first.executionId)).status).toBe("pending")
      yield* clockAt(12 * second)
      const flushed = yield* executionOf(first.executionId)
      expect(flushed.status).toBe("completed")
      expect(flushed.output).toEqual({ collect: { all: "m1\n\nat 4\n\nat 8" } })
      // Still typing: the next messages gather in a burst of their own.
      const next = yield* say(workflow.id, "at 12")
      expect(next.executionId).not.toBe(first.executionId)
      yield* clockAt(16 * second)
      expect((yield* say(workflow.id, "at 16")).executionId).toBe(next.executionId)
      yield* clockAt(21 * second)
      expect((yield* executionOf(next.executionId)).output).toEqual({ collect: { all: "at 12\n\nat 16" } })
    })))

  it.effect("a burst flushes at once when it reaches maxMessages", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating({ timeoutSeconds: 5, maxMessages: 3, maxWaitSeconds: 12, resetOnNewMessage: true })
      const first = yield* say(workflow.id, "m1")
      yield* clockAt(2 * second)
      yield* say(workflow.id, "m2")
      yield* clockAt(4 * second)
      expect((yield* say(workflow.id, "m3")).executionId).toBe(first.executionId)
      yield* TestClock.adjust(0)
      const execution = yield* executionOf(first.executionId)
      expect(execution.status).toBe("completed")
      expect(execution.output).toEqual({ collect: { all: "m1\n\nm2\n\nm3" } })
      expect(accumulatorStep(execution).finishedAt).toBe(new Date(4 * second).toISOString())
    })))

  it.effect("without resetOnNewMessage a burst flushes timeoutSeconds after its first message", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating({ timeoutSeconds: 5, maxMessages: 10, maxWaitSeconds: 60, resetOnNewMessage: false })
      const first = yield* say(workflow.id, "m1")
      yield* clockAt(3 * second)
      yield* say(workflow.id, "m2")
      yield* clockAt(4.5 * second)
      yield* say(workflow.id, "m3")
      yield* clockAt(4.9 * second)
      expect((yield* executionOf(first.executionId)).status).toBe("pending")
      yield* clockAt(5 * second)
      const execution = yield* executionOf(first.executionId)
      expect(execution.output).toEqual({ collect: { all: "m1\n\nm2\n\nm3" } })
      expect(accumulatorStep(execution).output.latenessMs).toBe(0)
    })))

  it.effect("a message during a running execution of its thread opens the next burst, whose execution starts only after the first ends", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing, 10)
      const first = yield* say(workflow.id, "m1")
      yield* clockAt(7 * second) // the first runs from 5 s to 15 s
      const firstAt7 = (yield* executionOf(first.executionId)).status
      const second_ = yield* say(workflow.id, "m2")
      yield* clockAt(14.9 * second) // the second's window ended at 12 s, but the thread is busy
      const secondAt14_9 = (yield* executionOf(second_.executionId)).status
      // Observed above, asserted once every run has ended: a failed expectation must not leave one running.
      yield* clockAt(40 * second)
      expect({ firstAt7, secondAt14_9 }).toEqual({ firstAt7: "running", secondAt14_9: "pending" })
      expect(second_.executionId).not.toBe(first.executionId)
      const [one, two] = [yield* executionOf(first.executionId), yield* executionOf(second_.executionId)]
      expect([one.status, two.status]).toEqual(["completed", "completed"])
      expect(ranDuring(one)).toEqual({ start: 5 * second, end: 15 * second })
      expect(ranDuring(two).start).toBeGreaterThanOrEqual(ranDuring(one).end)
      // It waited for the thread, no longer: the worker retries every 200 ms.
      expect(ranDuring(two).start).toBeLessThanOrEqual(ranDuring(one).end + 200)
      // Flushed when its window ended (a later message would have started a third burst); then it waited.
      expect(accumulatorStep(two).output).toMatchObject({ latenessMs: 0, queuedMs: ranDuring(two).start - 12 * second })
      expect(accumulatorStep(two).finishedAt).toBe(new Date(12 * second).toISOString())
      expect(two.output).toEqual({ collect: { all: "m2" } })
    })))

  it.effect("a duplicate message id answers duplicate with the same execution and is not processed twice", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing)
      const first = yield* say(workflow.id, "oi", { id: "wamid-1" })
      yield* clockAt(1 * second)
      expect(yield* say(workflow.id, "oi", { id: "wamid-1" })).toEqual({ status: "duplicate", executionId: first.executionId })
      yield* clockAt(10 * second)
      expect(yield* say(workflow.id, "oi", { id: "wamid-1" })).toEqual({ status: "duplicate", executionId: first.executionId })
      yield* clockAt(30 * second)
      const executions = yield* executionsOf(workflow.id)
      expect(executions.map((e) => e.id)).toEqual([first.executionId])
      expect(executions[0]!.output).toEqual({ collect: { all: "oi" } })
      expect(accumulatorStep(executions[0]!).output.messages).toHaveLength(1)
    })))

  it.effect("the sweeper reschedules a burst whose timer was lost, and it runs", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing)
      // Recorded, but its flush never scheduled (a queue that lost its timer).
      const appended = yield* (yield* Bursts).append(
        { organizationId: ORG, workflowId: workflow.id, threadId: "lost" },
        { messages: [{ content: "lost timer", type: "text" }], sender: undefined, context: {}, sealedSecret: null, workflowVersion: workflow.version },
        effectiveAccumulator(workflow),
        new Date(0)
      )
      if (appended._tag !== "Accepted") throw new Error("not accepted")
      yield* clockAt(5.5 * second)
      expect(yield* sweepOverdue(1000)).toBe(0)
      yield* clockAt(6.5 * second)
      expect((yield* executionOf(appended.executionId)).status).toBe("pending")
      expect(yield* sweepOverdue(1000)).toBe(1)
      yield* TestClock.adjust(0)
      const execution = yield* executionOf(appended.executionId)
      expect(execution.status).toBe("completed")
      expect(execution.output).toEqual({ collect: { all: "lost timer" } })
      expect(accumulatorStep(execution).output.latenessMs).toBe(1500)
    })))

  it.effect("with the accumulator off every trigger is an execution of its own, run at once, keeping the caller's aggregatedInput (§5)", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* createWorkflow(ORG, {
        name: "at once",
        graph: {
          nodes: [{ id: "trigger", type: "trigger" }, { id: "collect", type: "transform", config: { set: { all: "{{input.aggregatedInput}}" } } }],
          edges: [{ from: "trigger", to: "collect" }]
        }
      })
      const plain = yield* say(workflow.id, "oi")
      const summarized = yield* acceptTrigger(ORG, workflow.id, {
        threadId: "5511888888888",
        input: { messages: [{ content: "oi", type: "text" }], aggregatedInput: "resumo do cliente" },
        context: {}
      })
      expect(plain.executionId).not.toBe(summarized.executionId)
      yield* TestClock.adjust(0)
      expect((yield* executionOf(plain.executionId)).output).toEqual({ collect: { all: "oi" } })
      expect((yield* executionOf(summarized.executionId)).output).toEqual({ collect: { all: "resumo do cliente" } })
    })))

  it.effect("a database outage while a burst is claimed is retried a second later, on the clock", () =>
    Effect.gen(function* () {
      const workflow = yield* accumulating(typing)
      /** Bursts whose first take (close + claim) fails as with the database unreachable. */
      const OneFailedClaim = Layer.effect(Bursts, Effect.map(Bursts, (bursts) => {
        let failures = 1
        return {
          ...bursts,
          take: (...args: Parameters<typeof bursts.take>) =>
            failures-- > 0 ? Effect.fail(new Unavailable({ dependency: "database", message: "connection refused" })) : bursts.take(...args)
        }
      }))
      yield* workQueue({ owner: "worker-1", leaseMs: 30_000, callbacks: noCallbacks, maintenance: { executionRetentionDays: 30 } }).pipe(Effect.provide(OneFailedClaim))
      const answer = yield* say(workflow.id, "oi")
      yield* clockAt(5 * second)
      expect((yield* executionOf(answer.executionId)).status).toBe("pending")
      yield* clockAt(6 * second)
      const execution = yield* executionOf(answer.executionId)
      expect(execution.status).toBe("completed")
      expect(accumulatorStep(execution).output.latenessMs).toBe(1000)
    }).pipe(Effect.scoped, Effect.provide(TestService()), Effect.provide(WebhookSenderFetch)))

  it.effect("one burst taken twice at once by one instance (a job handed out again while it runs, or its own timer): it runs once", () =>
    Effect.gen(function* () {
      const workflow = yield* accumulating(typing, 3)
      const answer = yield* say(workflow.id, "oi")
      yield* clockAt(5 * second)
      const options = { owner: "worker-1", leaseMs: 30_000, callbacks: noCallbacks, maintenance: { executionRetentionDays: 30 } }
      const first = yield* Effect.fork(processBurst(options)(answer.executionId))
      // The first run holds the burst (its execution waits in the delay node) while the second takes it.
      yield* Effect.yieldNow().pipe(
        Effect.zipRight(executionOf(answer.executionId)),
        Effect.filterOrFail((e) => e.status === "running", () => "not running yet"),
        Effect.retry({ times: 10_000 })
      )
      const again = yield* processBurst(options)(answer.executionId, false)
      const here = yield* processBurst(options)(answer.executionId, true)
      expect(again._tag).toBe("RetryAt")
      expect(here._tag).toBe("RetryAt")
      yield* clockAt(9 * second)
      expect(yield* Fiber.join(first)).toEqual({ _tag: "Done" })
      const execution = yield* executionOf(answer.executionId)
      expect(execution.status).toBe("completed")
      expect(graphSteps(execution).filter((s) => s.nodeId === "collect")).toHaveLength(1)
      expect(yield* processBurst(options)(answer.executionId)).toEqual({ _tag: "Done" })
    }).pipe(Effect.scoped, Effect.provide(TestService()), Effect.provide(WebhookSenderFetch)))

  it.effect("a running execution that renews its lease is never overdue for the sweeper", () =>
    withWorker(Effect.gen(function* () {
      const workflow = yield* accumulating(typing, 20)
      const first = yield* say(workflow.id, "long task")
      yield* clockAt(15 * second) // running since 5 s, its lease of 3 s renewed every second
      const statusMidRun = (yield* executionOf(first.executionId)).status
      const sweptMidRun = yield* sweepOverdue(1000)
      yield* clockAt(30 * second)
      expect({ statusMidRun, sweptMidRun }).toEqual({ statusMidRun: "running", sweptMidRun: 0 })
      expect((yield* executionOf(first.executionId)).status).toBe("completed")
    }), 3000))

  it.effect("at shutdown a running burst gets the shutdown timeout, no more; handed back, it runs again after a restart", () =>
    Effect.gen(function* () {
      const workflow = yield* accumulating(typing, 60)
      /** One instance of the service: its own in-process queue and worker, until `stop`. */
      const instance = (owner: string, stop: Deferred.Deferred<void>, started: Deferred.Deferred<JobQueue["Type"]>) =>
        Effect.scoped(Effect.gen(function* () {
          const queue = yield* makeJobQueueMemory({ concurrency: 2, shutdownTimeout: "2 seconds" })
          yield* workQueue({ owner, leaseMs: 30_000, callbacks: noCallbacks, maintenance: { executionRetentionDays: 30 } }).pipe(Effect.provideService(JobQueue, queue))
          yield* Deferred.succeed(started, queue)
          yield* Deferred.await(stop)
        }))
      const [stopFirst, firstStarted] = [yield* Deferred.make<void>(), yield* Deferred.make<JobQueue["Type"]>()]
      const first = yield* Effect.fork(instance("instance-1", stopFirst, firstStarted))
      const answer = yield* say(workflow.id, "oi").pipe(Effect.provideService(JobQueue, yield* Deferred.await(firstStarted)))
      yield* clockAt(6 * second) // flushed at 5 s, 60 s of work under way
      const statusAtStop = (yield* executionOf(answer.executionId)).status
      yield* Deferred.succeed(stopFirst, undefined)
      yield* clockAt(8 * second) // the shutdown timeout has passed
      const stoppedInTime = Option.isSome(yield* Fiber.poll(first))
      yield* clockAt(70 * second) // lets a shutdown that waits for the work end too, so the test fails rather than hangs
      yield* Fiber.join(first)
      expect({ statusAtStop, stoppedInTime }).toEqual({ statusAtStop: "running", stoppedInTime: true })
      expect((yield* executionOf(answer.executionId)).status).not.toBe("completed")

      // The restarted instance's sweeper finds the handed-back burst; it runs, under the same execution id.
      const [stopSecond, secondStarted] = [yield* Deferred.make<void>(), yield* Deferred.make<JobQueue["Type"]>()]
      const second_ = yield* Effect.fork(instance("instance-2", stopSecond, secondStarted))
      expect(yield* sweepOverdue(1000).pipe(Effect.provideService(JobQueue, yield* Deferred.await(secondStarted)))).toBe(1)
      yield* clockAt(140 * second)
      const execution = yield* executionOf(answer.executionId)
      expect(execution.status).toBe("completed")
      expect(execution.output).toEqual({ collect: { all: "oi" } })
      expect((yield* executionsOf(workflow.id)).map((e) => e.id)).toEqual([answer.executionId])
      yield* Deferred.succeed(stopSecond, undefined)
      yield* Fiber.join(second_)
    }).pipe(Effect.provide(Ports()), Effect.provide(WebhookSenderFetch)))

  it.effect.prop(
    "every message is in exactly one execution, in order, and executions of a thread never overlap",
    {
      arrivals: FastCheck.array(
        FastCheck.record({ thread: FastCheck.integer({ min: 0, max: 2 }), at: FastCheck.integer({ min: 0, max: 20_000 }) }),
        { minLength: 1, maxLength: 10 }
      ),
      accumulator: FastCheck.record({
        timeoutSeconds: FastCheck.integer({ min: 1, max: 6 }),
        maxMessages: FastCheck.integer({ min: 1, max: 4 }),
        maxWaitSeconds: FastCheck.integer({ min: 1, max: 12 }),
        resetOnNewMessage: FastCheck.boolean()
      }),
      workSeconds: FastCheck.integer({ min: 1, max: 5 })
    },
    ({ arrivals, accumulator, workSeconds }) =>
      withWorker(Effect.gen(function* () {
        const workflow = yield* accumulating(accumulator, workSeconds)
        const sent = [...arrivals].sort((a, b) => a.at - b.at).map((a, i) => ({ ...a, content: `t${a.thread}:m${i}` }))
        const answered = new Map<string, string>()
        for (const m of sent) {
          yield* clockAt(m.at)
          const answer = yield* say(workflow.id, m.content, { threadId: `t${m.thread}`, id: `wamid-${m.content}` })
          expect(answer.status).toBe("triggered")
          answered.set(m.content, answer.executionId)
        }
        // Enough for every burst to flush and run one after another.
        yield* clockAt(20 * second + sent.length * (workSeconds + 13) * second)
        const executions = yield* executionsOf(workflow.id)
        expect(executions.every((e) => e.status === "completed")).toBe(true)
        for (const thread of new Set(sent.map((m) => m.thread))) {
          const ofThread = executions.filter((e) => e.threadId === `t${thread}`).sort((a, b) => ranDuring(a).start - ranDuring(b).start)
          const received = ofThread.flatMap((e) => accumulatorStep(e).output.messages.map((m) => m.content))
          expect(received).toEqual(sent.filter((m) => m.thread === thread).map((m) => m.content))
          for (const e of ofThread) {
            for (const m of accumulatorStep(e).output.messages) expect(answered.get(m.content)).toBe(e.id)
          }
          for (let i = 1; i < ofThread.length; i++) {
            expect(ranDuring(ofThread[i]!).start).toBeGreaterThanOrEqual(ranDuring(ofThread[i - 1]!).end)
          }
        }
      })),
    { timeout: 120_000, fastCheck: { numRuns: 50 } }
  )
})

describe("the periodic cleanup", () => {
  it.effect("a round asks the knowledge base to embed chunks stored without vectors; a model that is down fails that part alone", () =>
    Effect.gen(function* () {
      const kb = yield* KnowledgeBase
      const asked: Array<number> = []
      const withKnowledge = (embedMissing: KnowledgeBase["Type"]["embedMissing"]) =>
        Effect.provideService(KnowledgeBase, { ...kb, embedMissing: (limit) => Effect.zipRight(Effect.sync(() => asked.push(limit)), embedMissing(limit)) })
      yield* runMaintenance({ executionRetentionDays: 30 }).pipe(withKnowledge(() => Effect.succeed(12)))
      yield* runMaintenance({ executionRetentionDays: 30 }).pipe(
        withKnowledge(() => Effect.fail(new Unavailable({ dependency: "the embeddings model", message: "503 overloaded" })))
      )
      expect(asked).toEqual([5_000, 5_000])
    }).pipe(Effect.provide(TestService())))

  it.effect("runs on its schedule: idle thread memory is erased after its ttl, message ids are forgotten after 24 h", () =>
    withWorker(Effect.gen(function* () {
      const hour = 3_600_000
      const checkpointer = yield* Checkpointer
      yield* checkpointer.touch({ organizationId: ORG, threadId: "idle" }, new Date(hour))
      yield* checkpointer.touch({ organizationId: ORG, threadId: "busy" }, new Date(48 * hour))
      const workflow = yield* accumulating(typing)
      const bursts = yield* Bursts
      const arrive = (at: number) =>
        bursts.append(
          { organizationId: ORG, workflowId: workflow.id, threadId: "dup" },
          { messages: [{ id: "wamid-once", content: "oi", type: "text" }], sender: undefined, context: {}, sealedSecret: null, workflowVersion: workflow.version },
          effectiveAccumulator(workflow),
          new Date(at)
        )
      expect((yield* arrive(0))._tag).toBe("Accepted")
      yield* scheduleMaintenance
      yield* TestClock.adjust(2 * hour)
      expect(yield* checkpointer.expired(new Date(2 * hour), 10)).toEqual([])
      expect(yield* checkpointer.expired(new Date(49 * hour), 10)).toEqual([{ organizationId: ORG, threadId: "busy" }])
      expect((yield* arrive(2 * hour))._tag).toBe("Duplicate")
      yield* TestClock.adjust(23 * hour)
      expect((yield* arrive(25 * hour))._tag).toBe("Accepted")
    })))
})
