import { expect, type Vitest } from "@effect/vitest"
import { Effect, Option, TestServices } from "effect"
import type { AccumulatorConfig } from "../../src/domain/Accumulator.ts"
import type { InputMessage } from "../../src/domain/RunRequest.ts"
import { type AppendResult, type Arrival, type BurstKey, Bursts, type TakeResult, type ClosedBurst } from "../../src/ports/Bursts.ts"
import { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"
import { freshOrg, uuid } from "./fixtures.ts"

/** The `it` the Bursts suite registers its tests on: Bursts and the ExecutionRepo its executions go to. */
export type BurstsIt = Vitest.MethodsNonLive<Bursts | ExecutionRepo>

const second = 1000
const hour = 3600 * second
const day = 24 * hour

/**
 * A test's time origin, a week in the past: windows follow the explicit `now`s, and keeping every `now`
 * before the real time keeps them from pushing ahead any clock an adapter keeps for leases.
 */
const origin = () => Date.now() - 7 * day
const at = (t0: number, ms: number) => new Date(t0 + ms)

const accumulator = (overrides: Partial<AccumulatorConfig> = {}): AccumulatorConfig => ({
  enabled: true, timeoutSeconds: 5, maxWaitSeconds: 12, maxMessages: 10, resetOnNewMessage: true, separator: "\n\n", ...overrides
})

const keyIn = (organizationId: string, overrides: Partial<BurstKey> = {}): BurstKey => ({
  organizationId, workflowId: uuid(), threadId: "5511999999999", ...overrides
})

const message = (content: string, id?: string): InputMessage => ({ content, type: "text", ...(id === undefined ? {} : { id }) })

const arrival = (messages: ReadonlyArray<InputMessage>, overrides: Partial<Arrival> = {}): Arrival => ({
  messages, sender: { phone: "5511999999999", name: "João" }, context: { instanceId: "inst-1" }, sealedSecret: null, workflowVersion: 1,
  ...overrides
})

const accepted = (result: AppendResult) => {
  if (result._tag !== "Accepted") throw new Error(`expected Accepted, got ${JSON.stringify(result)}`)
  return result
}

const claimed = (result: TakeResult): ClosedBurst => {
  if (result._tag !== "Claimed") throw new Error(`expected Claimed, got ${result._tag}`)
  return result.burst
}

const contents = (burst: ClosedBurst) => burst.messages.map((m) => m.content)

/**
 * Runs a lease test on the real clock, whatever clock the suite runs under: leases on PostgreSQL follow
 * the database's `now()`, so every adapter is held to real time there.
 */
const inRealTime = <A, E, R>(test: Effect.Effect<A, E, R>) => TestServices.provideLive(test)

/** Polls `check` until it holds; fails the test past the deadline. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, deadlineMs = 5000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + deadlineMs
    while (Date.now() < deadline) {
      if (yield* check) return
      yield* Effect.sleep("25 millis")
    }
    return yield* Effect.dieMessage(`not within ${deadlineMs} ms: ${what}`)
  })

/** Whether the sweeper would find the burst overdue now (no grace). */
const isOverdue = (executionId: string) =>
  Effect.flatMap(Bursts, (bursts) => Effect.suspend(() => bursts.overdue(new Date(), 0))).pipe(
    Effect.map((list) => list.some((b) => b.executionId === executionId))
  )

/** Opens a burst of `key` at `t0` with `messages`, closes it at its window's end; answers its execution id. */
const closedBurst = (key: BurstKey, t0: number, messages: ReadonlyArray<InputMessage> = [message("oi")]) =>
  Effect.gen(function* () {
    const bursts = yield* Bursts
    const opened = accepted(yield* bursts.append(key, arrival(messages), accumulator(), at(t0, 0)))
    expect(yield* bursts.close(opened.executionId, opened.flushAt)).toEqual({ _tag: "Closed" })
    return opened.executionId
  })

/** What every Bursts adapter must do (§5.1). */
export const burstsContract = (it: BurstsIt) => {
  it.effect("appends to one organization + workflow + thread join one burst: same execution, only the first opens it", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const first = accepted(yield* bursts.append(key, arrival([message("m1")]), accumulator(), at(t0, 0)))
      const second_ = accepted(yield* bursts.append(key, arrival([message("m2")]), accumulator(), at(t0, 1 * second)))
      const third = accepted(yield* bursts.append(key, arrival([message("m3")]), accumulator(), at(t0, 2 * second)))
      expect([first.isNew, second_.isNew, third.isNew]).toEqual([true, false, false])
      expect(new Set([first.executionId, second_.executionId, third.executionId]).size).toBe(1)
      const execution = Option.getOrThrow(yield* (yield* ExecutionRepo).get(key.organizationId, first.executionId))
      expect(execution).toMatchObject({ status: "pending", workflowId: key.workflowId, threadId: key.threadId, workflowVersion: 1 })
    }))

  it.effect("with resetOnNewMessage the window ends timeoutSeconds after the last message, never later than maxWaitSeconds after the first", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const config = accumulator({ timeoutSeconds: 5, maxWaitSeconds: 12, resetOnNewMessage: true })
      const flushes: Array<number> = []
      for (const s of [0, 3, 6, 9]) {
        flushes.push(accepted(yield* bursts.append(key, arrival([message(`at ${s}`)]), config, at(t0, s * second))).flushAt.getTime() - t0)
      }
      expect(flushes).toEqual([5, 8, 11, 12].map((s) => s * second))
      const executionId = accepted(yield* bursts.append(key, arrival([message("at 11")]), config, at(t0, 11 * second))).executionId
      expect(yield* bursts.close(executionId, at(t0, 12 * second - 1))).toEqual({ _tag: "NotDue", flushAt: at(t0, 12 * second) })
      expect(yield* bursts.close(executionId, at(t0, 12 * second))).toEqual({ _tag: "Closed" })
    }))

  it.effect("without resetOnNewMessage the window ends timeoutSeconds after the first message, whatever follows", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const config = accumulator({ timeoutSeconds: 5, resetOnNewMessage: false })
      const flushes: Array<number> = []
      for (const s of [0, 2, 4.5]) {
        flushes.push(accepted(yield* bursts.append(key, arrival([message(`at ${s}`)]), config, at(t0, s * second))).flushAt.getTime() - t0)
      }
      expect(flushes).toEqual([5 * second, 5 * second, 5 * second])
    }))

  it.effect("reaching maxMessages makes the burst due at once, also when one arrival brings them all", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const org = freshOrg()
      const t0 = origin()
      const config = accumulator({ maxMessages: 3 })
      const key = keyIn(org)
      accepted(yield* bursts.append(key, arrival([message("m1")]), config, at(t0, 0)))
      expect(accepted(yield* bursts.append(key, arrival([message("m2")]), config, at(t0, 1 * second))).flushAt).toEqual(at(t0, 6 * second))
      const full = accepted(yield* bursts.append(key, arrival([message("m3")]), config, at(t0, 2 * second)))
      expect(full.flushAt).toEqual(at(t0, 2 * second))
      expect(yield* bursts.close(full.executionId, at(t0, 2 * second))).toEqual({ _tag: "Closed" })

      const atOnce = accepted(yield* bursts.append(keyIn(org), arrival([message("a"), message("b"), message("c")]), config, at(t0, 0)))
      expect(atOnce).toMatchObject({ isNew: true, flushAt: at(t0, 0) })
    }))

  it.effect("with the accumulator disabled or absent every arrival is a burst of its own, due and claimable at once", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const results: Array<AppendResult & { _tag: "Accepted" }> = []
      for (const [i, config] of [accumulator({ enabled: false }), undefined, accumulator({ enabled: false }), undefined].entries()) {
        results.push(accepted(yield* bursts.append(key, arrival([message(`m${i}`)]), config, at(t0, i * second))))
      }
      expect(results.map((r) => r.isNew)).toEqual([true, true, true, true])
      expect(new Set(results.map((r) => r.executionId)).size).toBe(4)
      expect(results.map((r) => r.flushAt.getTime() - t0)).toEqual([0, 1, 2, 3].map((s) => s * second))
      for (const [i, r] of results.entries()) {
        const burst = claimed(yield* bursts.claim(r.executionId, "owner-1", 60_000))
        expect(contents(burst)).toEqual([`m${i}`])
        yield* bursts.release(r.executionId, "owner-1", true)
      }
    }))

  it.effect("close before the window ends is NotDue with the window end; at or after it Closed; then NotOpen", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const opened = accepted(yield* bursts.append(key, arrival([message("oi")]), accumulator(), at(t0, 0)))
      expect(yield* bursts.close(opened.executionId, at(t0, 4 * second))).toEqual({ _tag: "NotDue", flushAt: at(t0, 5 * second) })
      expect(yield* bursts.close(opened.executionId, at(t0, 5 * second))).toEqual({ _tag: "Closed" })
      expect(yield* bursts.close(opened.executionId, at(t0, 6 * second))).toEqual({ _tag: "NotOpen" })
      const late = accepted(yield* bursts.append(keyIn(freshOrg()), arrival([message("oi")]), accumulator(), at(t0, 0)))
      expect(yield* bursts.close(late.executionId, at(t0, 60 * second))).toEqual({ _tag: "Closed" })
      expect(yield* bursts.close(uuid(), at(t0, 0))).toEqual({ _tag: "NotOpen" })
    }))

  it.effect("an arrival after its burst closed opens a new burst with a new execution", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const first = yield* closedBurst(key, t0, [message("m1")])
      const next = accepted(yield* bursts.append(key, arrival([message("m2")]), accumulator(), at(t0, 6 * second)))
      expect(next.isNew).toBe(true)
      expect(next.executionId).not.toBe(first)
      expect(next.flushAt).toEqual(at(t0, 11 * second))
    }))

  it.effect("the closed burst's execution holds every message in order, joined with the separator", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const config = accumulator({ separator: " | " })
      const opened = accepted(yield* bursts.append(key, arrival([message("m1"), message("m2")]), config, at(t0, 0)))
      accepted(yield* bursts.append(key, arrival([message("m3")]), config, at(t0, 1 * second)))
      expect(yield* bursts.close(opened.executionId, at(t0, 6 * second))).toEqual({ _tag: "Closed" })
      const execution = Option.getOrThrow(yield* (yield* ExecutionRepo).get(key.organizationId, opened.executionId))
      expect(execution.input).toMatchObject({
        threadId: key.threadId,
        input: { aggregatedInput: "m1 | m2 | m3", sender: { phone: "5511999999999", name: "João" } },
        context: { instanceId: "inst-1" }
      })
      expect((execution.input as { input: { messages: Array<InputMessage> } }).input.messages.map((m) => m.content)).toEqual(["m1", "m2", "m3"])
    }))

  it.effect("take is NotDue before the window ends; at its end it closes the burst (recording its execution's input) and claims it", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const config = accumulator({ separator: " | " })
      const opened = accepted(yield* bursts.append(key, arrival([message("m1", "wamid-1"), message("m2", "wamid-1")]), config, at(t0, 0)))
      accepted(yield* bursts.append(key, arrival([{ content: "m3", type: "audio" }, { type: "image" } as InputMessage], { sender: undefined }), config, at(t0, 1 * second)))
      expect(yield* bursts.take(opened.executionId, "owner-1", 60_000, at(t0, 6 * second - 1))).toEqual({ _tag: "NotDue", flushAt: at(t0, 6 * second) })
      const burst = claimed(yield* bursts.take(opened.executionId, "owner-1", 60_000, at(t0, 6 * second)))
      expect(contents(burst)).toEqual(["m1", "m2", "m3", undefined])
      expect(burst).toMatchObject({ executionId: opened.executionId, key, firstAt: at(t0, 0), windowEnd: at(t0, 6 * second), closedAt: at(t0, 6 * second) })
      // A later arrival without a sender keeps the burst's sender.
      expect(burst.sender).toEqual({ phone: "5511999999999", name: "João" })
      const execution = Option.getOrThrow(yield* (yield* ExecutionRepo).get(key.organizationId, opened.executionId))
      expect(execution.input).toEqual({
        threadId: key.threadId,
        input: { messages: burst.messages, aggregatedInput: "m1 | m2 | m3 | ", sender: { phone: "5511999999999", name: "João" } },
        context: { instanceId: "inst-1" }
      })
      // Held: another owner cannot take it; the same message id twice in one arrival was accepted once.
      expect(yield* bursts.take(opened.executionId, "owner-2", 60_000, at(t0, 7 * second))).toEqual({ _tag: "Busy" })
      expect(yield* bursts.append(key, arrival([message("again", "wamid-1")]), config, at(t0, 8 * second))).toEqual({ _tag: "Duplicate", executionId: opened.executionId })
    }))

  it.effect("finish hands a burst back or completes it; completed, it answers the thread's next closed burst, which take then claims", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const first = accepted(yield* bursts.append(key, arrival([message("one")]), accumulator(), at(t0, 0)))
      claimed(yield* bursts.take(first.executionId, "owner-1", 60_000, at(t0, 5 * second)))
      const second_ = accepted(yield* bursts.append(key, arrival([message("two")]), accumulator(), at(t0, 6 * second)))
      expect(second_.isNew).toBe(true)
      // Due, so closed — but the thread is held by the first burst.
      expect(yield* bursts.take(second_.executionId, "owner-2", 60_000, at(t0, 11 * second))).toEqual({ _tag: "Busy" })
      expect(yield* bursts.finish(first.executionId, "owner-1", false)).toBeUndefined()
      expect(contents(claimed(yield* bursts.take(first.executionId, "owner-3", 60_000, at(t0, 12 * second))))).toEqual(["one"])
      expect(yield* bursts.finish(first.executionId, "owner-3", true)).toBe(second_.executionId)
      expect(contents(claimed(yield* bursts.take(second_.executionId, "owner-2", 60_000, at(t0, 12 * second))))).toEqual(["two"])
      expect(yield* bursts.finish(second_.executionId, "owner-2", true)).toBeUndefined()
      expect(yield* bursts.take(first.executionId, "owner-1", 60_000, at(t0, 13 * second))).toEqual({ _tag: "Done" })
      expect(yield* bursts.take(uuid(), "owner-1", 60_000, at(t0, 13 * second))).toEqual({ _tag: "Done" })
    }))

  it.effect("a message id accepted within 24 h makes the whole arrival a duplicate of the original execution, and records nothing", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const opened = accepted(yield* bursts.append(key, arrival([message("m1", "wamid-a")]), accumulator(), at(t0, 0)))
      accepted(yield* bursts.append(key, arrival([message("m2", "wamid-b")]), accumulator(), at(t0, 1 * second)))
      const again = yield* bursts.append(key, arrival([message("new", "wamid-c"), message("m1 again", "wamid-a")]), accumulator(), at(t0, 3 * second))
      expect(again).toEqual({ _tag: "Duplicate", executionId: opened.executionId })
      // Nothing recorded: the window did not move, and the burst holds only what was accepted.
      expect(yield* bursts.close(opened.executionId, at(t0, 6 * second))).toEqual({ _tag: "Closed" })
      const execution = Option.getOrThrow(yield* (yield* ExecutionRepo).get(key.organizationId, opened.executionId))
      expect(execution.input).toMatchObject({ input: { aggregatedInput: "m1\n\nm2" } })
      expect(contents(claimed(yield* bursts.claim(opened.executionId, "owner-1", 60_000)))).toEqual(["m1", "m2"])
      yield* bursts.release(opened.executionId, "owner-1", true)
      // Still a duplicate once the burst has run; the id that came with a duplicate was never accepted.
      expect(yield* bursts.append(key, arrival([message("m2 again", "wamid-b")]), accumulator(), at(t0, 1 * hour))).toEqual({ _tag: "Duplicate", executionId: opened.executionId })
      expect(accepted(yield* bursts.append(key, arrival([message("new", "wamid-c")]), accumulator(), at(t0, 1 * hour))).isNew).toBe(true)
    }))

  it.effect("message ids are per organization + workflow (any thread), and an id is accepted again after 24 h", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const org = freshOrg()
      const key = keyIn(org)
      const t0 = origin()
      const original = yield* closedBurst(key, t0, [message("oi", "wamid-1")])
      expect(yield* bursts.append({ ...key, threadId: "another-thread" }, arrival([message("oi", "wamid-1")]), accumulator(), at(t0, 1 * second)))
        .toEqual({ _tag: "Duplicate", executionId: original })
      expect(accepted(yield* bursts.append(keyIn(org), arrival([message("oi", "wamid-1")]), accumulator(), at(t0, 1 * second))).isNew).toBe(true)
      expect(accepted(yield* bursts.append(keyIn(freshOrg(), { workflowId: key.workflowId }), arrival([message("oi", "wamid-1")]), accumulator(), at(t0, 1 * second))).isNew).toBe(true)
      expect(yield* bursts.append(key, arrival([message("oi", "wamid-1")]), accumulator(), at(t0, day - 1 * second)))
        .toEqual({ _tag: "Duplicate", executionId: original })
      const later = accepted(yield* bursts.append(key, arrival([message("oi", "wamid-1")]), accumulator(), at(t0, day + 1 * second)))
      expect(later.executionId).not.toBe(original)
    }))

  it.effect("claim is Busy while the burst is open; once closed it is Claimed with messages in arrival order and the latest sender, context and secret", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const opened = accepted(yield* bursts.append(key, arrival([message("m1", "wamid-1"), message("m2")], { sealedSecret: "sealed-1", workflowVersion: 3 }), accumulator(), at(t0, 0)))
      accepted(yield* bursts.append(key, arrival([{ content: "m3", type: "audio", timestamp: "2024-12-13T10:00:00.000Z" }], {
        sender: { phone: "5511999999999", name: "João Silva" }, context: { instanceId: "inst-2" }, sealedSecret: null
      }), accumulator(), at(t0, 2 * second)))
      expect(yield* bursts.claim(opened.executionId, "owner-1", 60_000)).toEqual({ _tag: "Busy" })
      expect(yield* bursts.close(opened.executionId, at(t0, 7 * second + 250))).toEqual({ _tag: "Closed" })
      const burst = claimed(yield* bursts.claim(opened.executionId, "owner-1", 60_000))
      expect(burst).toEqual({
        executionId: opened.executionId,
        key,
        workflowVersion: 3,
        messages: [
          { content: "m1", id: "wamid-1", type: "text", timestamp: at(t0, 0).toISOString() },
          { content: "m2", type: "text", timestamp: at(t0, 0).toISOString() },
          { content: "m3", type: "audio", timestamp: "2024-12-13T10:00:00.000Z" }
        ],
        sender: { phone: "5511999999999", name: "João Silva" },
        context: { instanceId: "inst-2" },
        sealedSecret: "sealed-1",
        separator: "\n\n",
        firstAt: at(t0, 0),
        windowEnd: at(t0, 7 * second),
        closedAt: at(t0, 7 * second + 250)
      })
    }))

  it.effect("a claimed burst is Busy for another owner while its lease lasts; released done it is Done, released not done it is claimable again", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const t0 = origin()
      const handedBack = yield* closedBurst(keyIn(freshOrg()), t0)
      claimed(yield* bursts.claim(handedBack, "owner-1", 60_000))
      expect(yield* bursts.claim(handedBack, "owner-2", 60_000)).toEqual({ _tag: "Busy" })
      yield* bursts.release(handedBack, "owner-1", false)
      const retaken = claimed(yield* bursts.claim(handedBack, "owner-2", 60_000))
      expect(contents(retaken)).toEqual(["oi"])
      yield* bursts.release(handedBack, "owner-2", true)
      expect(yield* bursts.claim(handedBack, "owner-1", 60_000)).toEqual({ _tag: "Done" })
      expect(yield* bursts.claim(handedBack, "owner-2", 60_000)).toEqual({ _tag: "Done" })
      expect(yield* bursts.claim(uuid(), "owner-1", 60_000)).toEqual({ _tag: "Done" })
    }))

  it.effect("only the holder renews or releases a lease", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const executionId = yield* closedBurst(keyIn(freshOrg()), origin())
      claimed(yield* bursts.claim(executionId, "owner-1", 60_000))
      expect(yield* bursts.renew(executionId, "owner-1", 60_000)).toBe(true)
      expect(yield* bursts.renew(executionId, "owner-2", 60_000)).toBe(false)
      yield* bursts.release(executionId, "owner-2", true)
      yield* bursts.release(executionId, "owner-2", false)
      expect(yield* bursts.claim(executionId, "owner-3", 60_000)).toEqual({ _tag: "Busy" })
      yield* bursts.release(executionId, "owner-1", true)
      expect(yield* bursts.renew(executionId, "owner-1", 60_000)).toBe(false)
      expect(yield* bursts.claim(executionId, "owner-3", 60_000)).toEqual({ _tag: "Done" })
    }))

  it.effect("bursts of one thread run in order: a later one is Busy until the earlier one is released done", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const earlier = yield* closedBurst(key, t0, [message("m1")])
      const later = yield* closedBurst(key, t0 + 6 * second, [message("m2")])
      expect(yield* bursts.claim(later, "owner-2", 60_000)).toEqual({ _tag: "Busy" })
      claimed(yield* bursts.claim(earlier, "owner-1", 60_000))
      expect(yield* bursts.claim(later, "owner-2", 60_000)).toEqual({ _tag: "Busy" })
      yield* bursts.release(earlier, "owner-1", false)
      expect(yield* bursts.claim(later, "owner-2", 60_000)).toEqual({ _tag: "Busy" })
      claimed(yield* bursts.claim(earlier, "owner-1", 60_000))
      yield* bursts.release(earlier, "owner-1", true)
      expect(contents(claimed(yield* bursts.claim(later, "owner-2", 60_000)))).toEqual(["m2"])
    }))

  it.effect("a thread belongs to its organization: its bursts in different workflows run one at a time too", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const org = freshOrg()
      const t0 = origin()
      const inFirst = yield* closedBurst(keyIn(org, { threadId: "t" }), t0)
      const inSecond = yield* closedBurst(keyIn(org, { threadId: "t" }), t0 + 1 * second)
      claimed(yield* bursts.claim(inFirst, "owner-1", 60_000))
      expect(yield* bursts.claim(inSecond, "owner-2", 60_000)).toEqual({ _tag: "Busy" })
      yield* bursts.release(inFirst, "owner-1", true)
      claimed(yield* bursts.claim(inSecond, "owner-2", 60_000))
    }))

  it.effect("different threads do not block each other", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const org = freshOrg()
      const workflowId = uuid()
      const t0 = origin()
      const one = yield* closedBurst(keyIn(org, { workflowId, threadId: "t1" }), t0)
      const two = yield* closedBurst(keyIn(org, { workflowId, threadId: "t2" }), t0 + 1 * second)
      claimed(yield* bursts.claim(two, "owner-2", 60_000))
      claimed(yield* bursts.claim(one, "owner-1", 60_000))
    }))

  it.effect("organizations are apart: B's key never joins A's burst, sees no duplicate of A's ids, cannot read A's execution, is not blocked by A's thread", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const executions = yield* ExecutionRepo
      const orgA = freshOrg()
      const orgB = freshOrg()
      const workflowId = uuid()
      const t0 = origin()
      const a = accepted(yield* bursts.append(keyIn(orgA, { workflowId }), arrival([message("from A", "wamid-1")]), accumulator(), at(t0, 0)))
      const b = accepted(yield* bursts.append(keyIn(orgB, { workflowId }), arrival([message("from B", "wamid-1")]), accumulator(), at(t0, 1 * second)))
      expect(b.isNew).toBe(true)
      expect(b.executionId).not.toBe(a.executionId)
      expect(Option.isNone(yield* executions.get(orgB, a.executionId))).toBe(true)
      expect(Option.isSome(yield* executions.get(orgA, a.executionId))).toBe(true)
      expect(yield* bursts.close(a.executionId, at(t0, 10 * second))).toEqual({ _tag: "Closed" })
      expect(yield* bursts.close(b.executionId, at(t0, 10 * second))).toEqual({ _tag: "Closed" })
      const burstA = claimed(yield* bursts.claim(a.executionId, "owner-1", 60_000))
      const burstB = claimed(yield* bursts.claim(b.executionId, "owner-2", 60_000))
      expect([burstA.key.organizationId, contents(burstA)]).toEqual([orgA, ["from A"]])
      expect([burstB.key.organizationId, contents(burstB)]).toEqual([orgB, ["from B"]])
    }))

  it.effect("overdue lists open bursts past their window by the grace and closed bursts not yet run, not running or finished ones", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const org = freshOrg()
      const t0 = origin()
      const open = accepted(yield* bursts.append(keyIn(org, { threadId: "t1" }), arrival([message("oi")]), accumulator(), at(t0, 0)))
      const closed = yield* closedBurst(keyIn(org, { threadId: "t2" }), t0)
      const running = yield* closedBurst(keyIn(org, { threadId: "t3" }), t0)
      claimed(yield* bursts.claim(running, "owner-1", 60_000))
      const done = yield* closedBurst(keyIn(org, { threadId: "t4" }), t0)
      claimed(yield* bursts.claim(done, "owner-1", 60_000))
      yield* bursts.release(done, "owner-1", true)
      const mine = [open.executionId, closed, running, done]
      const overdueAt = (ms: number) =>
        Effect.map(bursts.overdue(at(t0, ms), 1 * second), (list) => list.filter((b) => mine.includes(b.executionId)))
      expect(yield* overdueAt(5 * second + 900)).toEqual([])
      const listed = yield* overdueAt(6 * second + 100)
      expect(listed.map((b) => b.executionId).sort()).toEqual([open.executionId, closed].sort())
      expect(listed.find((b) => b.executionId === open.executionId)?.dueAt).toEqual(at(t0, 5 * second))
    }))

  it.effect("forgetMessageIds forgets ids accepted before the cutoff and keeps the later ones", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const old = yield* closedBurst(key, t0, [message("old", "wamid-old")])
      const recent = yield* closedBurst(key, t0 + 2 * hour, [message("recent", "wamid-recent")])
      expect(yield* bursts.forgetMessageIds(at(t0, 1 * hour))).toBeGreaterThanOrEqual(1)
      expect(accepted(yield* bursts.append(key, arrival([message("old", "wamid-old")]), accumulator(), at(t0, 3 * hour))).executionId).not.toBe(old)
      expect(yield* bursts.append(key, arrival([message("recent", "wamid-recent")]), accumulator(), at(t0, 3 * hour)))
        .toEqual({ _tag: "Duplicate", executionId: recent })
    }))

  it.effect("concurrent appends to one key make one burst holding every message; concurrent claims make one holder", () =>
    Effect.gen(function* () {
      const bursts = yield* Bursts
      const key = keyIn(freshOrg())
      const t0 = origin()
      const results = yield* Effect.forEach(
        Array.from({ length: 8 }, (_, i) => i),
        (i) => bursts.append(key, arrival([message(`m${i}`)]), accumulator(), at(t0, i)),
        { concurrency: "unbounded" }
      )
      const all = results.map(accepted)
      expect(all.filter((r) => r.isNew)).toHaveLength(1)
      const executionId = all[0]!.executionId
      expect(all.every((r) => r.executionId === executionId)).toBe(true)
      expect(yield* bursts.close(executionId, at(t0, 20 * second))).toEqual({ _tag: "Closed" })
      const claims = yield* Effect.forEach(
        Array.from({ length: 6 }, (_, i) => `owner-${i}`),
        (owner) => bursts.claim(executionId, owner, 60_000),
        { concurrency: "unbounded" }
      )
      const holders = claims.flatMap((c) => (c._tag === "Claimed" ? [c.burst] : []))
      expect(holders).toHaveLength(1)
      expect(claims.filter((c) => c._tag === "Busy")).toHaveLength(5)
      expect([...contents(holders[0]!)].sort()).toEqual(Array.from({ length: 8 }, (_, i) => `m${i}`).sort())
    }))

  it.effect("a renewed lease holds (real time): the burst is not overdue and no other owner takes it", () =>
    inRealTime(Effect.gen(function* () {
      const bursts = yield* Bursts
      const opened = accepted(yield* bursts.append(keyIn(freshOrg()), arrival([message("oi")]), undefined, new Date()))
      claimed(yield* bursts.claim(opened.executionId, "owner-1", 1000))
      const until = Date.now() + 2500
      while (Date.now() < until) {
        expect(yield* bursts.renew(opened.executionId, "owner-1", 1000)).toBe(true)
        expect(yield* isOverdue(opened.executionId)).toBe(false)
        expect(yield* bursts.claim(opened.executionId, "owner-2", 1000)).toEqual({ _tag: "Busy" })
        yield* Effect.sleep("200 millis")
      }
      yield* bursts.release(opened.executionId, "owner-1", true)
    })), { timeout: 15_000 })

  it.effect("renew extends the lease from the moment of renewal, not from the claim (real time)", () =>
    inRealTime(Effect.gen(function* () {
      const bursts = yield* Bursts
      const opened = accepted(yield* bursts.append(keyIn(freshOrg()), arrival([message("oi")]), undefined, new Date()))
      claimed(yield* bursts.claim(opened.executionId, "owner-1", 600))
      yield* Effect.sleep("400 millis")
      expect(yield* bursts.renew(opened.executionId, "owner-1", 600)).toBe(true)
      yield* Effect.sleep("400 millis")
      // 800 ms after the claim, 400 ms after the renewal: the lease of 600 ms still holds.
      expect(yield* isOverdue(opened.executionId)).toBe(false)
      expect(yield* bursts.claim(opened.executionId, "owner-2", 600)).toEqual({ _tag: "Busy" })
      yield* bursts.release(opened.executionId, "owner-1", true)
    })), { timeout: 15_000 })

  it.effect("a lease not renewed expires (real time): the burst is overdue, another owner takes it over, the old holder no longer renews or releases", () =>
    inRealTime(Effect.gen(function* () {
      const bursts = yield* Bursts
      const opened = accepted(yield* bursts.append(keyIn(freshOrg()), arrival([message("oi")]), undefined, new Date()))
      claimed(yield* bursts.claim(opened.executionId, "owner-1", 300))
      expect(yield* bursts.claim(opened.executionId, "owner-2", 300)).toEqual({ _tag: "Busy" })
      yield* eventually("the expired lease makes the burst overdue", isOverdue(opened.executionId))
      expect(contents(claimed(yield* bursts.claim(opened.executionId, "owner-2", 60_000)))).toEqual(["oi"])
      expect(yield* bursts.renew(opened.executionId, "owner-1", 60_000)).toBe(false)
      yield* bursts.release(opened.executionId, "owner-1", true)
      expect(yield* bursts.claim(opened.executionId, "owner-3", 60_000)).toEqual({ _tag: "Busy" })
      yield* bursts.release(opened.executionId, "owner-2", true)
      expect(yield* bursts.claim(opened.executionId, "owner-3", 60_000)).toEqual({ _tag: "Done" })
    })), { timeout: 15_000 })
}
