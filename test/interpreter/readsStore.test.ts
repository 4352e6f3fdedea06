import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer } from "effect"
import { executeWorkflow } from "../../src/application/ExecuteWorkflow.ts"
import { makeMemoryWorld } from "../../src/adapters/memory/World.ts"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import { planOf } from "../../src/interpreter/plan.ts"
import { Store } from "../../src/ports/Store.ts"
import { graphDoc, ORG, request } from "../support/run.ts"

const trigger = { id: "trigger", type: "trigger", config: {} }
const show = (set: Record<string, unknown>) => ({ id: "show", type: "transform", config: { set } })

const decoded = (set: Record<string, unknown>) => {
  const workflow = decodeWorkflow(graphDoc([trigger, show(set)], [{ from: "trigger", to: "show" }]))
  if (Either.isLeft(workflow)) throw new Error(JSON.stringify(workflow.left.issues))
  return { ...workflow.right, id: "00000000-0000-4000-8000-000000000003", organizationId: ORG, version: 1 }
}

/** Runs `set` as a transform with `store.thread.greeting` saved beforehand; counts the store's loads. */
const runCounting = (set: Record<string, unknown>) =>
  Effect.gen(function* () {
    const workflow = decoded(set)
    const world = yield* makeMemoryWorld()
    const ref = { organizationId: ORG, workflowId: workflow.id, threadId: request().threadId }
    yield* world.store.save(ref, "thread", { greeting: "olá" })
    let loads = 0
    const counting = Layer.succeed(Store, { ...world.store, load: (r) => Effect.suspend(() => ((loads += 1), world.store.load(r))) })
    const outcome = yield* executeWorkflow(workflow, request()).pipe(Effect.provide(Layer.merge(world.layer, counting)))
    return { output: outcome.output, loads }
  })

describe("stored values are loaded only for a graph that may read them", () => {
  it.effect("a graph that never names the store runs without loading it", () =>
    Effect.gen(function* () {
      const { output, loads } = yield* runCounting({ text: "{{input.aggregatedInput}}", n: { "+": [{ var: "vars.n" }, 1] } })
      expect(loads).toBe(0)
      expect(output).toEqual({ show: { text: "oi", n: 1 } })
    }))

  it.effect("a template or a JsonLogic path naming store.* loads it", () =>
    Effect.gen(function* () {
      const { output, loads } = yield* runCounting({ a: "{{store.thread.greeting}}", b: { var: "store.thread.greeting" } })
      expect(loads).toBe(1)
      expect(output).toEqual({ show: { a: "olá", b: "olá" } })
    }))

  it.effect("a path computed at run time, or the whole scope, loads it too", () =>
    Effect.gen(function* () {
      const computed = yield* runCounting({ a: { var: { cat: ["sto", "re.thread.greeting"] } } })
      expect(computed).toEqual({ output: { show: { a: "olá" } }, loads: 1 })
      const whole = yield* runCounting({ all: { var: "" } })
      expect(whole.loads).toBe(1)
      expect((whole.output as { show: { all: { store: unknown } } }).show.all.store).toEqual({ thread: { greeting: "olá" }, workflow: {} })
    }))

  it("the plan's verdict on each way a graph can reach the store", () => {
    const reads = (set: Record<string, unknown>) => planOf(decoded(set).graph).readsStore
    expect(reads({ a: "{{input.aggregatedInput}}" })).toBe(false)
    expect(reads({ a: { var: "nodes.trigger.output" } })).toBe(false)
    expect(reads({ a: { var: ["vars.x", 0] } })).toBe(false)
    expect(reads({ a: "{{store.workflow.runs}}" })).toBe(true)
    expect(reads({ a: { var: ["store.thread.x", 0] } })).toBe(true)
    expect(reads({ a: { var: "" } })).toBe(true)
    expect(reads({ a: { var: [""] } })).toBe(true)
    expect(reads({ a: { var: { cat: ["a", "b"] } } })).toBe(true)
    expect(reads({ a: { var: [{ cat: ["a", "b"] }, 0] } })).toBe(true)
    expect(reads({ a: { val: ["input"] } })).toBe(true)
    expect(reads({ a: { missing: ["x"] } })).toBe(true)
    expect(reads({ a: { exists: ["x"] } })).toBe(true)
  })
})
