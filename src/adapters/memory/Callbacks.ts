import { Effect, Layer } from "effect"
import { Callbacks, type CallbackEvent } from "../../ports/Callbacks.ts"

/** Callbacks kept in memory and logged (no callback URL configured, or tests). */
export const makeCallbacksMemory = () => {
  const sent: Array<CallbackEvent> = []
  const service: Callbacks["Type"] & { readonly sent: ReadonlyArray<CallbackEvent> } = {
    sent,
    notify: (event) =>
      Effect.sync(() => sent.push(event)).pipe(
        Effect.zipRight(Effect.logDebug(`callback ${event.event} (not delivered: in-memory callbacks)`)),
        Effect.annotateLogs({ executionId: event.executionId, threadId: event.threadId })
      )
  }
  return service
}

export const CallbacksMemory = Layer.sync(Callbacks, makeCallbacksMemory)
