import type { BaseMessage } from "@langchain/core/messages"
import type { Message } from "../../domain/Thread.ts"

/** When a message was said: kept in its `response_metadata` (never sent to a provider). */
export const createdAtOf = (message: BaseMessage): string | undefined => {
  const at = (message.response_metadata as Record<string, unknown> | undefined)?.["createdAt"]
  return typeof at === "string" ? at : undefined
}

/** A memory message as the API shows it (§6): user, assistant (its text, or the tools it called), tool. */
export const toThreadMessage = (message: BaseMessage, fallbackCreatedAt: string): Message | undefined => {
  const createdAt = createdAtOf(message) ?? fallbackCreatedAt
  const type = message.getType()
  if (type === "human") return { role: "user", content: message.text, createdAt }
  if (type === "tool") return { role: "tool", content: message.text, createdAt }
  if (type === "ai") {
    const calls = (message as { tool_calls?: ReadonlyArray<{ name: string; args: unknown }> }).tool_calls ?? []
    const content = message.text !== "" ? message.text : calls.map((c) => `${c.name}(${JSON.stringify(c.args)})`).join("\n")
    return { role: "assistant", content, createdAt }
  }
  return undefined
}
