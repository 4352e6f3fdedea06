import { Effect, Layer } from "effect"
import type { Message, ThreadKey } from "../../domain/Thread.ts"
import { ThreadMemory } from "../../ports/ThreadMemory.ts"

const keyOf = (k: ThreadKey) => `${k.organizationId}\u0000${k.threadId}`

/**
 * Thread memory in process memory. Until the agent issue's LangGraph checkpointer, nothing writes
 * memory in the service, so threads answer with no messages.
 */
export const makeThreadMemoryMemory = () => {
  const threads = new Map<string, { messages: Array<Message>; lastActivity: number }>()
  const service: ThreadMemory["Type"] & { readonly append: (key: ThreadKey, message: Message) => void } = {
    append: (key, message) => {
      const known = threads.get(keyOf(key)) ?? { messages: [], lastActivity: 0 }
      known.messages.push(message)
      known.lastActivity = Date.parse(message.createdAt)
      threads.set(keyOf(key), known)
    },
    messages: (key) => Effect.sync(() => [...(threads.get(keyOf(key))?.messages ?? [])]),
    erase: (key) => Effect.sync(() => void threads.delete(keyOf(key))),
    eraseIdle: (cutoff) =>
      Effect.sync(() => {
        let erased = 0
        for (const [key, thread] of threads) {
          if (thread.lastActivity < cutoff.getTime()) {
            threads.delete(key)
            erased += 1
          }
        }
        return erased
      })
  }
  return service
}

export const ThreadMemoryMemory = Layer.sync(ThreadMemory, makeThreadMemoryMemory)
