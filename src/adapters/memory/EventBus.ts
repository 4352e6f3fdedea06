import { Effect, Layer } from "effect"
import { isFinalEvent } from "../../domain/Execution.ts"
import { type DeliveredEvent, EventBus, type EventListener } from "../../ports/EventBus.ts"

/**
 * Live events in process memory, with a replay log per execution (the most recent `keep` executions).
 * A published event goes straight to the execution's listeners, in the publisher's call: no queue between.
 */
export const makeEventBusMemory = (keep = 1000) =>
  Effect.sync(() => {
    const logs = new Map<string, Array<DeliveredEvent>>()
    const listeners = new Map<string, Set<EventListener>>()
    /** A listener that throws is dropped: it must not fail the execution that published. */
    const tell = (executionId: string, listener: EventListener, call: (l: EventListener) => void) => {
      try {
        call(listener)
      } catch {
        listeners.get(executionId)?.delete(listener)
      }
    }
    const service: EventBus["Type"] = {
      publish: (executionId, event) =>
        Effect.sync(() => {
          let log = logs.get(executionId)
          if (log === undefined) {
            log = []
            logs.set(executionId, log)
            if (logs.size > keep) logs.delete(logs.keys().next().value!)
          }
          const delivered = { seq: log.length + 1, event }
          log.push(delivered)
          const following = listeners.get(executionId)
          if (following === undefined) return
          const isEnd = isFinalEvent(event)
          if (isEnd) listeners.delete(executionId)
          for (const listener of following) {
            tell(executionId, listener, (l) => {
              l.event(delivered)
              if (isEnd) l.end()
            })
          }
        }),
      follow: (executionId, afterSeq = 0, listener) =>
        Effect.sync(() => {
          for (const d of logs.get(executionId) ?? []) {
            if (d.seq > afterSeq) listener.event(d)
            // Ended already (even before `afterSeq`: a client resuming after the last event): nothing to follow.
            if (isFinalEvent(d.event)) {
              listener.end()
              return () => undefined
            }
          }
          let following = listeners.get(executionId)
          if (following === undefined) listeners.set(executionId, following = new Set())
          following.add(listener)
          return () => {
            const now = listeners.get(executionId)
            if (now?.delete(listener) === true && now.size === 0) listeners.delete(executionId)
          }
        })
    }
    return service
  })

export const EventBusMemory = Layer.effect(EventBus, makeEventBusMemory())
