import type { BaseMessage } from "@langchain/core/messages"
import { Duration, Effect, Layer } from "effect"
import { Unavailable } from "../../domain/errors.ts"
import type { Message } from "../../domain/Thread.ts"
import { ThreadMemory } from "../../ports/ThreadMemory.ts"
import { Checkpointer, checkpointThreadId } from "./Checkpointer.ts"
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
        Effect.tryPromise({
          try: () => checkpointer.saver.getTuple({ configurable: { thread_id: checkpointThreadId(key) } }),
          catch: (e) => new Unavailable({ dependency: "database", message: `the agent memory failed: ${e instanceof Error ? e.message : String(e)}` })
        }).pipe(
          Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Unavailable({ dependency: "database", message: "the agent memory did not answer within 10 seconds" }) }),
          Effect.map((tuple) => {
            const stored = (tuple?.checkpoint.channel_values["messages"] ?? []) as ReadonlyArray<BaseMessage>
            const at = tuple?.checkpoint.ts ?? new Date(0).toISOString()
            return stored.flatMap((m): Array<Message> => {
              const message = toThreadMessage(m, at)
              return message === undefined ? [] : [message]
            })
          }),
          Effect.withSpan("ThreadMemory.messages")
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
