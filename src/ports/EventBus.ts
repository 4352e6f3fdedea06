import { Context, Effect, Stream } from "effect"
import type { ExecutionEvent } from "../domain/Execution.ts"

/** An event as delivered: numbered within its execution so a reconnecting client resumes without gaps. */
export interface DeliveredEvent {
  readonly seq: number
  readonly event: ExecutionEvent
}

/** Where a follower's events go: plain callbacks, called in order, never concurrently. */
export interface EventListener {
  /** One event: the replayed ones first, then live ones as they are published. */
  readonly event: (delivered: DeliveredEvent) => void
  /** No more events: the execution's final event was delivered, or it had ended at or before `afterSeq`. */
  readonly end: () => void
}

/** Live events of executions (node started/completed, tokens, messages), for SSE clients on any instance. */
export class EventBus extends Context.Tag("ast/EventBus")<EventBus, {
  /** Publishes one event of an execution. Never fails the execution: a bus that is down drops the event. */
  readonly publish: (executionId: string, event: ExecutionEvent) => Effect.Effect<void>
  /**
   * Replays the events after `afterSeq` (all when absent) to `listener`, then follows live ones until the
   * execution ends. The returned function stops following early (calling it again, or after the end, does
   * nothing). Callbacks rather than a Stream: an SSE client writes each event straight to its socket.
   */
  readonly follow: (executionId: string, afterSeq: number | undefined, listener: EventListener) => Effect.Effect<() => void>
}>() {}

/** `follow` as a Stream that ends with the execution (for tests and Effect code). */
export const subscribe = (bus: EventBus["Type"], executionId: string, afterSeq?: number): Stream.Stream<DeliveredEvent> =>
  Stream.asyncPush<DeliveredEvent>((emit) =>
    Effect.acquireRelease(
      bus.follow(executionId, afterSeq, { event: (d) => void emit.single(d), end: () => void emit.end() }),
      (stop) => Effect.sync(stop)
    )
  )
