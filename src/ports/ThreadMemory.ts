import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { Message, ThreadKey } from "../domain/Thread.ts"

/** The conversation an agent remembers, per organization + thread (§6). */
export class ThreadMemory extends Context.Tag("ast/ThreadMemory")<ThreadMemory, {
  /** The thread's messages, oldest first. */
  readonly messages: (key: ThreadKey) => Effect.Effect<ReadonlyArray<Message>, Unavailable>
  /** Erases the thread's memory. */
  readonly erase: (key: ThreadKey) => Effect.Effect<void, Unavailable>
  /** Erases memory of threads idle since before `cutoff`; answers how many. */
  readonly eraseIdle: (cutoff: Date) => Effect.Effect<number, Unavailable>
}>() {}
