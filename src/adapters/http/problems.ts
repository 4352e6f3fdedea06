import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"
import { Issue } from "../../domain/Issue.ts"

/** RFC 9457 problem details, with the stable `code` of CONTRACT §3. */
const fields = {
  type: Schema.String,
  title: Schema.String,
  status: Schema.Number,
  detail: Schema.String,
  code: Schema.String,
  issues: Schema.optionalWith(Schema.Array(Issue), { exact: true }),
  correlationId: Schema.optionalWith(Schema.String, { exact: true }),
  retryAfterSeconds: Schema.optionalWith(Schema.Number, { exact: true })
}

export type ProblemFields = Schema.Struct.Type<typeof fields>


export class BadRequest extends Schema.Class<BadRequest>("BadRequest")(fields, HttpApiSchema.annotations({ status: 400, description: "Malformed JSON or a document that does not hold (code validation_error, with issues)" })) {}
export class Unauthorized extends Schema.Class<Unauthorized>("Unauthorized")(fields, HttpApiSchema.annotations({ status: 401, description: "Missing, malformed, unknown or revoked credentials" })) {}
export class NotFound extends Schema.Class<NotFound>("NotFound")(fields, HttpApiSchema.annotations({ status: 404, description: "No such resource in your organization" })) {}
export class MethodNotAllowed extends Schema.Class<MethodNotAllowed>("MethodNotAllowed")(fields, HttpApiSchema.annotations({ status: 405, description: "The path exists with other methods" })) {}
export class Conflict extends Schema.Class<Conflict>("Conflict")(fields, HttpApiSchema.annotations({ status: 409, description: "The workflow cannot run this way now" })) {}
export class PayloadTooLarge extends Schema.Class<PayloadTooLarge>("PayloadTooLarge")(fields, HttpApiSchema.annotations({ status: 413, description: "The body is over 1 MiB" })) {}
export class TooManyRequests extends Schema.Class<TooManyRequests>("TooManyRequests")(fields, HttpApiSchema.annotations({ status: 429, description: "Over the rate limit; see Retry-After" })) {}
export class InternalError extends Schema.Class<InternalError>("InternalError")(fields, HttpApiSchema.annotations({ status: 500, description: "An unexpected error; quote correlationId" })) {}
export class ServiceUnavailable extends Schema.Class<ServiceUnavailable>("ServiceUnavailable")(fields, HttpApiSchema.annotations({ status: 503, description: "A dependency (database, Redis) is down" })) {}

const titles: Record<number, string> = {
  400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
  413: "Content Too Large", 415: "Unsupported Media Type", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"
}

/** The body of a problem: `type` is a stable URN per code, so clients can switch on either. */
export const problemBody = (status: number, code: string, detail: string, extra: Partial<ProblemFields> = {}): ProblemFields => ({
  type: `urn:ast:problem:${code}`,
  title: titles[status] ?? "Error",
  status,
  detail,
  code,
  ...extra
})

export const badRequest = (code: string, detail: string, issues?: ProblemFields["issues"]) =>
  new BadRequest(problemBody(400, code, detail, issues === undefined ? {} : { issues }))
export const unauthorized = (detail: string) => new Unauthorized(problemBody(401, "unauthorized", detail))
export const notFound = (detail: string) => new NotFound(problemBody(404, "not_found", detail))
export const conflict = (code: string, detail: string) => new Conflict(problemBody(409, code, detail))
export const unavailable = (detail: string) => new ServiceUnavailable(problemBody(503, "unavailable", detail))
export const tooManyRequests = (perMinute: number, retryAfterSeconds: number) =>
  new TooManyRequests(problemBody(429, "rate_limited", `over ${perMinute} requests per minute for this API key; retry in ${retryAfterSeconds} s`, { retryAfterSeconds }))
