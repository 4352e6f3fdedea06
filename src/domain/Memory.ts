import { Schema } from "effect"

/** How much of a thread's past the agent sees, and how long an idle thread is kept (§6). */
export const MemoryConfig = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  maxMessages: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 1000)), { exact: true, default: () => 20 }),
  ttlHours: Schema.optionalWith(Schema.Number.pipe(Schema.positive()), { exact: true, default: () => 24 })
})
export type MemoryConfig = typeof MemoryConfig.Type
