import { Effect, Option } from "effect"
import { ThreadNotFound } from "../domain/errors.ts"
import { ThreadMemory } from "../ports/ThreadMemory.ts"
import { ThreadRepo } from "../ports/ThreadRepo.ts"

/** Creates a thread (a random id when none is given), or merges metadata into an existing one. */
export const createThread = Effect.fn("Threads.create")(function* (
  organizationId: string,
  threadId: string | undefined,
  metadata: Record<string, unknown> | undefined
) {
  return yield* (yield* ThreadRepo).touch({ organizationId, threadId: threadId ?? crypto.randomUUID() }, metadata)
})

/** A thread of the organization; another organization's is not found. */
export const getThread = Effect.fn("Threads.get")(function* (organizationId: string, threadId: string) {
  const found = yield* (yield* ThreadRepo).get({ organizationId, threadId })
  return yield* Option.match(found, { onNone: () => Effect.fail(new ThreadNotFound({ threadId })), onSome: Effect.succeed })
})

/** What the agent remembers of a thread, oldest first. */
export const threadMessages = Effect.fn("Threads.messages")(function* (organizationId: string, threadId: string) {
  yield* getThread(organizationId, threadId)
  return yield* (yield* ThreadMemory).messages({ organizationId, threadId })
})

/** Erases a thread: its record, its stored values and its memory. */
export const deleteThread = Effect.fn("Threads.delete")(function* (organizationId: string, threadId: string) {
  yield* getThread(organizationId, threadId)
  yield* (yield* ThreadMemory).erase({ organizationId, threadId })
  yield* (yield* ThreadRepo).remove({ organizationId, threadId })
})

/** Hands an escalated thread back to the bot. */
export const resumeThread = Effect.fn("Threads.resume")(function* (organizationId: string, threadId: string) {
  yield* getThread(organizationId, threadId)
  yield* (yield* ThreadRepo).setStatus({ organizationId, threadId }, "active")
  return yield* getThread(organizationId, threadId)
})
