import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Option, Stream, TestClock } from "effect"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import { Either } from "effect"
import { arbGraph, expectedStatuses, type GenGraph } from "../support/arbitraries.ts"
import { graphDoc, request, runDocument } from "../support/run.ts"
import { subscribe } from "../../src/ports/EventBus.ts"

/** Runs under the TestClock, advancing it a second at a time until the run ends. */
const runUnderClock = (graph: GenGraph, concurrency: number | "unbounded") =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(runDocument(graphDoc(graph.nodes, graph.edges), request(), { concurrency }))
    for (let tick = 0; tick < 500; tick++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) break
      yield* TestClock.adjust("1 second")
    }
    const { outcome, execution, world } = yield* Fiber.join(fiber)
    const events = yield* subscribe(world.bus, outcome.executionId).pipe(Stream.runCollect)
    return { outcome, execution, events: [...events].map((d) => d.event) }
  })

const runs = { timeout: 120_000, fastCheck: { numRuns: 60 } }

describe("interpreter properties over random DAGs with conditions, fan-outs and merges", () => {
  it.prop("every generated graph is valid", [arbGraph()], ([g]) => {
    const result = decodeWorkflow(graphDoc(g.nodes, g.edges))
    expect(Either.isLeft(result) ? result.left.issues : []).toEqual([])
  }, runs)

  it.effect.prop("no node runs twice; nodes reachable only through an untaken branch are skipped; the rest complete", [arbGraph()], ([g]) =>
    Effect.gen(function* () {
      const { outcome, execution } = yield* runUnderClock(g, "unbounded")
      expect(outcome.status).toBe("completed")
      const perNode = new Map<string, number>()
      for (const s of execution.steps) perNode.set(s.nodeId, (perNode.get(s.nodeId) ?? 0) + 1)
      expect([...perNode.entries()].filter(([, n]) => n !== 1)).toEqual([])
      const actual = new Map(execution.steps.map((s) => [s.nodeId, s.status]))
      expect(actual).toEqual(expectedStatuses(g))
    }), runs)

  it.effect.prop("no node starts before every predecessor whose edge fired has completed", [arbGraph()], ([g]) =>
    Effect.gen(function* () {
      const { events } = yield* runUnderClock(g, "unbounded")
      const completedAt = new Map<string, number>()
      const startedAt = new Map<string, number>()
      events.forEach((e, i) => {
        if (e.type !== "node") return
        if (e.status === "completed") completedAt.set(e.nodeId, i)
        if (e.status === "started" && !startedAt.has(e.nodeId)) startedAt.set(e.nodeId, i)
      })
      const expected = expectedStatuses(g)
      let checked = 0
      for (const edge of g.edges) {
        const start = startedAt.get(edge.to)
        if (start === undefined || expected.get(edge.from) !== "completed") continue
        const from = g.nodes.find((n) => n.id === edge.from)!
        const fired = edge.when === undefined || (from.config as { if: boolean }).if === (edge.when === "true")
        if (!fired) continue
        expect(completedAt.get(edge.from)).toBeLessThan(start)
        checked++
      }
      expect(checked).toBeGreaterThan(0)
    }), runs)

  it.effect.prop("the result does not depend on scheduling: one branch at a time or all at once", [arbGraph()], ([g]) =>
    Effect.gen(function* () {
      const serial = yield* runUnderClock(g, 1)
      const parallel = yield* runUnderClock(g, "unbounded")
      expect(parallel.outcome.output).toEqual(serial.outcome.output)
      const outputs = (steps: typeof serial.execution.steps) =>
        Object.fromEntries(steps.map((s) => [s.nodeId, { status: s.status, input: s.input, output: s.output }]))
      expect(outputs(parallel.execution.steps)).toEqual(outputs(serial.execution.steps))
    }), runs)
})
