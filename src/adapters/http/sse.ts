import { HttpServerResponse } from "@effect/platform"
import { Context, Duration, Effect, Runtime } from "effect"
import { Readable } from "node:stream"
import { EventBus } from "../../ports/EventBus.ts"

const done = Buffer.from("data: [DONE]\n\n")
const heartbeat = Buffer.from(": heartbeat\n\n")

/** How often a stream sends a `: heartbeat` comment, so proxies keep the connection open (15 s). */
export class HeartbeatInterval extends Context.Reference<HeartbeatInterval>()("ast/HeartbeatInterval", {
  defaultValue: () => Duration.seconds(15)
}) {}

/**
 * An execution's events as server-sent events (§5): each `id: <seq>` + `data: <json>` written as it
 * happens, a `: heartbeat` comment every 15 s, `data: [DONE]` at the end. `afterSeq` (a client's
 * `Last-Event-ID`) resumes without gaps or repeats. `onClientGone` runs when the client leaves early.
 *
 * The body is a Node stream the bus's listener pushes into: an event reaches the socket in the call that
 * published it, with no Effect stream (and its fibers and queues) per event in between.
 */
export const eventStreamResponse = (
  executionId: string,
  afterSeq?: number,
  onClientGone: Effect.Effect<void> = Effect.logInfo("the event stream's client went away; the execution goes on")
) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const heartbeatEvery = Duration.toMillis(yield* HeartbeatInterval)
    const runtime = yield* Effect.runtime<never>()
    let isDone = false
    let stop: (() => void) | undefined
    let beat: NodeJS.Timeout | undefined
    const body = new Readable({
      read() {},
      destroy(error, callback) {
        clearInterval(beat)
        stop?.()
        if (!isDone) Runtime.runFork(runtime)(Effect.annotateLogs(onClientGone, { executionId }))
        callback(error)
      }
    })
    const end = () => {
      isDone = true
      clearInterval(beat)
      body.push(done)
      body.push(null)
    }
    stop = yield* bus.follow(executionId, afterSeq, {
      event: (d) => void body.push(`id: ${d.seq}\ndata: ${JSON.stringify(d.event)}\n\n`),
      end
    })
    if (!isDone) beat = setInterval(() => body.push(heartbeat), heartbeatEvery)
    return HttpServerResponse.raw(body, {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "keep-alive" }
    })
  })
