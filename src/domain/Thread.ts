import { Schema } from "effect"

export const ThreadStatus = Schema.Literal("active", "escalated")
export type ThreadStatus = typeof ThreadStatus.Type

/** A conversation: `organizationId + threadId` (§6). */
export const Thread = Schema.Struct({
  organizationId: Schema.String,
  threadId: Schema.String,
  status: ThreadStatus,
  messageCount: Schema.Int,
  lastActivityAt: Schema.String,
  metadata: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})
export type Thread = typeof Thread.Type

/** One message of a thread's memory. */
export const Message = Schema.Struct({
  role: Schema.Literal("user", "assistant", "tool"),
  content: Schema.String,
  createdAt: Schema.String
})
export type Message = typeof Message.Type

/** Where a thread lives: memory is never shared across organizations. */
export interface ThreadKey {
  readonly organizationId: string
  readonly threadId: string
}
