import { Effect, Layer } from "effect"
import type { ThreadKey } from "../../domain/Thread.ts"
import { ThreadLock } from "../../ports/ThreadLock.ts"

/** One semaphore per thread, in process memory (a single instance only). */
export const makeThreadLockMemory = () => {
  const locks = new Map<string, { semaphore: Effect.Semaphore; holders: number }>()
  const service: ThreadLock["Type"] = {
    withLock: (thread: ThreadKey, work) =>
      Effect.suspend(() => {
        const key = `${thread.organizationId}\u0000${thread.threadId}`
        let lock = locks.get(key)
        if (lock === undefined) {
          lock = { semaphore: Effect.unsafeMakeSemaphore(1), holders: 0 }
          locks.set(key, lock)
        }
        const held = lock
        held.holders += 1
        return held.semaphore.withPermits(1)(work).pipe(
          Effect.ensuring(Effect.sync(() => {
            held.holders -= 1
            if (held.holders === 0) locks.delete(key)
          }))
        )
      })
  }
  return service
}

export const ThreadLockMemory = Layer.sync(ThreadLock, makeThreadLockMemory)
