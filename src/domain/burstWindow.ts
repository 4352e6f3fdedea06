import type { AccumulatorConfig } from "./Accumulator.ts"
import type { InputMessage, PublicContext, RunInput } from "./RunRequest.ts"

/** A single arrival that does not accumulate: a burst of its own, due at once. */
export const notAccumulating: AccumulatorConfig = {
  enabled: true, timeoutSeconds: 0.000001, maxWaitSeconds: 0.000001, maxMessages: 1, resetOnNewMessage: false, separator: "\n\n"
}

/** Messages as recorded: in arrival order, each with its type and, when the caller gave none, its time of arrival. */
export const stampMessages = (messages: ReadonlyArray<InputMessage>, now: Date): Array<InputMessage> =>
  messages.map((m) => ({ ...m, type: m.type ?? "text", timestamp: m.timestamp ?? now.toISOString() }))

/**
 * When a burst is due (§5.1): with `resetOnNewMessage`, `timeoutSeconds` after its last message but never
 * later than `maxWaitSeconds` after its first; otherwise `timeoutSeconds` after its first; at once when
 * it holds `maxMessages`.
 */
export const flushAt = (
  config: AccumulatorConfig,
  burst: { readonly firstAt: number; readonly lastAt: number; readonly messageCount: number }
): number => {
  if (burst.messageCount >= config.maxMessages) return burst.lastAt
  const timeout = config.timeoutSeconds * 1000
  const cap = burst.firstAt + config.maxWaitSeconds * 1000
  return config.resetOnNewMessage ? Math.min(burst.lastAt + timeout, cap) : Math.min(burst.firstAt + timeout, cap)
}

/** The stored input of a burst's execution: its messages in order, joined with the separator, sender and context. */
export const burstInput = (
  threadId: string,
  messages: ReadonlyArray<InputMessage>,
  sender: RunInput["sender"],
  context: PublicContext,
  separator: string,
  aggregatedInput?: string | null
) => ({
  threadId,
  input: { messages, aggregatedInput: aggregatedInput ?? messages.map((m) => m.content).join(separator), ...(sender === undefined ? {} : { sender }) },
  context
})
