import type { BaseMessage } from "@langchain/core/messages"
import { Effect, Layer } from "effect"
import type { Message } from "../../domain/Thread.ts"
import { ThreadMemory } from "../../ports/ThreadMemory.ts"
import { Checkpointer, checkpointThreadId, saverCall } from "./Checkpointer.ts"
import { toThreadMessage } from "./messages.ts"

/** How many expired threads one cleanup erases at most (the next run takes the rest). */
const CLEANUP_BATCH = 500

/** Thread memory read from LangGraph's checkpoints (the agent adapter writes them). */
export const ThreadMemoryLangGraph = Layer.effect(
  ThreadMemory,
  Effect.gen(function* () {
    const checkpointer = yield* Checkpointer
    const service: ThreadMemory["Type"] = {
      messages: (key) =>
        saverCall("ThreadMemory.messages", () => checkpointer.saver.getTuple({ configurable: { thread_id: checkpointThreadId(key) } })).pipe(
          Effect.map((tuple) => {
            const stored = (tuple?.checkpoint.channel_values["messages"] ?? []) as ReadonlyArray<BaseMessage>
            const at = tuple?.checkpoint.ts ?? new Date(0).toISOString()
            return stored.flatMap((m): Array<Message> => {
              const message = toThreadMessage(m, at)
              return message === undefined ? [] : [message]
            })
          })
        ),
      erase: (key) => checkpointer.erase(key),
      eraseExpired: (now) =>
        Effect.gen(function* () {
          const expired = yield* checkpointer.expired(now, CLEANUP_BATCH)
          yield* Effect.forEach(expired, checkpointer.erase, { discard: true })
          return expired.length
        }).pipe(Effect.withSpan("ThreadMemory.eraseExpired"))
    }
    return service
  })
)
