import { expect } from "@effect/vitest"
import { DateTime, Effect, Option } from "effect"
import { WorkflowRepo } from "../../src/ports/WorkflowRepo.ts"
import { type ContractIt, freshOrg, workflowFor } from "./fixtures.ts"

/** What every WorkflowRepo must do. */
export const workflowRepoContract = (it: ContractIt) => {
  it.effect("saves and reads back a workflow exactly, within its organization", () =>
    Effect.gen(function* () {
      const repo = yield* WorkflowRepo
      const org = freshOrg()
      const wf = workflowFor(org)
      yield* repo.save(wf)
      const read = Option.getOrThrow(yield* repo.get(org, wf.id))
      expect(read).toEqual(wf)
      expect(yield* repo.get(freshOrg(), wf.id)).toEqual(Option.none())
    }))

  it.effect("a save with the same id replaces the document (the caller bumps version)", () =>
    Effect.gen(function* () {
      const repo = yield* WorkflowRepo
      const org = freshOrg()
      const wf = workflowFor(org)
      yield* repo.save(wf)
      yield* repo.save({ ...wf, name: "Renamed", version: 2, updatedAt: DateTime.unsafeMake(new Date(Date.now() + 1000)) })
      const read = Option.getOrThrow(yield* repo.get(org, wf.id))
      expect([read.name, read.version]).toEqual(["Renamed", 2])
    }))

  it.effect("lists newest first with an opaque cursor that walks every page once", () =>
    Effect.gen(function* () {
      const repo = yield* WorkflowRepo
      const org = freshOrg()
      const base = Date.parse("2026-01-01T00:00:00Z")
      // Two share a timestamp: the id breaks the tie, and no page loses or repeats one.
      const saved = [0, 1, 2, 2, 3].map((s, i) => workflowFor(org, { name: `wf${i}`, createdAt: new Date(base + s * 1000) }))
      for (const wf of saved) yield* repo.save(wf)
      const seen: Array<string> = []
      let cursor: string | undefined
      for (let page = 0; page < 10; page++) {
        const result = yield* repo.list(org, 2, cursor)
        seen.push(...result.items.map((w) => w.id))
        if (result.nextCursor === null) break
        cursor = result.nextCursor
      }
      const expected = [...saved].sort((a, b) => DateTime.toEpochMillis(b.createdAt) - DateTime.toEpochMillis(a.createdAt) || b.id.localeCompare(a.id)).map((w) => w.id)
      expect(seen).toEqual(expected)
    }))

  it.effect("remove is a soft delete: gone from get and list, answered once", () =>
    Effect.gen(function* () {
      const repo = yield* WorkflowRepo
      const org = freshOrg()
      const wf = workflowFor(org)
      yield* repo.save(wf)
      expect(yield* repo.remove(org, wf.id)).toBe(true)
      expect(yield* repo.remove(org, wf.id)).toBe(false)
      expect(yield* repo.get(org, wf.id)).toEqual(Option.none())
      expect((yield* repo.list(org, 10)).items).toEqual([])
    }))

  it.effect("no method reads or writes another organization's workflow", () =>
    Effect.gen(function* () {
      const repo = yield* WorkflowRepo
      const owner = freshOrg()
      const other = freshOrg()
      const wf = workflowFor(owner)
      yield* repo.save(wf)
      expect(yield* repo.get(other, wf.id)).toEqual(Option.none())
      expect((yield* repo.list(other, 10)).items).toEqual([])
      expect(yield* repo.remove(other, wf.id)).toBe(false)
      yield* repo.save({ ...workflowFor(other, { id: wf.id, name: "hijack" }) })
      expect(Option.getOrThrow(yield* repo.get(owner, wf.id)).name).toBe(wf.name)
      expect(yield* repo.get(other, wf.id)).toEqual(Option.none())
    }))
}
