import { Effect, Fiber, type Redacted } from "effect"
import { type ExecutionEvent, isFinalEvent } from "../../domain/Execution.ts"
import { EventBus } from "../../ports/EventBus.ts"
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

/**
 * Live events on Redis streams (one per execution, kept for `ttlSeconds`), so any instance serves the
 * events of an execution another instance runs: a subscriber reads everything after its `Last-Event-ID`,
 * then blocks for more until the execution ends.
 *
 * Publishing does not wait for Redis: events join one line per instance, written in order by one writer,
 * all that queued up meanwhile in one pipelined write (the execution goes on; an event of one execution
 * is never overtaken by a later one of the same execution). At shutdown the line is written out first.
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
    const service: EventBus["Type"] = {
      publish: (executionId, event) =>
        Effect.sync(() => {
          pending.push([executionId, JSON.stringify(event)])
          if (pending.length > MAX_PENDING) pending.splice(0, pending.length - MAX_PENDING)
          writing ??= writeOut()
        }),
      follow: (executionId, afterSeq = 0, listener) =>
        Effect.gen(function* () {
          const reader = yield* Effect.acquireRelease(
            Effect.sync(() => redis.duplicate({ maxRetriesPerRequest: null })),
            (r) => Effect.sync(() => r.disconnect())
          )
          reader.on("error", () => undefined)
          const [stream] = keys(executionId)
          let last = afterSeq
          // Ended at or before `afterSeq` (a client resuming after the last event): nothing to follow.
          const tail = yield* Effect.tryPromise(() => reader.xrevrange(stream, "+", "-", "COUNT", 1)).pipe(Effect.orElseSucceed(() => []))
          const newest = tail[0]
          let isDone = newest !== undefined && Number(newest[0].split("-")[0]) <= afterSeq && isFinalEvent(JSON.parse(newest[1][1] ?? "null") as ExecutionEvent)
          const readMore = Effect.tryPromise(() => reader.xread("COUNT", 500, "BLOCK", 5000, "STREAMS", stream, `${last}-0`)).pipe(
            Effect.map((reply) => {
              for (const [id, fields] of reply?.[0]?.[1] ?? []) {
                const event = JSON.parse(fields[1] ?? "null") as ExecutionEvent
                last = Number(id.split("-")[0])
                listener.event({ seq: last, event })
                if (isFinalEvent(event)) {
                  isDone = true
                  break
                }
              }
            }),
            // Redis unreachable: try again shortly rather than in a tight loop (the client keeps reconnecting).
            Effect.catchAll(() => Effect.sleep("200 millis"))
          )
          yield* Effect.whileLoop({ while: () => !isDone, body: () => readMore, step: () => undefined })
          listener.end()
        }).pipe(
          Effect.scoped,
          Effect.forkDaemon,
          Effect.map((fiber) => () => void Effect.runFork(Fiber.interrupt(fiber)))
        )
    }
    return service
  })
