import { Effect, type Redacted } from "effect"
import type { Redis } from "ioredis"
import { type ExecutionEvent, isFinalEvent } from "../../domain/Execution.ts"
import { EventBus, type EventListener } from "../../ports/EventBus.ts"
import { redisConnection } from "./connection.ts"

/** Numbers the event and appends it, atomically: the stream entry id is `<seq>-0`. */
const appendScript = `
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', '10000', seq .. '-0', 'e', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return seq`

/** A pipeline with the append script defined on its connection (`defineCommand`). */
type AppendingPipeline = { readonly astAppendEvent: (stream: string, seq: string, json: string, ttlSeconds: string) => unknown }

/** Events waiting to be written at most (Redis down for long): beyond it the oldest are dropped. */
const MAX_PENDING = 10_000

/** A stream entry as the event it holds, numbered by its id (`<seq>-0`). */
const delivered = ([id, fields]: [id: string, fields: Array<string>]) => ({
  seq: Number(id.split("-")[0]),
  event: JSON.parse(fields[1] ?? "null") as ExecutionEvent
})

/** How long the shared reader's XREAD waits for new entries before it asks again. */
const BLOCK_MS = 5_000

/** One follower: its execution's stream, the last sequence number it was given, where events go. */
interface Follower {
  readonly stream: string
  last: number
  readonly listener: EventListener
  isStopped: boolean
}

/**
 * Live events on Redis streams (one per execution, kept for `ttlSeconds`), so any instance serves the
 * events of an execution another instance runs: a follower gets everything after its `Last-Event-ID`,
 * then the live events until the execution ends.
 *
 * Publishing does not wait for Redis: events join one line per instance, written in order by one writer,
 * all that queued up meanwhile in one pipelined write (the execution goes on; an event of one execution
 * is never overtaken by a later one of the same execution). At shutdown the line is written out first.
 *
 * Following costs no connection of its own: every follower of this instance is served by one reader
 * connection whose single blocking `XREAD` covers every followed stream (from the least advanced
 * follower of each), plus a wake-up stream of this instance's own that a new follower writes to, so the
 * reader starts reading its stream at once instead of after the current wait.
 */
export const makeEventBusRedis = (url: Redacted.Redacted<string>, prefix = "ast", ttlSeconds = 3600) =>
  Effect.gen(function* () {
    const redis = yield* redisConnection(url)
    redis.defineCommand("astAppendEvent", { numberOfKeys: 2, lua: appendScript })
    const keys = (executionId: string) => [`${prefix}:events:${executionId}`, `${prefix}:events:${executionId}:seq`] as const
    const pending: Array<readonly [executionId: string, json: string]> = []
    let writing: Promise<void> | undefined
    const writeOut = async () => {
      while (pending.length > 0) {
        const batch = pending.splice(0, pending.length)
        const pipeline = redis.pipeline()
        for (const [executionId, json] of batch) {
          ;(pipeline as unknown as AppendingPipeline).astAppendEvent(...keys(executionId), json, String(ttlSeconds))
        }
        // Live events are best effort: a Redis hiccup never fails the execution (its steps are in PostgreSQL).
        await pipeline.exec().catch(() => undefined)
      }
      writing = undefined
    }
    yield* Effect.addFinalizer(() => Effect.promise(() => writing ?? Promise.resolve()).pipe(Effect.timeout("2 seconds"), Effect.ignore))

    // ---- following: one reader connection for every follower of this instance
    const followers = new Map<string, Set<Follower>>()
    const wakeKey = `${prefix}:events:wake:${crypto.randomUUID()}`
    let wakeLast = "0-0"
    let reader: Redis | undefined
    let reading: Promise<void> | undefined
    let isClosed = false
    /**
     * The blocking reads get no client-side timeout shorter than their own wait; one that outlives it by
     * far (a black-holed connection) drops the connection, and the next read opens another.
     */
    const readerOf = () =>
      reader ??= redis.duplicate({ maxRetriesPerRequest: null, commandTimeout: BLOCK_MS + 5_000, connectionName: `${prefix}:events-reader`.replace(/\s/g, "-") })
        .on("error", () => undefined)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        isClosed = true
        reader?.disconnect()
      }))

    const drop = (f: Follower) => {
      f.isStopped = true
      const same = followers.get(f.stream)
      if (same?.delete(f) === true && same.size === 0) followers.delete(f.stream)
    }
    /** A listener that throws is dropped: it must not stop the others. */
    const tell = (f: Follower, call: (l: EventListener) => void) => {
      try {
        call(f.listener)
      } catch {
        drop(f)
      }
    }
    const deliver = (stream: string, entries: ReadonlyArray<[id: string, fields: Array<string>]>) => {
      for (const entry of entries) {
        const { seq, event } = delivered(entry)
        const isEnd = isFinalEvent(event)
        for (const f of [...(followers.get(stream) ?? [])]) {
          if (f.isStopped || seq <= f.last) continue
          f.last = seq
          tell(f, (l) => l.event({ seq, event }))
          if (isEnd && !f.isStopped) {
            drop(f)
            tell(f, (l) => l.end())
          }
        }
      }
    }
    const readLoop = async () => {
      while (followers.size > 0 && !isClosed) {
        const streams = [...followers.keys()]
        const from = streams.map((stream) => `${Math.min(...[...followers.get(stream)!].map((f) => f.last))}-0`)
        const connection = readerOf()
        try {
          const reply = await connection.xread("COUNT", 500, "BLOCK", BLOCK_MS, "STREAMS", wakeKey, ...streams, wakeLast, ...from)
          for (const [stream, entries] of reply ?? []) {
            if (stream === wakeKey) wakeLast = entries.at(-1)?.[0] ?? wakeLast
            else deliver(stream, entries)
          }
        } catch {
          if (isClosed) break
          // A read that timed out on a connection that stopped answering: start again on a new one.
          if (connection.status === "ready" || connection.status === "connect") {
            connection.disconnect()
            if (reader === connection) reader = undefined
          }
          // Redis unreachable: try again shortly rather than in a tight loop (the client keeps reconnecting).
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      }
      reading = undefined
    }
    /** A new follower's stream joins the reader's next XREAD: wake the one blocked now. */
    const wake = () => {
      if (reading === undefined) {
        reading = readLoop()
        return
      }
      void redis.multi().xadd(wakeKey, "MAXLEN", "~", "100", "*", "w", "1").expire(wakeKey, ttlSeconds).exec().catch(() => undefined)
    }

    const service: EventBus["Type"] = {
      publish: (executionId, event) =>
        Effect.sync(() => {
          pending.push([executionId, JSON.stringify(event)])
          if (pending.length > MAX_PENDING) pending.splice(0, pending.length - MAX_PENDING)
          writing ??= writeOut()
        }),
      follow: (executionId, afterSeq = 0, listener) =>
        Effect.gen(function* () {
          const [stream] = keys(executionId)
          // Ended at or before `afterSeq` (a client resuming after the last event): nothing to follow.
          const tail = yield* Effect.tryPromise(() => redis.xrevrange(stream, "+", "-", "COUNT", 1)).pipe(Effect.orElseSucceed(() => []))
          const newest = tail[0] === undefined ? undefined : delivered(tail[0])
          if (newest !== undefined && newest.seq <= afterSeq && isFinalEvent(newest.event)) {
            listener.end()
            return () => undefined
          }
          const follower: Follower = { stream, last: afterSeq, listener, isStopped: false }
          let same = followers.get(stream)
          if (same === undefined) followers.set(stream, same = new Set())
          same.add(follower)
          wake()
          return () => drop(follower)
        })
    }
    return service
  })
