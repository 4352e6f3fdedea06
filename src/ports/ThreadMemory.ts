import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { Message, ThreadKey } from "../domain/Thread.ts"

/** The conversation an agent remembers, per organization + thread (§6). */
export class ThreadMemory extends Context.Tag("ast/ThreadMemory")<ThreadMemory, {
  /** The thread's messages, oldest first. */
  readonly messages: (key: ThreadKey) => Effect.Effect<ReadonlyArray<Message>, Unavailable>
  /** Erases the thread's memory. */
  readonly erase: (key: ThreadKey) => Effect.Effect<void, Unavailable>
  /** Erases the memory of threads idle longer than their `memory.ttlHours` as of `now`; answers how many. */
  readonly eraseExpired: (now: Date) => Effect.Effect<number, Unavailable>
}>() {}
