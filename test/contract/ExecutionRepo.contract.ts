import { expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ExecutionRepo, type NewExecution } from "../../src/ports/ExecutionRepo.ts"
import { ThreadRepo } from "../../src/ports/ThreadRepo.ts"
import { type ContractIt, freshOrg, stepFor, uuid } from "./fixtures.ts"

const newExecution = (organizationId: string, overrides: Partial<NewExecution> = {}): NewExecution => ({
  id: uuid(),
  organizationId,
  workflowId: uuid(),
  workflowVersion: 1,
  threadId: "5511999",
  status: "running",
  input: { threadId: "5511999", input: { aggregatedInput: "oi" }, context: { instanceId: "i" } },
  ...overrides
})

/** A new execution of a fresh organization, recorded. */
const createdExecution = Effect.gen(function* () {
  const repo = yield* ExecutionRepo
  const org = freshOrg()
  const e = newExecution(org)
  yield* repo.create(e)
  return { repo, org, e, ref: { organizationId: org, executionId: e.id } }
})

/** What every ExecutionRepo must do. */
export const executionRepoContract = (it: ContractIt) => {
  it.effect("begin records a new execution running and creates its thread, in one call", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const threads = yield* ThreadRepo
      const org = freshOrg()
      const { status: _, ...e } = newExecution(org, { threadId: "5511000000001" })
      const thread = yield* repo.begin({ execution: e })
      expect(thread).toMatchObject({ organizationId: org, threadId: "5511000000001", status: "active" })
      expect(Option.getOrThrow(yield* repo.get(org, e.id))).toMatchObject({ id: e.id, status: "running", input: e.input, threadId: "5511000000001" })
      expect(Option.getOrThrow(yield* threads.get({ organizationId: org, threadId: "5511000000001" })).status).toBe("active")
    }))

  it.effect("begin answers the thread as it is: an escalated thread stays escalated, its activity moves on", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const threads = yield* ThreadRepo
      const org = freshOrg()
      const key = { organizationId: org, threadId: "5511000000002" }
      yield* threads.touch(key, { name: "Ana" })
      yield* threads.setStatus(key, "escalated")
      const before = Option.getOrThrow(yield* threads.get(key))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      const { status: _, ...e } = newExecution(org, { threadId: key.threadId })
      const thread = yield* repo.begin({ execution: e })
      expect(thread).toMatchObject({ status: "escalated", metadata: { name: "Ana" } })
      expect(Date.parse(thread.lastActivityAt)).toBeGreaterThan(Date.parse(before.lastActivityAt))
      expect(Option.getOrThrow(yield* repo.get(org, e.id)).status).toBe("running")
    }))

  it.effect("begin moves a pending execution to running, only within its organization", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const org = freshOrg()
      const e = newExecution(org, { status: "pending" })
      yield* repo.create(e)
      yield* repo.begin({ pending: { organizationId: freshOrg(), executionId: e.id }, threadId: e.threadId })
      expect(Option.getOrThrow(yield* repo.get(org, e.id)).status).toBe("pending")
      const thread = yield* repo.begin({ pending: { organizationId: org, executionId: e.id }, threadId: e.threadId })
      expect(thread).toMatchObject({ organizationId: org, threadId: e.threadId, status: "active" })
      expect(Option.getOrThrow(yield* repo.get(org, e.id))).toMatchObject({ status: "running", input: e.input })
    }))

  it.effect("records an execution, its steps (upserted by step id, in first-recorded order) and its outcome", () =>
    Effect.gen(function* () {
      const { repo, org, e, ref } = yield* createdExecution
      yield* repo.recordSteps(ref, [stepFor("trigger:1", { status: "running", output: null, finishedAt: null, durationMs: null })])
      yield* repo.recordSteps(ref, [stepFor("agent:1")])
      yield* repo.recordSteps(ref, [stepFor("trigger:1")])
      yield* repo.setStatus(ref, "error", { output: { agent: { reply: "x" } }, error: { code: "timeout", message: "slow", nodeId: "agent" } })
      const read = Option.getOrThrow(yield* repo.get(org, e.id))
      expect(read).toMatchObject({
        id: e.id, organizationId: org, workflowId: e.workflowId, workflowVersion: 1, threadId: "5511999", status: "error",
        input: e.input, output: { agent: { reply: "x" } }, error: { code: "timeout", message: "slow", nodeId: "agent" }
      })
      expect(read.finishedAt).not.toBeNull()
      expect(read.steps).toEqual([stepFor("trigger:1"), stepFor("agent:1")])
    }))

  it.effect("records a batch of steps in the order given, after the steps stored before it, replacing those it names again", () =>
    Effect.gen(function* () {
      const { repo, org, e, ref } = yield* createdExecution
      const running = (id: string) => stepFor(id, { status: "running", output: null, finishedAt: null, durationMs: null })
      yield* repo.recordSteps(ref, [])
      yield* repo.recordSteps(ref, [stepFor("trigger:1"), running("send:1")])
      // Later nodes first on purpose: the order given is the order kept, not sorted by id.
      yield* repo.recordSteps(ref, [stepFor("z:1", { input: null, output: null }), stepFor("send:1", { output: { ok: "é \" ' 🙂" } }), stepFor("b:1", { input: "plain text" })])
      const read = Option.getOrThrow(yield* repo.get(org, e.id))
      expect(read.steps).toEqual([
        stepFor("trigger:1"),
        stepFor("send:1", { output: { ok: "é \" ' 🙂" } }),
        stepFor("z:1", { input: null, output: null }),
        stepFor("b:1", { input: "plain text" })
      ])
    }))

  it.effect("a status set with steps records them in the same call, after the steps stored before", () =>
    Effect.gen(function* () {
      const { repo, org, e, ref } = yield* createdExecution
      yield* repo.recordSteps(ref, [stepFor("trigger:1"), stepFor("agent:1", { status: "running", output: null, finishedAt: null, durationMs: null })])
      yield* repo.setStatus(ref, "completed", { steps: [stepFor("agent:1"), stepFor("send:1")] })
      yield* repo.setStatus(ref, "completed", { output: { send: { ok: true } }, steps: [stepFor("last:1")] })
      const read = Option.getOrThrow(yield* repo.get(org, e.id))
      expect(read.status).toBe("completed")
      expect(read.output).toEqual({ send: { ok: true } })
      expect(read.steps).toEqual([stepFor("trigger:1"), stepFor("agent:1"), stepFor("send:1"), stepFor("last:1")])
      // Another organization's status call writes no step.
      yield* repo.setStatus({ organizationId: freshOrg(), executionId: e.id }, "error", { steps: [stepFor("evil:1")] })
      expect(Option.getOrThrow(yield* repo.get(org, e.id)).steps.map((s) => s.id)).toEqual(["trigger:1", "agent:1", "send:1", "last:1"])
    }))

  it.effect("lists newest first, filtered by workflow, thread and status, page by page without gaps or repeats", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const org = freshOrg()
      const workflowId = uuid()
      const created: Array<string> = []
      for (let i = 0; i < 7; i++) {
        const e = newExecution(org, { workflowId: i % 2 === 0 ? workflowId : uuid(), threadId: `t${i % 3}`, status: i < 4 ? "completed" : "running" })
        yield* repo.create(e)
        created.push(e.id)
      }
      const walk = (query: Omit<Parameters<typeof repo.list>[0], "cursor" | "limit" | "organizationId">) =>
        Effect.gen(function* () {
          const ids: Array<string> = []
          let cursor: string | undefined
          for (let page = 0; page < 20; page++) {
            const result = yield* repo.list({ organizationId: org, limit: 2, ...query, ...(cursor === undefined ? {} : { cursor }) })
            ids.push(...result.items.map((x) => x.id))
            if (result.nextCursor === null) return ids
            cursor = result.nextCursor
          }
          return ids
        })
      const all = yield* walk({})
      expect([...all].sort()).toEqual([...created].sort())
      const first = Option.getOrThrow(yield* repo.get(org, all[0]!))
      const last = Option.getOrThrow(yield* repo.get(org, all[all.length - 1]!))
      expect(first.startedAt >= last.startedAt).toBe(true)
      expect((yield* walk({ workflowId })).sort()).toEqual(created.filter((_, i) => i % 2 === 0).sort())
      expect((yield* walk({ threadId: "t1" })).sort()).toEqual(created.filter((_, i) => i % 3 === 1).sort())
      expect((yield* walk({ status: "running" })).sort()).toEqual(created.slice(4).sort())
      const page = yield* repo.list({ organizationId: org, limit: 10 })
      expect(page.items[0]).not.toHaveProperty("input")
    }))

  it.effect("remove is a soft delete; purge erases soft-deleted and old executions", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const org = freshOrg()
      const kept = newExecution(org)
      const deleted = newExecution(org)
      yield* repo.create(kept)
      yield* repo.create(deleted)
      expect(yield* repo.remove(org, deleted.id)).toBe(true)
      expect(yield* repo.remove(org, deleted.id)).toBe(false)
      expect(yield* repo.get(org, deleted.id)).toEqual(Option.none())
      expect((yield* repo.list({ organizationId: org, limit: 10 })).items.map((e) => e.id)).toEqual([kept.id])
      expect(yield* repo.purge(new Date(Date.now() - 60_000))).toBeGreaterThanOrEqual(1)
      expect(yield* repo.get(org, kept.id)).not.toEqual(Option.none())
      expect(yield* repo.purge(new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1)
      expect(yield* repo.get(org, kept.id)).toEqual(Option.none())
    }))

  it.effect("no method reads or writes another organization's execution", () =>
    Effect.gen(function* () {
      const repo = yield* ExecutionRepo
      const owner = freshOrg()
      const other = freshOrg()
      const e = newExecution(owner)
      yield* repo.create(e)
      yield* repo.recordSteps({ organizationId: owner, executionId: e.id }, [stepFor("trigger:1")])
      const foreign = { organizationId: other, executionId: e.id }
      yield* repo.setStatus(foreign, "completed", { output: { stolen: true } })
      yield* repo.recordSteps(foreign, [stepFor("trigger:1", { output: "overwritten" }), stepFor("evil:1")])
      expect(yield* repo.get(other, e.id)).toEqual(Option.none())
      expect((yield* repo.list({ organizationId: other, limit: 10 })).items).toEqual([])
      expect(yield* repo.remove(other, e.id)).toBe(false)
      const read = Option.getOrThrow(yield* repo.get(owner, e.id))
      expect([read.status, read.output]).toEqual(["running", null])
      expect(read.steps).toEqual([stepFor("trigger:1")])
    }))
}
