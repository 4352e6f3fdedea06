import { Context, type Effect, type Stream } from "effect"
import type { ExecutionEvent } from "../domain/Execution.ts"

/** An event as delivered: numbered within its execution so a reconnecting client resumes without gaps. */
export interface DeliveredEvent {
  readonly seq: number
  readonly event: ExecutionEvent
}

/** Live events of executions (node started/completed, tokens, messages), for SSE clients on any instance. */
export class EventBus extends Context.Tag("ast/EventBus")<EventBus, {
  /** Publishes one event of an execution. Never fails the execution: a bus that is down drops the event. */
  readonly publish: (executionId: string, event: ExecutionEvent) => Effect.Effect<void>
  /** Replays the events after `afterSeq` (all when absent), then follows live ones until the execution ends. */
  readonly subscribe: (executionId: string, afterSeq?: number) => Stream.Stream<DeliveredEvent>
}>() {}
