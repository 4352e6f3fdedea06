import { Schema } from "effect"

const PositiveSeconds = Schema.Number.pipe(Schema.positive({ message: () => "must be a positive number of seconds" }))

/** How a thread's burst of messages is gathered before one execution runs (§5.1). */
export const AccumulatorConfig = Schema.Struct({
  enabled: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  timeoutSeconds: Schema.optionalWith(PositiveSeconds, { exact: true, default: () => 5 }),
  maxMessages: Schema.optionalWith(Schema.Int.pipe(Schema.positive()), { exact: true, default: () => 10 }),
  separator: Schema.optionalWith(Schema.String, { exact: true, default: () => "\n\n" }),
  resetOnNewMessage: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true }),
  maxWaitSeconds: Schema.optionalWith(PositiveSeconds, { exact: true, default: () => 60 })
})
export type AccumulatorConfig = typeof AccumulatorConfig.Type
