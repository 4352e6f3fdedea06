import { HttpServerResponse } from "@effect/platform"
import { Context, Duration, Effect, Stream } from "effect"
import { EventBus } from "../../ports/EventBus.ts"

const encoder = new TextEncoder()
const done = encoder.encode("data: [DONE]\n\n")
const heartbeat = encoder.encode(": heartbeat\n\n")

/** How often a stream sends a `: heartbeat` comment, so proxies keep the connection open (15 s). */
export class HeartbeatInterval extends Context.Reference<HeartbeatInterval>()("ast/HeartbeatInterval", {
  defaultValue: () => Duration.seconds(15)
}) {}

/**
 * An execution's events as server-sent events (§5): each `id: <seq>` + `data: <json>` written as it
 * happens, a `: heartbeat` comment every 15 s, `data: [DONE]` at the end. `afterSeq` (a client's
 * `Last-Event-ID`) resumes without gaps or repeats. `onClientGone` runs when the client leaves early.
 */
export const eventStreamResponse = (
  executionId: string,
  afterSeq?: number,
  onClientGone: Effect.Effect<void> = Effect.logInfo("the event stream's client went away; the execution goes on")
) =>
  Effect.map(Effect.zip(EventBus, HeartbeatInterval), ([bus, heartbeatEvery]) => {
    let isDone = false
    const events = bus.subscribe(executionId, afterSeq).pipe(
      Stream.map((d) => encoder.encode(`id: ${d.seq}\ndata: ${JSON.stringify(d.event)}\n\n`)),
      Stream.concat(Stream.sync(() => {
        isDone = true
        return done
      }))
    )
    const heartbeats = Stream.tick(heartbeatEvery).pipe(Stream.drop(1), Stream.as(heartbeat))
    const body = Stream.merge(events, heartbeats, { haltStrategy: "left" }).pipe(
      Stream.ensuring(Effect.suspend(() => (isDone ? Effect.void : Effect.annotateLogs(onClientGone, { executionId }))))
    )
    return HttpServerResponse.stream(body, {
      contentType: "text/event-stream",
      headers: { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "keep-alive" }
    })
  })
