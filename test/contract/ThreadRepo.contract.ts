import { expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Store } from "../../src/ports/Store.ts"
import { ThreadRepo } from "../../src/ports/ThreadRepo.ts"
import { type ContractIt, freshOrg, uuid } from "./fixtures.ts"

/** What every ThreadRepo and Store must do. */
export const threadRepoContract = (it: ContractIt) => {
  it.effect("touch creates a thread once, merges metadata; setStatus escalates and resumes; remove erases it", () =>
    Effect.gen(function* () {
      const repo = yield* ThreadRepo
      const key = { organizationId: freshOrg(), threadId: "5511999" }
      expect(yield* repo.get(key)).toEqual(Option.none())
      const created = yield* repo.touch(key, { name: "João" })
      expect(created).toMatchObject({ ...key, status: "active", messageCount: 0, metadata: { name: "João" } })
      yield* repo.touch(key, { plan: "pro" })
      yield* repo.setStatus(key, "escalated")
      expect(Option.getOrThrow(yield* repo.get(key))).toMatchObject({ status: "escalated", metadata: { name: "João", plan: "pro" } })
      yield* repo.setStatus(key, "active")
      expect(Option.getOrThrow(yield* repo.get(key)).status).toBe("active")
      yield* repo.remove(key)
      expect(yield* repo.get(key)).toEqual(Option.none())
    }))

  it.effect("the same thread id in two organizations is two threads", () =>
    Effect.gen(function* () {
      const repo = yield* ThreadRepo
      const a = { organizationId: freshOrg(), threadId: "5511999" }
      const b = { organizationId: freshOrg(), threadId: "5511999" }
      yield* repo.touch(a, { who: "a" })
      yield* repo.setStatus(b, "escalated")
      yield* repo.remove(b)
      expect(Option.getOrThrow(yield* repo.get(a))).toMatchObject({ status: "active", metadata: { who: "a" } })
    }))

  it.effect("store values merge per thread and per workflow, per organization", () =>
    Effect.gen(function* () {
      const store = yield* Store
      const ref = { organizationId: freshOrg(), workflowId: uuid(), threadId: "5511999" }
      yield* store.save(ref, "thread", { a: 1 })
      yield* store.save(ref, "thread", { b: "two" })
      yield* store.save(ref, "workflow", { runs: 3 })
      expect(yield* store.load(ref)).toEqual({ thread: { a: 1, b: "two" }, workflow: { runs: 3 } })
      expect(yield* store.load({ ...ref, organizationId: freshOrg() })).toEqual({ thread: {}, workflow: {} })
    }))
}
