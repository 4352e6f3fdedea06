import { Effect, Layer, Option } from "effect"
import type { Thread, ThreadKey } from "../../domain/Thread.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"

const keyOf = (k: ThreadKey) => `${k.organizationId}\u0000${k.threadId}`

/** Threads in process memory. */
export const makeThreadRepoMemory = () => {
  const threads = new Map<string, Thread>()
  const service: ThreadRepo["Type"] = {
    get: (key) => Effect.sync(() => Option.fromNullable(threads.get(keyOf(key)))),
    touch: (key, metadata) =>
      Effect.sync(() => {
        const now = new Date().toISOString()
        const known = threads.get(keyOf(key))
        const thread: Thread = known
          ? { ...known, lastActivityAt: now, metadata: { ...known.metadata, ...metadata } }
          : { ...key, status: "active", messageCount: 0, lastActivityAt: now, metadata: metadata ?? {} }
        threads.set(keyOf(key), thread)
        return thread
      }),
    setStatus: (key, status) =>
      Effect.sync(() => {
        const known = threads.get(keyOf(key))
        threads.set(keyOf(key), {
          ...(known ?? { ...key, messageCount: 0, metadata: {} }),
          status,
          lastActivityAt: new Date().toISOString()
        })
      }),
    remove: (key) => Effect.sync(() => void threads.delete(keyOf(key)))
  }
  return service
}

export const ThreadRepoMemory = Layer.sync(ThreadRepo, makeThreadRepoMemory)
