import type { BaseCheckpointSaver } from "@langchain/langgraph-checkpoint"
import { MemorySaver } from "@langchain/langgraph-checkpoint"
import { Context, Duration, Effect, Layer } from "effect"
import { Unavailable } from "../../domain/errors.ts"
import type { ThreadKey } from "../../domain/Thread.ts"

/** LangGraph's thread id for an organization's thread: unambiguous, so two organizations never share one. */
export const checkpointThreadId = (key: ThreadKey) => JSON.stringify([key.organizationId, key.threadId])

/** A call to the checkpoint saver that fails as `Unavailable` (and within 10 s) instead of hanging; traced as `name`. */
export const saverCall = <A>(name: string, call: () => Promise<A>) =>
  Effect.tryPromise({
    try: call,
    catch: (e) => new Unavailable({ dependency: "database", message: `the agent memory failed: ${e instanceof Error ? e.message : String(e)}` })
  }).pipe(
    Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Unavailable({ dependency: "database", message: "the agent memory did not answer within 10 seconds" }) }),
    Effect.withSpan(name)
  )

/**
 * Where agent memory lives: LangGraph's checkpoint saver, and when each thread's memory expires
 * (`memory.ttlHours` after its last turn), so a periodic cleanup can erase idle threads.
 */
export class Checkpointer extends Context.Tag("ast/langgraph/Checkpointer")<Checkpointer, {
  readonly saver: BaseCheckpointSaver
  /** Records that the thread's memory was used now and expires at `expiresAt`. */
  readonly touch: (key: ThreadKey, expiresAt: Date) => Effect.Effect<void, Unavailable>
  /** Threads whose memory expired before `now`, at most `limit`. */
  readonly expired: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<ThreadKey>, Unavailable>
  /** Erases the thread's checkpoints and its expiry record. */
  readonly erase: (key: ThreadKey) => Effect.Effect<void, Unavailable>
}>() {}

/** In process memory (tests and `ast run`): LangGraph's MemorySaver and a map of expiry times. */
export const makeCheckpointerMemory = (): Checkpointer["Type"] => {
  const saver = new MemorySaver()
  const expiries = new Map<string, { key: ThreadKey; expiresAt: number }>()
  return {
    saver,
    touch: (key, expiresAt) => Effect.sync(() => void expiries.set(checkpointThreadId(key), { key, expiresAt: expiresAt.getTime() })),
    expired: (now, limit) =>
      Effect.sync(() => [...expiries.values()].filter((e) => e.expiresAt < now.getTime()).slice(0, limit).map((e) => e.key)),
    erase: (key) =>
      Effect.promise(() => saver.deleteThread(checkpointThreadId(key))).pipe(
        Effect.zipRight(Effect.sync(() => void expiries.delete(checkpointThreadId(key))))
      )
  }
}

export const CheckpointerMemory = Layer.sync(Checkpointer, makeCheckpointerMemory)
