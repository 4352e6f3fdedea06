import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Either, Layer, Option } from "effect"
import { makeExecutionRepoMemory } from "../../src/adapters/memory/ExecutionRepo.ts"
import { NodeFailed, Unavailable } from "../../src/domain/errors.ts"
import type { Step } from "../../src/domain/Execution.ts"
import { makeJournal } from "../../src/interpreter/journal.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"

const ORG = "org-journal"

/**
 * A memory ExecutionRepo whose `recordSteps` can be held (a slow database) or refused (one that is
 * down), and that keeps every batch it was given.
 */
const makeRepo = Effect.gen(function* () {
  const inner = makeExecutionRepoMemory()
  const executionId = crypto.randomUUID()
  yield* inner.create({ id: executionId, organizationId: ORG, workflowId: crypto.randomUUID(), workflowVersion: 1, threadId: "t", status: "running", input: {} })
  const batches: Array<ReadonlyArray<string>> = []
  const state = { down: false, gate: undefined as Deferred.Deferred<void> | undefined }
  const repo: ExecutionRepo["Type"] = {
    ...inner,
    recordSteps: (ref, steps) =>
      Effect.suspend(() => (state.gate === undefined ? Effect.void : Deferred.await(state.gate))).pipe(
        Effect.zipRight(Effect.suspend(() => {
          if (state.down) return Effect.fail(new Unavailable({ dependency: "database", message: "connection refused" }))
          batches.push(steps.map((s) => `${s.id}=${s.status}`))
          return inner.recordSteps(ref, steps)
        }))
      )
  }
  const stored = Effect.map(inner.get(ORG, executionId), (found) => Option.getOrThrow(found).steps.map((s: Step) => `${s.id}=${s.status}`))
  return { layer: Layer.succeed(ExecutionRepo, repo), ref: { organizationId: ORG, executionId }, batches, state, stored }
})

const start = (id: string) => ({ id, nodeId: id.split(":")[0]!, stepName: "transform", attempt: 1, input: { id } })

describe("journal", () => {
  it.effect("writes behind the run: steps do not wait for the database, and flush stores every record in first-queued order", () =>
    Effect.gen(function* () {
      const { layer, ref, batches, state, stored } = yield* makeRepo
      state.gate = yield* Deferred.make<void>()
      const journal = yield* makeJournal(ref).pipe(Effect.provide(layer))
      // The database holds every write; the steps still run to the end.
      expect(yield* journal.step(start("trigger:1"), Effect.succeed("t"), { isPure: true })).toBe("t")
      expect(yield* journal.step(start("send:1"), Effect.succeed("s"))).toBe("s")
      yield* journal.skipped(start("other:0"))
      expect(yield* journal.step(start("last:1"), Effect.succeed("l"))).toBe("l")
      expect(yield* stored).toEqual([])
      yield* Deferred.succeed(state.gate, undefined)
      yield* journal.flush
      expect(yield* stored).toEqual(["trigger:1=completed", "send:1=completed", "other:0=skipped", "last:1=completed"])
      // Six records (two `running`, four outcomes) in at most two writes: the one the writer took first,
      // then all that queued while it was held; a step appears at most once in a write.
      expect(batches.length).toBeGreaterThan(0)
      expect(batches.length).toBeLessThanOrEqual(2)
      for (const batch of batches) expect(new Set(batch.map((r) => r.split("=")[0])).size).toBe(batch.length)
    }))

  it.effect("a step that fails is recorded as an error with its message, and its failure goes on", () =>
    Effect.gen(function* () {
      const { layer, ref, stored } = yield* makeRepo
      const journal = yield* makeJournal(ref).pipe(Effect.provide(layer))
      const failed = yield* Effect.either(journal.step(start("http:1"), Effect.fail(new NodeFailed({ code: "http_error", message: "503 from upstream" }))))
      expect(Either.isLeft(failed) && failed.left.message).toBe("503 from upstream")
      yield* journal.flush
      expect(yield* stored).toEqual(["http:1=error"])
    }))

  it.effect("a database that is down: the next step fails as unavailable, and flush stores what was queued once it is back", () =>
    Effect.gen(function* () {
      const { layer, ref, state, stored } = yield* makeRepo
      const journal = yield* makeJournal(ref).pipe(Effect.provide(layer))
      state.down = true
      yield* journal.step(start("trigger:1"), Effect.succeed(1), { isPure: true })
      const flushFailed = yield* Effect.either(journal.flush)
      expect(Either.isLeft(flushFailed) && flushFailed.left).toMatchObject({ code: "unavailable", message: "step log: connection refused" })
      // A write failed: the next step is refused rather than run unlogged.
      let ran = false
      const refused = yield* Effect.either(journal.step(start("send:1"), Effect.sync(() => (ran = true))))
      expect(Either.isLeft(refused) && refused.left).toMatchObject({ code: "unavailable", message: "step log: connection refused" })
      expect(ran).toBe(false)
      expect(yield* stored).toEqual([])
      state.down = false
      yield* journal.flush
      expect(yield* stored).toEqual(["trigger:1=completed"])
      // Once stored again, steps run and are logged as before.
      yield* journal.step(start("send:2"), Effect.succeed(3))
      yield* journal.flush
      expect(yield* stored).toEqual(["trigger:1=completed", "send:2=completed"])
    }))

  it.effect("settle waits for the write in flight and hands over what was not written, a failed batch first", () =>
    Effect.gen(function* () {
      const { layer, ref, state, stored } = yield* makeRepo
      const preceding = { ...start("accumulator:1"), status: "completed" as const, output: { n: 1 }, error: null, durationMs: 0, startedAt: "2026-11-25T10:00:00.000Z", finishedAt: "2026-11-25T10:00:00.000Z" }
      const journal = yield* makeJournal(ref, [preceding]).pipe(Effect.provide(layer))
      state.down = true
      yield* journal.step(start("http:1"), Effect.succeed("h"))
      // The writer took [accumulator, http] and failed; they are put back, in front of what came after.
      expect(Either.isLeft(yield* Effect.either(journal.flush))).toBe(true)
      state.down = false
      const handed = yield* journal.settle
      expect(handed.map((s) => `${s.id}=${s.status}`)).toEqual(["accumulator:1=completed", "http:1=completed"])
      // Handed over, not written: the caller stores them with the outcome.
      expect(yield* stored).toEqual([])
      expect(yield* journal.settle).toEqual([])
    }))
})
