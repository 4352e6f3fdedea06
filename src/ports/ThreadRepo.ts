import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { Thread, ThreadKey, ThreadStatus } from "../domain/Thread.ts"

/** Conversations of an organization: status (active/escalated), metadata, activity. */
export class ThreadRepo extends Context.Tag("ast/ThreadRepo")<ThreadRepo, {
  /** The thread, if it exists. */
  readonly get: (key: ThreadKey) => Effect.Effect<Option.Option<Thread>, Unavailable>
  /** Creates the thread if missing (merging metadata) and records activity; answers the thread. */
  readonly touch: (key: ThreadKey, metadata?: Record<string, unknown>) => Effect.Effect<Thread, Unavailable>
  /** Marks a thread escalated or active again. */
  readonly setStatus: (key: ThreadKey, status: ThreadStatus) => Effect.Effect<void, Unavailable>
  /** Erases the thread, its memory and its stored values. */
  readonly remove: (key: ThreadKey) => Effect.Effect<void, Unavailable>
}>() {}
