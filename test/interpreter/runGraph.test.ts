import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Option, Stream, TestClock } from "effect"
import { graphDoc, ORG, request, runDocument, statuses } from "../support/run.ts"
import { makeMemoryWorld } from "../../src/adapters/memory/World.ts"
import { executeWorkflow } from "../../src/application/ExecuteWorkflow.ts"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import { Unavailable } from "../../src/domain/errors.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"
import { subscribe } from "../../src/ports/EventBus.ts"

const trigger = { id: "trigger", type: "trigger" }
const delay = (id: string, seconds: number) => ({ id, type: "delay", config: { seconds } })
const set = (id: string, values: Record<string, unknown>) => ({ id, type: "transform", config: { set: values } })

describe("runner", () => {
  it.effect("fan-out starts branches at once; the merge waits for both and gets {from: output}", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, delay("slow", 10), delay("fast", 1), set("a", { v: "a" }), set("b", { v: "b" }), set("join", { both: "{{nodes.a.output.v}}{{nodes.b.output.v}}" })],
        [{ from: "trigger", to: "slow" }, { from: "trigger", to: "fast" }, { from: "slow", to: "a" }, { from: "fast", to: "b" }, { from: "a", to: "join" }, { from: "b", to: "join" }]
      )
      const fiber = yield* Effect.fork(runDocument(doc))
      // Both delays run in parallel: 10 s of clock is enough for the whole graph.
      yield* TestClock.adjust("10 seconds")
      const { outcome, execution } = yield* Fiber.join(fiber)
      expect(outcome.output).toEqual({ join: { both: "ab" } })
      const join = execution.steps.find((s) => s.nodeId === "join")
      expect(join?.input).toEqual({ a: { v: "a" }, b: { v: "b" } })
      expect(execution.steps.filter((s) => s.nodeId === "join")).toHaveLength(1)
    }))

  it.effect("a merge after a condition runs once with the branch that fired; a node none of whose edges fire is skipped", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "c", type: "condition", config: { if: true } }, set("yes", { v: 1 }), set("no", { v: 2 }), set("after", { done: true }), set("onlyNo", { x: 1 })],
        [{ from: "trigger", to: "c" }, { from: "c", to: "yes", when: "true" }, { from: "c", to: "no", when: "false" },
          { from: "yes", to: "after" }, { from: "no", to: "after" }, { from: "no", to: "onlyNo" }]
      )
      const { outcome, execution } = yield* runDocument(doc)
      expect(outcome.status).toBe("completed")
      expect(statuses(execution.steps).sort()).toEqual(["after:completed", "c:completed", "no:skipped", "onlyNo:skipped", "trigger:completed", "yes:completed"])
      expect(execution.steps.find((s) => s.nodeId === "after")?.input).toEqual({ yes: { v: 1 } })
    }))

  it.effect("an error edge is followed when its node fails, with {error} as input; the execution completes", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "send", type: "send", config: { message: "oi" } }, set("fallback", { why: "{{nodes.send.output}}" }), set("next", {})],
        [{ from: "trigger", to: "send" }, { from: "send", to: "fallback", when: "error" }, { from: "send", to: "next" }]
      )
      const { outcome, execution } = yield* runDocument(doc, request(), { failSend: () => "LivChat answered 400" })
      expect(outcome.status).toBe("completed")
      expect(statuses(execution.steps)).toEqual(["trigger:completed", "send:error", "fallback:completed", "next:skipped"])
      expect(execution.steps.find((s) => s.nodeId === "fallback")?.input).toEqual({
        error: { code: "send_failed", message: "LivChat answered 400", nodeId: "send" }
      })
    }))

  it.effect("a failure without an error edge fails the execution and stops the other branches", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "send", type: "send", config: { message: "oi" } }, delay("long", 3600), set("late", {})],
        [{ from: "trigger", to: "send" }, { from: "trigger", to: "long" }, { from: "long", to: "late" }]
      )
      const { outcome, execution } = yield* runDocument(doc, request(), { failSend: () => "refused" })
      expect(outcome.status).toBe("error")
      expect(outcome.error).toEqual({ code: "send_failed", message: "refused", nodeId: "send" })
      expect(execution.steps.find((s) => s.nodeId === "long")).toMatchObject({ status: "error", error: "interrupted" })
      expect(execution.steps.some((s) => s.nodeId === "late")).toBe(false)
      expect(execution.status).toBe("error")
    }))

  it.effect("timeoutMs fails a node that takes too long with code timeout", () =>
    Effect.gen(function* () {
      const doc = graphDoc([trigger, { ...delay("wait", 5), timeoutMs: 1000 }], [{ from: "trigger", to: "wait" }])
      const fiber = yield* Effect.fork(runDocument(doc))
      yield* TestClock.adjust("1 second")
      const { outcome } = yield* Fiber.join(fiber)
      expect(outcome.error).toMatchObject({ code: "timeout", nodeId: "wait" })
    }))

  it.effect("retry runs a failed node again with exponential backoff; each attempt is a step", () =>
    Effect.gen(function* () {
      let calls = 0
      const doc = graphDoc(
        [trigger, { id: "send", type: "send", config: { message: "oi" }, retry: { maxAttempts: 3, backoffMs: 1000 } }],
        [{ from: "trigger", to: "send" }]
      )
      const fiber = yield* Effect.fork(runDocument(doc, request(), { failSend: () => (++calls < 3 ? "503 from LivChat" : undefined) }))
      yield* TestClock.adjust("1 second") // first backoff
      yield* TestClock.adjust("2 seconds") // second backoff, doubled
      const { outcome, execution } = yield* Fiber.join(fiber)
      expect(outcome.status).toBe("completed")
      expect(execution.steps.map((s) => [s.id, s.status])).toEqual([
        ["trigger:1", "completed"], ["send:1", "error"], ["send:2", "error"], ["send:3", "completed"]
      ])
      expect(calls).toBe(3)
    }))

  it.effect("retry gives up after maxAttempts and the execution fails", () =>
    Effect.gen(function* () {
      const doc = graphDoc(
        [trigger, { id: "send", type: "send", config: { message: "oi" }, retry: { maxAttempts: 2, backoffMs: 0 } }],
        [{ from: "trigger", to: "send" }]
      )
      const { outcome, execution } = yield* runDocument(doc, request(), { failSend: () => "down" })
      expect(outcome.status).toBe("error")
      expect(execution.steps.filter((s) => s.nodeId === "send").map((s) => s.status)).toEqual(["error", "error"])
    }))

  it.effect("interrupting an execution stops it cleanly: no step stays running and the execution is marked", () =>
    Effect.gen(function* () {
      const decoded = decodeWorkflow(graphDoc([trigger, delay("wait", 60), set("after", {})], [{ from: "trigger", to: "wait" }, { from: "wait", to: "after" }]))
      if (Either.isLeft(decoded)) throw decoded.left
      const world = yield* makeMemoryWorld()
      const workflow = { ...decoded.right, id: "00000000-0000-4000-8000-000000000002", organizationId: ORG, version: 1 }
      const fiber = yield* Effect.fork(executeWorkflow(workflow, request(), { executionId: "11111111-1111-4111-8111-111111111111" }).pipe(Effect.provide(world.layer)))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.interrupt(fiber)
      const execution = Option.getOrThrow(yield* world.executions.get(ORG, "11111111-1111-4111-8111-111111111111"))
      expect(execution.status).toBe("error")
      expect(execution.error?.code).toBe("interrupted")
      expect(execution.steps.map((s) => [s.nodeId, s.status, s.error])).toEqual([
        ["trigger", "completed", null], ["wait", "error", "interrupted"]
      ])
      yield* TestClock.adjust("1 minute")
      expect(world.messenger.sent).toHaveLength(0)
    }))

  it.effect("context.livchatApiKey reaches the send but never the scope, a step, the stored input or an event", () =>
    Effect.gen(function* () {
      const secret = "lc_test_SECRET_never_shown_0001"
      const doc = graphDoc(
        [trigger,
          set("leak", { a: "{{context.livchatApiKey}}".replace("livchatApiKey", "instanceId"), b: { var: "context" } }),
          { id: "send", type: "send", config: { message: "{{nodes.leak.output.b}}" } }],
        [{ from: "trigger", to: "leak" }, { from: "leak", to: "send" }]
      )
      let keySeen: string | undefined
      const req = request("oi", { context: { instanceId: "inst-1", livchatApiKey: secret } })
      const { outcome, execution, world } = yield* runDocument(doc, req, { failSend: (r) => ((keySeen = r.apiKey), undefined) })
      expect(outcome.status).toBe("completed")
      expect(keySeen).toBe(secret)
      const events = yield* subscribe(world.bus, outcome.executionId).pipe(Stream.runCollect)
      const everything = JSON.stringify({ execution, events: [...events], sent: world.messenger.sent, callbacks: world.callbacks.sent })
      expect(everything).not.toContain(secret)
      expect(everything).toContain("inst-1")
    }))

  it.effect("the outcome of a run is recorded although the database refused the first writes of it", () =>
    Effect.gen(function* () {
      const decoded = decodeWorkflow(graphDoc([trigger, set("t", { a: 1 })], [{ from: "trigger", to: "t" }]))
      if (Either.isLeft(decoded)) throw decoded.left
      const world = yield* makeMemoryWorld()
      let refusals = 3
      const flaky = Layer.succeed(ExecutionRepo, {
        ...world.executions,
        setStatus: (ref, status, result) =>
          Effect.suspend(() =>
            status === "completed" && refusals-- > 0
              ? Effect.fail(new Unavailable({ dependency: "database", message: "busy" }))
              : world.executions.setStatus(ref, status, result))
      })
      const workflow = { ...decoded.right, id: "00000000-0000-4000-8000-000000000004", organizationId: ORG, version: 1 }
      const fiber = yield* Effect.fork(executeWorkflow(workflow, request()).pipe(Effect.provide(Layer.merge(world.layer, flaky))))
      yield* TestClock.adjust("10 seconds")
      const outcome = yield* Fiber.join(fiber)
      expect(outcome.status).toBe("completed")
      expect(refusals).toBe(-1)
      expect(Option.getOrThrow(yield* world.executions.get(ORG, outcome.executionId)).status).toBe("completed")
    }))

  it.effect("an escalated thread runs no graph: the execution is skipped", () =>
    Effect.gen(function* () {
      const doc = graphDoc([trigger, { id: "send", type: "send", config: { message: "oi" } }], [{ from: "trigger", to: "send" }])
      const decoded = decodeWorkflow(doc)
      if (Either.isLeft(decoded)) throw decoded.left
      const world = yield* makeMemoryWorld()
      yield* world.threads.setStatus({ organizationId: ORG, threadId: "5511999999999" }, "escalated")
      const workflow = { ...decoded.right, id: "00000000-0000-4000-8000-000000000003", organizationId: ORG, version: 1 }
      const outcome = yield* executeWorkflow(workflow, request()).pipe(Effect.provide(world.layer))
      expect(outcome.status).toBe("skipped")
      expect(world.messenger.sent).toHaveLength(0)
    }))

  it.effect("node events are published in order: execution running, node started/completed, execution completed", () =>
    Effect.gen(function* () {
      const { outcome, world } = yield* runDocument(graphDoc([trigger, set("t", { a: 1 })], [{ from: "trigger", to: "t" }]))
      const events = yield* subscribe(world.bus, outcome.executionId).pipe(Stream.runCollect)
      expect([...events].map((d) => d.event)).toEqual([
        { type: "execution", executionId: outcome.executionId, status: "running" },
        { type: "node", nodeId: "trigger", nodeType: "trigger", status: "started" },
        { type: "node", nodeId: "trigger", nodeType: "trigger", status: "completed" },
        { type: "node", nodeId: "t", nodeType: "transform", status: "started" },
        { type: "node", nodeId: "t", nodeType: "transform", status: "completed" },
        { type: "execution", executionId: outcome.executionId, status: "completed" }
      ])
      expect([...events].map((d) => d.seq)).toEqual([1, 2, 3, 4, 5, 6])
    }))

  it.effect("a JsonLogic runtime failure fails the node with expression_error, never a crash", () =>
    Effect.gen(function* () {
      const doc = graphDoc([trigger, set("t", { x: { throw: "boom" } })], [{ from: "trigger", to: "t" }])
      const decoded = decodeWorkflow(doc)
      // `throw` is not an operator the domain allows, so the document itself is refused.
      expect(Either.isLeft(decoded)).toBe(true)
      const ok = graphDoc([trigger, set("t", { x: { substr: [{ var: "input.aggregatedInput" }, 0, 1] } })], [{ from: "trigger", to: "t" }])
      const { outcome } = yield* runDocument(ok)
      expect(outcome.output).toEqual({ t: { x: "o" } })
    }))
})

