import { Clock, Data, Duration, Effect, Either, Ref, Schedule } from "effect"
import { SendFailed } from "../../domain/errors.ts"
import { countOne, livchatRetries } from "../../domain/metrics.ts"
import { livchatErrorText, parseJson } from "./livchatErrorText.ts"
import { parseRetryAfter } from "./retryAfter.ts"

/** How calls to LivChat are made and retried. */
export interface LivchatSettings {
  readonly baseUrl: string
  /** Attempts per call, the first included. */
  readonly maxAttempts: number
  readonly attemptTimeoutMs: number
  /** First backoff delay; doubled after each failed attempt, with jitter. */
  readonly baseDelayMs: number
  /** No wait between attempts is longer, whatever `Retry-After` asks. */
  readonly maxDelayMs: number
}

/** One call to LivChat: where, with which key, and how to read its 2xx answer. */
export interface LivchatCall<A> {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly apiKey: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: unknown
  /** What the call does, first in every message: "LivChat send". */
  readonly what: string
  /** The call's kind, as `ast_livchat_retries_total` labels it. */
  readonly operation: "send" | "instance_status"
  /** Added to every log line of the call (never a secret). */
  readonly annotations: Readonly<Record<string, string>>
  /** Reads a 2xx answer; `Left` says why it cannot be used (not retried). */
  readonly read: (body: unknown) => Either.Either<A, string>
}

/** Why one attempt failed; network errors, timeouts, 429 and 5xx may be tried again. */
class AttemptFailed extends Data.TaggedError("AttemptFailed")<{
  readonly reason: string
  readonly isRetryable: boolean
  readonly status?: number
  readonly retryAfterMs?: number
}> {}

const networkReason = (error: unknown) => {
  // fetch rejects with `TypeError: fetch failed`; the socket's own error is its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const message = cause instanceof Error ? cause.message : String(cause)
  const code = (cause as { readonly code?: unknown } | undefined)?.code
  return `network error: ${message}${typeof code === "string" && !message.includes(code) ? ` (${code})` : ""}`
}

const attempt = <A>(settings: LivchatSettings, call: LivchatCall<A>) =>
  Effect.gen(function* () {
    // LivChat may echo the key it refused; its words reach a step and a log only without it.
    const fromLivchat = (text: string) => text.replaceAll(call.apiKey, "[redacted]")
    const answer = yield* Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${settings.baseUrl}${call.path}`, {
          method: call.method,
          headers: {
            accept: "application/json",
            authorization: `Bearer ${call.apiKey}`,
            ...(call.body === undefined ? {} : { "content-type": "application/json" }),
            ...call.headers
          },
          ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
          signal
        })
        const text = await response.text()
        return { status: response.status, statusText: response.statusText, retryAfter: response.headers.get("retry-after"), text }
      },
      catch: (error) => new AttemptFailed({ reason: networkReason(error), isRetryable: true })
    }).pipe(
      // The timeout interrupts the fetch, which aborts it through `signal`.
      Effect.timeoutFail({
        duration: Duration.millis(settings.attemptTimeoutMs),
        onTimeout: () => new AttemptFailed({ reason: `timed out after ${settings.attemptTimeoutMs} ms`, isRetryable: true })
      })
    )
    const { status } = answer
    if (status >= 200 && status < 300) {
      const read = call.read(parseJson(answer.text))
      if (Either.isRight(read)) return read.right
      return yield* new AttemptFailed({ reason: `${status} ${fromLivchat(read.left)}`, isRetryable: false, status })
    }
    const retryAfterMs = parseRetryAfter(answer.retryAfter, yield* Clock.currentTimeMillis)
    return yield* new AttemptFailed({
      reason: `${status} ${fromLivchat(livchatErrorText(answer.text, answer.statusText))}`.trim(),
      isRetryable: status === 429 || status >= 500,
      status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs })
    })
  })

/** Exponential backoff with jitter, at most `maxAttempts` in all, at least `Retry-After`, at most `maxDelayMs`. */
const retrySchedule = (settings: LivchatSettings) =>
  Schedule.exponential(Duration.millis(settings.baseDelayMs)).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(settings.maxAttempts - 1)),
    Schedule.intersect(Schedule.identity<AttemptFailed>()),
    Schedule.whileInput((failure: AttemptFailed) => failure.isRetryable),
    Schedule.modifyDelay(([, failure], delay) => {
      const wanted = failure.retryAfterMs === undefined ? delay : Duration.max(delay, Duration.millis(failure.retryAfterMs))
      return Duration.min(wanted, Duration.millis(settings.maxDelayMs))
    })
  )

/** Every attempt's reason in one message: "LivChat send failed after 3 attempts: 500 …; 429 …; timed out after …". */
const toSendFailed = (what: string, failures: ReadonlyArray<AttemptFailed>) => {
  const last = failures[failures.length - 1]
  const reasons = failures.map((f) => f.reason).join("; ")
  const message = failures.length === 1 && last?.isRetryable === false
    ? `${what} failed: ${reasons}`
    : `${what} failed after ${failures.length} attempt${failures.length === 1 ? "" : "s"}: ${reasons}`
  return new SendFailed({ message, ...(last?.status === undefined ? {} : { status: last.status }) })
}

/**
 * Makes one call to LivChat, retrying network errors, timeouts, 429 and 5xx; any other answer ends it.
 * Each retried attempt is logged at info (with the call's annotations, never the key); the final failure
 * lists every attempt.
 */
export const callLivchat = <A>(settings: LivchatSettings, call: LivchatCall<A>): Effect.Effect<A, SendFailed> =>
  Effect.gen(function* () {
    const failures = yield* Ref.make<ReadonlyArray<AttemptFailed>>([])
    const once = attempt(settings, call).pipe(
      Effect.tapError((failure) =>
        Effect.flatMap(Ref.updateAndGet(failures, (all) => [...all, failure]), (all) =>
          failure.isRetryable && all.length < settings.maxAttempts
            ? Effect.logInfo(`${call.what}: attempt ${all.length} of ${settings.maxAttempts} failed (${failure.reason}); retrying`).pipe(
              Effect.zipRight(countOne(livchatRetries, { operation: call.operation }))
            )
            : Effect.void)
      )
    )
    const result = yield* Effect.retry(once, retrySchedule(settings)).pipe(
      Effect.catchTag("AttemptFailed", () => Effect.flatMap(Ref.get(failures), (all) => Effect.fail(toSendFailed(call.what, all))))
    )
    const failed = (yield* Ref.get(failures)).length
    if (failed > 0) yield* Effect.logInfo(`${call.what}: succeeded on attempt ${failed + 1} of ${settings.maxAttempts}`)
    return result
  }).pipe(Effect.annotateLogs(call.annotations))
