import type { AIMessage, BaseMessage } from "@langchain/core/messages"

/** Drops tool calls without every answer and answers without their call (a turn cut short leaves them). */
const paired = (messages: ReadonlyArray<BaseMessage>): Array<BaseMessage> => {
  const answered = new Set(messages.flatMap((m) => (m.getType() === "tool" ? [(m as { tool_call_id?: string }).tool_call_id] : [])))
  const kept = messages.filter((m) => {
    const calls = m.getType() === "ai" ? (m as AIMessage).tool_calls ?? [] : []
    return calls.every((c) => answered.has(c.id))
  })
  const called = new Set(kept.flatMap((m) => (m.getType() === "ai" ? ((m as AIMessage).tool_calls ?? []).map((c) => c.id) : [])))
  return kept.filter((m) => m.getType() !== "tool" || called.has((m as { tool_call_id?: string }).tool_call_id))
}

/**
 * The past the model sees: the last `maxMessages` messages before this turn, starting at a user
 * message so no tool answer is separated from its call.
 */
export const pastWindow = (past: ReadonlyArray<BaseMessage>, maxMessages: number): Array<BaseMessage> => {
  const recent = paired(past).slice(-maxMessages)
  const firstUser = recent.findIndex((m) => m.getType() === "human")
  return firstUser < 0 ? [] : recent.slice(firstUser)
}
