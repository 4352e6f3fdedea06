import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, Redacted } from "effect"
import { type LivchatMessengerOptions, makeLivchatMessenger } from "../../../src/adapters/livchat/Messenger.ts"
import { type FakeLivchat, startFakeLivchat } from "../../support/fakeLivchat.ts"

const defaultKey = "lc_default_0123456789"
const runKey = "lc_live_run_abcdef"

const fakeLivchat = Effect.acquireRelease(Effect.promise(startFakeLivchat), (fake) => Effect.promise(fake.close))

const messengerFor = (fake: FakeLivchat, options: Partial<LivchatMessengerOptions> = {}) =>
  makeLivchatMessenger({ baseUrl: fake.url, defaultApiKey: Redacted.make(defaultKey), baseDelayMs: 10, attemptTimeoutMs: 2_000, ...options })

const sendTo = (key: string) => ({ phone: "5511999999999", message: "oi", instanceId: "inst-1", idempotencyKey: key })

/** Every log line, as logfmt text, so a test can scan them. */
const captureLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void lines.push(line)))
  return { lines, layer }
}

describe("Messenger on LivChat (CONTRACT §7)", () => {
  it.scopedLive("a send posts §7's request: the run's key over the default, the Idempotency-Key, {phone, message, instanceId}", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      const messenger = messengerFor(fake)
      const sent = yield* messenger.send({ ...sendTo("exec-1:send"), apiKey: runKey })
      yield* messenger.send({ phone: "5511888888888", message: "tchau", idempotencyKey: "exec-1:send-2" })

      expect(sent.messageId).toBe("wamid-1")
      const [first, second] = fake.requests
      expect(first).toMatchObject({ method: "POST", path: "/api/v1/messages/send" })
      expect(first!.headers).toMatchObject({
        authorization: `Bearer ${runKey}`,
        "idempotency-key": "exec-1:send",
        "content-type": "application/json"
      })
      expect(first!.body).toEqual({ phone: "5511999999999", message: "oi", instanceId: "inst-1" })
      expect(second!.headers.authorization).toBe(`Bearer ${defaultKey}`)
      expect(second!.body).toEqual({ phone: "5511888888888", message: "tchau" })
    }))

  it.scopedLive("a 400 fails at once, with LivChat's error text", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("invalidPhone")
      const error = yield* Effect.flip(messengerFor(fake).send(sendTo("exec-2:send")))
      expect(error).toMatchObject({ _tag: "SendFailed", status: 400, message: "LivChat send failed: 400 invalid phone" })
      expect(fake.requests).toHaveLength(1)
    }))

  it.scopedLive("a 2xx saying success: false, or without a messageId, fails at once", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer({ status: 200, body: { success: false, error: "instance disconnected" } }, { status: 201, body: { success: true } })
      const messenger = messengerFor(fake)
      expect((yield* Effect.flip(messenger.send(sendTo("exec-2:send-2")))).message).toBe("LivChat send failed: 200 not sent: instance disconnected")
      expect((yield* Effect.flip(messenger.send(sendTo("exec-2:send-3")))).message).toBe("LivChat send failed: 201 answer has no messageId")
      expect(fake.requests).toHaveLength(2)
    }))

  it.scopedLive("500, 500, 200: sent on the third attempt, all three with the same Idempotency-Key, each retry logged", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      const logs = captureLogs()
      fake.answer("serverError", "serverError")
      const sent = yield* messengerFor(fake).send(sendTo("exec-3:send")).pipe(Effect.provide(logs.layer))
      expect(sent.messageId).toBe("wamid-3")
      expect(fake.requests.map((r) => r.headers["idempotency-key"])).toEqual(["exec-3:send", "exec-3:send", "exec-3:send"])
      expect(fake.sendsByKey.get("exec-3:send")).toBe(3)
      const retries = logs.lines.filter((line) => line.includes("retrying"))
      expect(retries).toHaveLength(2)
      for (const line of retries) expect(line).toContain("idempotencyKey=exec-3:send")
      expect(retries[0]).toContain("attempt 1 of 4 failed (500 internal error)")
    }))

  it.scopedLive("a 429 with Retry-After: 1 is retried no sooner than a second later", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("rateLimited")
      const sent = yield* messengerFor(fake).send(sendTo("exec-4:send"))
      expect(sent.messageId).toBe("wamid-2")
      const [first, second] = fake.requests
      expect(fake.requests).toHaveLength(2)
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(900)
    }))

  it.scopedLive("an attempt that gets no answer times out and is retried", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("hang")
      const sent = yield* messengerFor(fake, { attemptTimeoutMs: 300 }).send(sendTo("exec-5:send"))
      expect(sent.messageId).toBe("wamid-2")
      expect(fake.sendsByKey.get("exec-5:send")).toBe(2)
    }))

  it.scopedLive("a dropped connection is retried", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("drop")
      const sent = yield* messengerFor(fake).send(sendTo("exec-6:send"))
      expect(sent.messageId).toBe("wamid-2")
      expect(fake.sendsByKey.get("exec-6:send")).toBe(2)
    }))

  it.scopedLive("when every attempt fails, the error lists each attempt and no further call is made", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("serverError", { status: 429, body: { message: "slow down" } }, "hang", "ok")
      const error = yield* Effect.flip(messengerFor(fake, { maxAttempts: 3, attemptTimeoutMs: 300 }).send(sendTo("exec-7:send")))
      expect(error.message).toBe("LivChat send failed after 3 attempts: 500 internal error; 429 slow down; timed out after 300 ms")
      expect(fake.requests).toHaveLength(3)
    }))

  it.scopedLive("a 4xx after a retried failure ends the call at once", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      fake.answer("drop", "invalidPhone")
      const error = yield* Effect.flip(messengerFor(fake).send(sendTo("exec-8:send")))
      expect(error.status).toBe(400)
      expect(error.message).toMatch(/^LivChat send failed after 2 attempts: network error: .+; 400 invalid phone$/)
      expect(fake.requests).toHaveLength(2)
    }))

  it.scopedLive("with no key at all the send fails without calling LivChat, naming where a key comes from", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      const messenger = makeLivchatMessenger({ baseUrl: fake.url })
      for (const request of [sendTo("exec-9:send"), { ...sendTo("exec-9:send-2"), apiKey: "" }]) {
        const error = yield* Effect.flip(messenger.send(request))
        expect(error.message).toContain("LIVCHAT_API_KEY")
        expect(error.message).toContain("context.livchatApiKey")
      }
      expect((yield* Effect.flip(messenger.instanceStatus("inst-1"))).message).toContain("LIVCHAT_API_KEY")
      expect(fake.requests).toHaveLength(0)
    }))

  it.scopedLive("instanceStatus reads {status}; an unknown instance (404) fails naming it", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      const messenger = messengerFor(fake)
      expect(yield* messenger.instanceStatus("inst-1", runKey)).toBe("connected")
      expect(fake.requests[0]).toMatchObject({ method: "GET", path: "/api/v1/instances/inst-1/status" })
      expect(fake.requests[0]!.headers.authorization).toBe(`Bearer ${runKey}`)

      fake.answer("notFound")
      const error = yield* Effect.flip(messenger.instanceStatus("inst/2"))
      expect(error).toMatchObject({ status: 404, message: "LivChat status of instance 'inst/2' failed: 404 instance not found" })
      expect(fake.requests[1]!.path).toBe("/api/v1/instances/inst%2F2/status")
      expect(fake.requests[1]!.headers.authorization).toBe(`Bearer ${defaultKey}`)
      expect(fake.requests).toHaveLength(2)
    }))

  it.scopedLive("the API key never appears in an error or a log line, even when LivChat echoes it", () =>
    Effect.gen(function* () {
      const fake = yield* fakeLivchat
      const logs = captureLogs()
      const messenger = messengerFor(fake, { attemptTimeoutMs: 300 })
      fake.answer({ status: 503, body: { error: `key ${runKey} is throttled` } }, "hang", { status: 401, body: { error: { message: `revoked: ${runKey}` } } })
      const refused = yield* Effect.flip(messenger.send({ ...sendTo("exec-10:send"), apiKey: runKey }).pipe(Effect.provide(logs.layer)))
      fake.answer("serverError", { status: 403, body: `forbidden ${defaultKey}` })
      const forbidden = yield* Effect.flip(messenger.instanceStatus("inst-1").pipe(Effect.provide(logs.layer)))

      expect(refused.message).toBe("LivChat send failed after 3 attempts: 503 key [redacted] is throttled; timed out after 300 ms; 401 revoked: [redacted]")
      expect(forbidden.message).toContain("403 forbidden [redacted]")
      expect(logs.lines.length).toBeGreaterThanOrEqual(3)
      for (const text of [refused.message, forbidden.message, ...logs.lines]) {
        expect(text).not.toContain(runKey)
        expect(text).not.toContain(defaultKey)
      }
    }))
})
