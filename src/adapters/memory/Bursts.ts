import { Clock, Effect } from "effect"
import type { AccumulatorConfig } from "../../domain/Accumulator.ts"
import { burstInput as inputOf, flushAt, notAccumulating, stampMessages } from "../../domain/burstWindow.ts"
import type { InputMessage } from "../../domain/RunRequest.ts"
import { Bursts, type BurstKey, type ClosedBurst, type TakeResult } from "../../ports/Bursts.ts"
import type { Unavailable } from "../../domain/errors.ts"
import type { ExecutionRepo } from "../../ports/ExecutionRepo.ts"

interface Burst {
  readonly executionId: string
  readonly seq: number
  readonly key: BurstKey
  readonly workflowVersion: number
  readonly config: AccumulatorConfig
  status: "open" | "closed" | "running" | "done"
  messages: Array<InputMessage>
  sender: ClosedBurst["sender"]
  context: ClosedBurst["context"]
  sealedSecret: string | null
  aggregatedInput: string | null
  firstAt: number
  lastAt: number
  flushAt: number
  closedAt: number | null
  leaseOwner: string | null
  leaseUntil: number
}


/**
 * Bursts in process memory, on the same rules as PostgreSQL's (tests; `ast run`). The executions it opens
 * go to the given ExecutionRepo. Time is the caller's `now`, so `TestClock` drives windows and leases.
 */
export const makeBurstsMemory = (executions: ExecutionRepo["Type"] & { readonly setInput?: (executionId: string, input: unknown) => void }) => {
  const bursts = new Map<string, Burst>()
  const accepted = new Map<string, { executionId: string; at: number }>()
  let seq = 0
  /** The latest time seen, from the callers' `now`s and the Clock: leases are measured on it. */
  let clock = 0
  const closedOf = (b: Burst): ClosedBurst => ({
    executionId: b.executionId, key: b.key, workflowVersion: b.workflowVersion, messages: b.messages, sender: b.sender,
    context: b.context, sealedSecret: b.sealedSecret, separator: b.config.separator,
    ...(b.aggregatedInput === null ? {} : { aggregatedInput: b.aggregatedInput }), firstAt: new Date(b.firstAt),
    windowEnd: new Date(b.flushAt), closedAt: new Date(b.closedAt ?? b.flushAt)
  })
  const service: Omit<Bursts["Type"], "take" | "finish"> = {
    append: (key, arrival, requested, now) =>
      Effect.gen(function* () {
        clock = Math.max(clock, now.getTime())
        const isAccumulating = requested !== undefined && requested.enabled
        const acceptedKey = (id: string) => `${key.organizationId}\u0000${key.workflowId}\u0000${id}`
        for (const m of arrival.messages) {
          const seen = m.id === undefined ? undefined : accepted.get(acceptedKey(m.id))
          if (seen && seen.at > now.getTime() - 24 * 3600 * 1000) return { _tag: "Duplicate" as const, executionId: seen.executionId }
        }
        const messages = stampMessages(arrival.messages, now)
        const open = isAccumulating
          ? [...bursts.values()].find((b) => b.status === "open" && b.key.organizationId === key.organizationId && b.key.workflowId === key.workflowId && b.key.threadId === key.threadId)
          : undefined
        let burst: Burst
        if (open !== undefined) {
          burst = open
          burst.messages.push(...messages)
          burst.lastAt = now.getTime()
          burst.flushAt = flushAt(burst.config, { firstAt: burst.firstAt, lastAt: burst.lastAt, messageCount: burst.messages.length })
          burst.sender = arrival.sender ?? burst.sender
          burst.context = arrival.context
          burst.sealedSecret = arrival.sealedSecret ?? burst.sealedSecret
        } else {
          const config = isAccumulating ? requested : notAccumulating
          const executionId = crypto.randomUUID()
          burst = {
            executionId, seq: ++seq, key, workflowVersion: arrival.workflowVersion, config, status: isAccumulating ? "open" : "closed",
            messages: [...messages], sender: arrival.sender, context: arrival.context, sealedSecret: arrival.sealedSecret,
            aggregatedInput: isAccumulating ? null : arrival.aggregatedInput ?? null,
            firstAt: now.getTime(), lastAt: now.getTime(), flushAt: 0, closedAt: isAccumulating ? null : now.getTime(), leaseOwner: null, leaseUntil: 0
          }
          burst.flushAt = flushAt(config, { firstAt: burst.firstAt, lastAt: burst.lastAt, messageCount: messages.length })
          bursts.set(executionId, burst)
          yield* executions.create({
            id: executionId, organizationId: key.organizationId, workflowId: key.workflowId, workflowVersion: arrival.workflowVersion,
            threadId: key.threadId, status: "pending", input: inputOf(key.threadId, messages, arrival.sender, arrival.context, config.separator, burst.aggregatedInput)
          })
        }
        for (const m of messages) if (m.id !== undefined) accepted.set(acceptedKey(m.id), { executionId: burst.executionId, at: now.getTime() })
        return { _tag: "Accepted" as const, executionId: burst.executionId, flushAt: new Date(burst.flushAt), isNew: open === undefined }
      }),
    close: (executionId, now) =>
      Effect.sync(() => {
        clock = Math.max(clock, now.getTime())
        const b = bursts.get(executionId)
        if (b === undefined || b.status !== "open") return { _tag: "NotOpen" as const }
        if (b.flushAt > now.getTime()) return { _tag: "NotDue" as const, flushAt: new Date(b.flushAt) }
        b.status = "closed"
        b.closedAt = now.getTime()
        executions.setInput?.(b.executionId, inputOf(b.key.threadId, b.messages, b.sender, b.context, b.config.separator, b.aggregatedInput))
        return { _tag: "Closed" as const }
      }),
    claim: (executionId, owner, leaseMs) =>
      Effect.map(Clock.currentTimeMillis, (time) => {
        clock = Math.max(clock, time)
        const b = bursts.get(executionId)
        if (b === undefined || b.status === "done") return { _tag: "Done" as const }
        if (b.status === "open") return { _tag: "Busy" as const }
        const blocked = [...bursts.values()].some((o) =>
          o !== b && o.key.organizationId === b.key.organizationId && o.key.threadId === b.key.threadId &&
          ((o.status === "running" && o.leaseUntil > clock) || ((o.status === "closed" || o.status === "running") && o.seq < b.seq)))
        const isHeld = b.status === "running" && b.leaseUntil > clock && b.leaseOwner !== owner
        if (blocked || isHeld) return { _tag: "Busy" as const }
        b.status = "running"
        b.leaseOwner = owner
        b.leaseUntil = clock + leaseMs
        return { _tag: "Claimed" as const, burst: closedOf(b) }
      }),
    renew: (executionId, owner, leaseMs) =>
      Effect.map(Clock.currentTimeMillis, (time) => {
        clock = Math.max(clock, time)
        const b = bursts.get(executionId)
        if (b === undefined || b.leaseOwner !== owner || b.status !== "running") return false
        b.leaseUntil = clock + leaseMs
        return true
      }),
    release: (executionId, owner, isDone) =>
      Effect.sync(() => {
        const b = bursts.get(executionId)
        if (b === undefined || b.leaseOwner !== owner) return
        b.status = isDone ? "done" : "closed"
        b.leaseOwner = null
        if (isDone) b.sealedSecret = null
      }),
    nextOfThread: (executionId) =>
      Effect.sync(() => {
        const b = bursts.get(executionId)
        if (b === undefined) return undefined
        return [...bursts.values()]
          .filter((o) => o.status === "closed" && o.seq > b.seq && o.key.organizationId === b.key.organizationId && o.key.threadId === b.key.threadId)
          .sort((x, y) => x.seq - y.seq)[0]?.executionId
      }),
    overdue: (now, graceMs) =>
      Effect.sync(() => {
        clock = Math.max(clock, now.getTime())
        const before = now.getTime() - graceMs
        return [...bursts.values()]
          .filter((b) => (b.status === "open" && b.flushAt < before) || (b.status === "closed" && (b.closedAt ?? b.flushAt) < before) || (b.status === "running" && b.leaseUntil < before))
          .sort((a, b) => a.seq - b.seq)
          .map((b) => ({ executionId: b.executionId, dueAt: new Date(b.flushAt) }))
      }),
    forgetMessageIds: (cutoff) =>
      Effect.sync(() => {
        let forgotten = 0
        for (const [key, value] of accepted) {
          if (value.at < cutoff.getTime()) {
            accepted.delete(key)
            forgotten += 1
          }
        }
        return forgotten
      })
  }
  return composedTakeAndFinish(service)
}

/** `take` and `finish` as the calls they stand for, one after the other (the PostgreSQL adapter makes each one round trip). */
export const composedTakeAndFinish = (bursts: Omit<Bursts["Type"], "take" | "finish">): Bursts["Type"] => ({
  ...bursts,
  take: (executionId, owner, leaseMs, now) =>
    Effect.flatMap(bursts.close(executionId, now), (closed): Effect.Effect<TakeResult, Unavailable> =>
      closed._tag === "NotDue" ? Effect.succeed(closed) : bursts.claim(executionId, owner, leaseMs)),
  finish: (executionId, owner, isDone) =>
    Effect.zipRight(bursts.release(executionId, owner, isDone), isDone ? bursts.nextOfThread(executionId) : Effect.succeed(undefined))
})
