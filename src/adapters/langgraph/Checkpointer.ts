import type { BaseCheckpointSaver, CheckpointTuple } from "@langchain/langgraph-checkpoint"
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
  /** Starts reading the thread's memory for a turn about to run (`withPrefetch`); never fails, never waits. */
  readonly prefetch: (key: ThreadKey) => Effect.Effect<void>
  /** Records that the thread's memory was used now and expires at `expiresAt`. */
  readonly touch: (key: ThreadKey, expiresAt: Date) => Effect.Effect<void, Unavailable>
  /** Threads whose memory expired before `now`, at most `limit`. */
  readonly expired: (now: Date, limit: number) => Effect.Effect<ReadonlyArray<ThreadKey>, Unavailable>
  /** Erases the thread's checkpoints and its expiry record. */
  readonly erase: (key: ThreadKey) => Effect.Effect<void, Unavailable>
}>() {}

/** How long a read started by `prefetch` may wait for its turn; an older one is read again. */
const PREFETCH_KEEP_MS = 5_000

/**
 * The saver, able to start a thread's latest-checkpoint read before LangGraph asks for it: the next
 * `getTuple` of that thread (its latest checkpoint, root namespace) takes the read started by
 * `prefetch` instead of making its own, once. A write to the thread (`put`, `deleteThread`) drops a
 * read not yet taken, so a turn never starts from memory older than what this process wrote.
 */
export const withPrefetch = (saver: BaseCheckpointSaver): { readonly saver: BaseCheckpointSaver; readonly prefetch: (threadId: string) => void } => {
  const started = new Map<string, { readonly read: Promise<CheckpointTuple | undefined>; readonly at: number }>()
  const getTuple = saver.getTuple.bind(saver)
  const put = saver.put.bind(saver)
  saver.getTuple = (config) => {
    const { thread_id: threadId, checkpoint_ns: namespace, checkpoint_id: checkpointId } = config.configurable ?? {}
    if (typeof threadId === "string" && (namespace ?? "") === "" && checkpointId === undefined) {
      const read = started.get(threadId)
      if (read !== undefined) {
        started.delete(threadId)
        if (performance.now() - read.at < PREFETCH_KEEP_MS) return read.read.catch(() => getTuple(config))
      }
    }
    return getTuple(config)
  }
  const deleteThread = saver.deleteThread.bind(saver)
  saver.put = (config, ...rest) => {
    const threadId = config.configurable?.thread_id
    if (typeof threadId === "string") started.delete(threadId)
    return put(config, ...rest)
  }
  saver.deleteThread = (threadId) => {
    started.delete(threadId)
    return deleteThread(threadId)
  }
  return {
    saver,
    prefetch: (threadId) => {
      const now = performance.now()
      for (const [id, read] of started) if (now - read.at >= PREFETCH_KEEP_MS) started.delete(id)
      const read = getTuple({ configurable: { thread_id: threadId, checkpoint_ns: "" } })
      // A failed read is made again by the turn itself (and fails there, as a step).
      read.catch(() => {})
      started.set(threadId, { read, at: now })
    }
  }
}

/** In process memory (tests and `ast run`): LangGraph's MemorySaver and a map of expiry times. */
export const makeCheckpointerMemory = (): Checkpointer["Type"] => {
  const { saver, prefetch } = withPrefetch(new MemorySaver())
  const expiries = new Map<string, { key: ThreadKey; expiresAt: number }>()
  return {
    saver,
    prefetch: (key) => Effect.sync(() => prefetch(checkpointThreadId(key))),
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
