import { Context, type Effect } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { ThreadKey } from "../domain/Thread.ts"

/** Executions of one thread never overlap (§5.1). */
export class ThreadLock extends Context.Tag("ast/ThreadLock")<ThreadLock, {
  /** Runs `work` while holding the thread's lock; waits for the previous holder. */
  readonly withLock: <A, E, R>(thread: ThreadKey, work: Effect.Effect<A, E, R>) => Effect.Effect<A, E | Unavailable, R>
}>() {}
