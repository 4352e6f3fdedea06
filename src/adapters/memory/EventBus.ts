import { Effect, Layer, PubSub, Stream } from "effect"
import { isFinalEvent } from "../../domain/Execution.ts"
import { type DeliveredEvent, EventBus } from "../../ports/EventBus.ts"

/** Live events in process memory, with a replay log per execution (the most recent `keep` executions). */
export const makeEventBusMemory = (keep = 1000) =>
  Effect.gen(function* () {
    const logs = new Map<string, Array<DeliveredEvent>>()
    let subscribers = 0
    const hub = yield* PubSub.unbounded<{ executionId: string; delivered: DeliveredEvent }>()
    const service: EventBus["Type"] = {
      publish: (executionId, event) => {
        const record = () => {
          let log = logs.get(executionId)
          if (log === undefined) {
            log = []
            logs.set(executionId, log)
            if (logs.size > keep) logs.delete(logs.keys().next().value!)
          }
          const delivered = { seq: log.length + 1, event }
          log.push(delivered)
          return delivered
        }
        // Nobody listens live: the replay log is enough for a later subscriber.
        return subscribers === 0
          ? Effect.sync(() => void record())
          : Effect.suspend(() => PubSub.publish(hub, { executionId, delivered: record() })).pipe(Effect.asVoid)
      },
      subscribe: (executionId, afterSeq = 0) =>
        Stream.unwrapScoped(
          Effect.gen(function* () {
            const live = yield* PubSub.subscribe(hub)
            yield* Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--))
            const log = logs.get(executionId) ?? []
            const past = log.filter((d) => d.seq > afterSeq)
            const lastSeq = past[past.length - 1]?.seq ?? afterSeq
            const following = Stream.fromQueue(live).pipe(
              Stream.filter((m) => m.executionId === executionId && m.delivered.seq > lastSeq),
              Stream.map((m) => m.delivered)
            )
            // Ended already (even before `afterSeq`: a client resuming after the last event): nothing to follow.
            return Stream.fromIterable(past).pipe(
              Stream.concat(log.some((d) => isFinalEvent(d.event)) ? Stream.empty : following),
              Stream.takeUntil((d) => isFinalEvent(d.event))
            )
          })
        )
    }
    return service
  })

export const EventBusMemory = Layer.effect(EventBus, makeEventBusMemory())
