import { Either, Schema } from "effect"
import { issuesOfParseError, ValidationFailed } from "./Issue.ts"
import { optional } from "./optional.ts"

/** A WhatsApp message as LivChat sends it; only `content` is required (§5). */
export const InputMessage = Schema.Struct(
  {
    id: optional(Schema.NonEmptyString),
    content: Schema.String,
    timestamp: optional(Schema.String.pipe(
      Schema.filter((s) => !Number.isNaN(Date.parse(s)) || "must be an ISO-8601 date-time")
    )),
    type: Schema.optionalWith(Schema.String, { exact: true, default: () => "text" })
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type InputMessage = typeof InputMessage.Type

export const Sender = Schema.Struct(
  { phone: Schema.NonEmptyTrimmedString, name: optional(Schema.String) },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

export const RunInput = Schema.Struct(
  {
    messages: Schema.optionalWith(Schema.Array(InputMessage), { exact: true, default: () => [] }),
    aggregatedInput: optional(Schema.String),
    sender: optional(Sender)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type RunInput = typeof RunInput.Type

export const RunContext = Schema.Struct(
  {
    instanceId: optional(Schema.String),
    organizationId: optional(Schema.String),
    livchatApiKey: optional(Schema.String)
  },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)
export type RunContext = typeof RunContext.Type

/** The body of `/trigger`, `/execute` and `/stream` (§5). */
export const RunRequest = Schema.Struct({
  threadId: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  input: Schema.optionalWith(RunInput, { exact: true, default: () => ({ messages: [] }) }),
  context: Schema.optionalWith(RunContext, { exact: true, default: () => ({}) })
})
export type RunRequest = typeof RunRequest.Type

/** The input as the workflow sees it: `aggregatedInput` filled in from the messages when absent. */
export const withAggregatedInput = (input: RunInput, separator = "\n\n"): RunInput =>
  input.aggregatedInput !== undefined
    ? input
    : { ...input, aggregatedInput: input.messages.map((m) => m.content).join(separator) }

/** The context minus its secret: what templates and stored records may see. */
export interface PublicContext {
  readonly instanceId?: string
  readonly organizationId?: string
  readonly [key: string]: unknown
}

export const publicContext = (context: RunContext): PublicContext => {
  const { livchatApiKey: _secret, ...rest } = context
  return rest
}

const decodeStrict = Schema.decodeUnknownEither(RunRequest, { errors: "all" })

/** A run request from untrusted JSON, with its defaults filled in; every problem is reported with its path. */
export const decodeRunRequest = (input: unknown): Either.Either<RunRequest, ValidationFailed> =>
  Either.mapLeft(decodeStrict(input), (error) => new ValidationFailed({ issues: issuesOfParseError(error) }))
