import { Effect, Either, Layer, Redacted } from "effect"
import { SendFailed } from "../../domain/errors.ts"
import { Messenger } from "../../ports/Messenger.ts"
import { callLivchat, type LivchatSettings } from "./callLivchat.ts"
import { livchatErrorText } from "./livchatErrorText.ts"

export interface LivchatMessengerOptions {
  /** `LIVCHAT_API_URL`: sends go to `{baseUrl}/api/v1/messages/send`. */
  readonly baseUrl: string
  /** `LIVCHAT_API_KEY`, for runs whose trigger gave no `context.livchatApiKey`. */
  readonly defaultApiKey?: Redacted.Redacted<string> | undefined
  /** Attempts per call, the first included (default 4). */
  readonly maxAttempts?: number | undefined
  /** Each attempt is abandoned after this long (default 10 s). */
  readonly attemptTimeoutMs?: number | undefined
  /** First backoff delay, doubled after each retry, with jitter (default 500 ms). */
  readonly baseDelayMs?: number | undefined
  /** Longest wait between attempts, `Retry-After` included (default 30 s). */
  readonly maxDelayMs?: number | undefined
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** `2xx {success, messageId, timestamp}`: the message id, unless LivChat says it did not send. */
const readMessageId = (body: unknown): Either.Either<{ readonly messageId: string }, string> => {
  if (!isRecord(body)) return Either.left("answer is not a JSON object")
  if (body.success === false) return Either.left(`not sent: ${livchatErrorText(JSON.stringify(body), "success: false")}`)
  const { messageId } = body
  if (typeof messageId === "string" && messageId !== "") return Either.right({ messageId })
  if (typeof messageId === "number") return Either.right({ messageId: String(messageId) })
  return Either.left("answer has no messageId")
}

/** `{status}`: the instance's status string. */
const readStatus = (body: unknown): Either.Either<string, string> =>
  isRecord(body) && typeof body.status === "string" ? Either.right(body.status) : Either.left("answer has no status")

const noKey = new SendFailed({
  message: "no LivChat API key: set LIVCHAT_API_KEY or give context.livchatApiKey in the trigger"
})

/** The Messenger on LivChat's HTTP API (CONTRACT §7), retrying what can be retried. */
export const makeLivchatMessenger = (options: LivchatMessengerOptions): Messenger["Type"] => {
  const settings: LivchatSettings = {
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    maxAttempts: Math.max(1, Math.floor(options.maxAttempts ?? 4)),
    attemptTimeoutMs: options.attemptTimeoutMs ?? 10_000,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000
  }
  const defaultKey = options.defaultApiKey === undefined ? "" : Redacted.value(options.defaultApiKey)
  /** The run's key, else the configured one; an empty key counts as none. */
  const keyFor = (apiKey: string | undefined) => (apiKey !== undefined && apiKey !== "" ? apiKey : defaultKey)

  return {
    send: (request) => {
      const apiKey = keyFor(request.apiKey)
      if (apiKey === "") return Effect.fail(noKey)
      return callLivchat(settings, {
        method: "POST",
        path: "/api/v1/messages/send",
        apiKey,
        headers: { "idempotency-key": request.idempotencyKey },
        body: {
          phone: request.phone,
          message: request.message,
          ...(request.instanceId === undefined ? {} : { instanceId: request.instanceId })
        },
        what: "LivChat send",
        operation: "send",
        annotations: { idempotencyKey: request.idempotencyKey },
        read: readMessageId
      }).pipe(Effect.withSpan("Messenger.send", { attributes: { idempotencyKey: request.idempotencyKey } }))
    },
    instanceStatus: (instanceId, apiKey) => {
      const key = keyFor(apiKey)
      if (key === "") return Effect.fail(noKey)
      return callLivchat(settings, {
        method: "GET",
        path: `/api/v1/instances/${encodeURIComponent(instanceId)}/status`,
        apiKey: key,
        what: `LivChat status of instance '${instanceId}'`,
        operation: "instance_status",
        annotations: { instanceId },
        read: readStatus
      }).pipe(Effect.withSpan("Messenger.instanceStatus", { attributes: { instanceId } }))
    }
  }
}

/** The URL for the log: scheme, host and port only (a user:password in it stays out). */
const describeUrl = (url: string) => {
  try {
    return new URL(url).origin
  } catch {
    return "(an unreadable LIVCHAT_API_URL)"
  }
}

/** `LIVCHAT_API_URL` set: messages leave through LivChat. */
export const MessengerLivchat = (options: LivchatMessengerOptions) =>
  Layer.succeed(Messenger, makeLivchatMessenger(options)).pipe(
    Layer.tap(() =>
      Effect.logInfo(`messenger: LivChat at ${describeUrl(options.baseUrl)}${options.defaultApiKey === undefined ? " (no LIVCHAT_API_KEY: runs must give context.livchatApiKey)" : ""}`))
  )
