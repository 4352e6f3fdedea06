import { describe, expect, layer } from "@effect/vitest"
import { Duration, Effect, Schedule } from "effect"
import { newOrganization, raw, testService } from "../support/server.ts"
import { openStream, type OpenStream, type SseMessage } from "../support/sse.ts"

// The server's clock is fixed when the layer is built: with test services it would be the TestClock and a
// `delay` node (or a heartbeat) would never end. These tests run on real time.
const liveServer = { timeout: "60 seconds", excludeTestServices: true } as const

/** Every message until the stream closes; dies (saying what it read) if it is still open after 10 s. */
const readAll = (stream: OpenStream) => {
  const all: Array<SseMessage> = []
  return Effect.gen(function* () {
    for (;;) {
      const m = yield* stream.next
      if (m === undefined) return all
      all.push(m)
    }
  }).pipe(
    Effect.timeoutFail({
      duration: "10 seconds",
      onTimeout: () =>
        new Error(`the stream was still open after 10 s; read ${all.length - all.filter(isEvent).length} comment(s) and the data ${JSON.stringify(all.filter(isEvent).map((m) => m.data))}`)
    }),
    Effect.orDie
  )
}

const json = (m: SseMessage): any => (m.data === undefined || m.data === "[DONE]" ? undefined : JSON.parse(m.data))
const isEvent = (m: SseMessage) => m.data !== undefined && m.data !== "[DONE]"
const isDone = (m: SseMessage) => m.data === "[DONE]"
const isNode = (nodeId: string, status: string) => (m: SseMessage) => json(m)?.type === "node" && json(m).nodeId === nodeId && json(m).status === status

/** Re-runs `check` until it answers a value, failing past the deadline (no bare sleeps). */
const eventually = <A, R>(check: Effect.Effect<A | undefined, never, R>, what: string, deadline: Duration.DurationInput = "10 seconds") =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutFail({ duration: deadline, onTimeout: () => new Error(`timed out waiting for ${what}`) }),
    Effect.orDie
  )

const getExecution = (key: string, id: string) =>
  Effect.map(raw(`/api/v1/executions/${id}`, { key }), (r) => {
    expect(r.status).toBe(200)
    return r.json
  })

const executionWhere = (key: string, id: string, predicate: (e: any) => boolean, what: string) =>
  eventually(Effect.map(getExecution(key, id), (e) => (predicate(e) ? e : undefined)), what)

const run = { threadId: "5511999999999", input: { messages: [{ content: "oi" }], sender: { phone: "5511999999999", name: "João" } } }

const slowGraph = (seconds: number) => ({
  name: "slow",
  trigger: { type: "manual" },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "shape", type: "transform", config: { set: { greeting: "Olá {{input.sender.name}}" } } },
      { id: "wait", type: "delay", config: { seconds } },
      { id: "send", type: "send", config: { message: "{{vars.greeting}}, você disse {{input.aggregatedInput}}" } }
    ],
    edges: [{ from: "trigger", to: "shape" }, { from: "shape", to: "wait" }, { from: "wait", to: "send" }]
  }
}) as const

const fastGraph = {
  name: "fast",
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "shape", type: "transform", config: { set: { greeting: "Olá {{input.sender.name}}" } } },
      { id: "send", type: "send", config: { message: "{{vars.greeting}}" } }
    ],
    edges: [{ from: "trigger", to: "shape" }, { from: "shape", to: "send" }]
  }
} as const

const nodeEvents = (nodeType: string, nodeId: string) => [
  { type: "node", nodeId, nodeType, status: "started" },
  { type: "node", nodeId, nodeType, status: "completed" }
]

describe("server-sent events over HTTP", () => {
  layer(testService({ heartbeat: "200 millis" }), liveServer)((it) => {
    it.scoped("/stream flushes each event as it happens (node started while it still runs), ids increase, ends with [DONE]", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: slowGraph(2) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream`, { key, method: "POST", body: run })
        expect(stream.response.status).toBe(200)
        expect(stream.response.headers.get("content-type")).toMatch(/^text\/event-stream/)

        const first = (yield* stream.until(isEvent)).at(-1)!
        expect(json(first)).toMatchObject({ type: "execution", status: "running" })
        const executionId: string = json(first).executionId

        const upToWait = yield* stream.until(isNode("wait", "started"))
        const waitStarted = upToWait.at(-1)!
        // The delay is still running when its `started` event reaches the client: nothing waits for the end.
        const during = yield* getExecution(key, executionId)
        expect(during.status).toBe("running")
        expect(during.steps.find((s: any) => s.nodeId === "wait")).toMatchObject({ status: "running", finishedAt: null })

        const rest = yield* readAll(stream)
        const waitCompleted = rest.find(isNode("wait", "completed"))!
        expect(waitCompleted.at - waitStarted.at).toBeGreaterThanOrEqual(1500)

        const all = [first, ...upToWait, ...rest]
        const events = all.filter(isEvent)
        expect(events.map(json)).toEqual([
          { type: "execution", executionId, status: "running" },
          ...nodeEvents("trigger", "trigger"),
          ...nodeEvents("transform", "shape"),
          ...nodeEvents("delay", "wait"),
          ...nodeEvents("send", "send"),
          { type: "execution", executionId, status: "completed" }
        ])
        expect(events.map((m) => m.id)).toEqual(events.map((_, i) => i + 1))
        // `[DONE]` is the very last message, after the final execution event, and the stream then closes.
        expect(all.at(-1)!.data).toBe("[DONE]")
        expect(all.filter(isDone)).toHaveLength(1)
        expect((yield* getExecution(key, executionId)).status).toBe("completed")
      }))

    it.scoped("a `: heartbeat` comment arrives every heartbeat interval while a slow node runs", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: slowGraph(2) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream`, { key, method: "POST", body: run })
        yield* stream.until(isNode("wait", "started"))
        const during = yield* stream.until(isNode("wait", "completed"))
        const heartbeats = during.filter((m) => m.comments.includes("heartbeat"))
        // 2 s at one per 200 ms is about 10; allow for a loaded machine, but not for "none until the end".
        expect(heartbeats.length).toBeGreaterThanOrEqual(4)
        expect(heartbeats.every((m) => m.id === undefined && m.data === undefined)).toBe(true)
        yield* readAll(stream)
      }))

    it.scoped("/executions/{id}/events replays a /trigger execution; Last-Event-ID N resumes at exactly N+1", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: fastGraph })
        const { executionId } = yield* client.runs.trigger({ path: { id: wf.id }, payload: run })
        yield* executionWhere(key, executionId, (e) => e.status === "completed", "the triggered execution to complete")

        const full = yield* openStream(`/api/v1/executions/${executionId}/events`, { key })
        expect(full.response.status).toBe(200)
        expect(full.response.headers.get("content-type")).toMatch(/^text\/event-stream/)
        const replay = yield* readAll(full)
        const events = replay.filter(isEvent)
        expect(events.map(json)).toEqual([
          { type: "execution", executionId, status: "running" },
          ...nodeEvents("trigger", "trigger"),
          ...nodeEvents("transform", "shape"),
          ...nodeEvents("send", "send"),
          { type: "execution", executionId, status: "completed" }
        ])
        expect(events.map((m) => m.id)).toEqual(events.map((_, i) => i + 1))
        expect(replay.at(-1)!.data).toBe("[DONE]")

        const asSent = (ms: ReadonlyArray<SseMessage>) => ms.filter(isEvent).map((m) => [m.id, m.data])
        for (let n = 0; n < events.length; n++) {
          const resumed = yield* readAll(yield* openStream(`/api/v1/executions/${executionId}/events`, { key, headers: { "last-event-id": String(n) } }))
          expect([n, asSent(resumed)]).toEqual([n, asSent(events.slice(n))])
          expect(resumed.at(-1)!.data).toBe("[DONE]")
        }
      }))

    it.scoped("Last-Event-ID of the final event (or past it) of an ended execution answers just [DONE] and closes", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: fastGraph })
        const { executionId } = yield* client.runs.trigger({ path: { id: wf.id }, payload: run })
        yield* executionWhere(key, executionId, (e) => e.status === "completed", "the triggered execution to complete")
        const lastId = (yield* readAll(yield* openStream(`/api/v1/executions/${executionId}/events`, { key }))).filter(isEvent).at(-1)!.id!
        // A client that got the final event but lost the connection before `[DONE]` reconnects like this.
        for (const n of [lastId, lastId + 5]) {
          const resumed = yield* readAll(yield* openStream(`/api/v1/executions/${executionId}/events`, { key, headers: { "last-event-id": String(n) } }))
          expect([n, resumed.filter((m) => m.data !== undefined).map((m) => m.data)]).toEqual([n, ["[DONE]"]])
        }
      }))

    it.scoped("a client that reconnects mid-execution with Last-Event-ID gets the rest live: no gap, no repeat", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: { ...slowGraph(1), trigger: { type: "webhook" as const } } })
        const { executionId } = yield* client.runs.trigger({ path: { id: wf.id }, payload: run })
        const first = yield* openStream(`/api/v1/executions/${executionId}/events`, { key })
        const before = (yield* first.until(isNode("wait", "started"))).filter(isEvent)
        yield* first.abort
        const lastId = before.at(-1)!.id!
        const second = yield* openStream(`/api/v1/executions/${executionId}/events`, { key, headers: { "last-event-id": String(lastId) } })
        const after = (yield* readAll(second)).filter(isEvent)
        expect(after[0]!.id).toBe(lastId + 1)

        const full = (yield* readAll(yield* openStream(`/api/v1/executions/${executionId}/events`, { key }))).filter(isEvent)
        expect([...before, ...after].map((m) => [m.id, m.data])).toEqual(full.map((m) => [m.id, m.data]))
        expect(json(full.at(-1)!)).toEqual({ type: "execution", executionId, status: "completed" })
      }))

    it.scoped("a /stream client that disconnects mid-execution leaves it running to `completed`", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: slowGraph(1) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream`, { key, method: "POST", body: run })
        const executionId: string = json((yield* stream.until(isEvent)).at(-1)!).executionId
        yield* stream.until(isNode("wait", "started"))
        yield* stream.abort
        const done = yield* executionWhere(key, executionId, (e) => e.status !== "running", "the execution to end")
        expect(done.status).toBe("completed")
        expect(done.steps.map((s: any) => [s.nodeId, s.status])).toEqual([
          ["trigger", "completed"], ["shape", "completed"], ["wait", "completed"], ["send", "completed"]
        ])
      }))

    it.scoped("with ?onDisconnect=cancel a client that disconnects stops the execution: `error`, code `interrupted`", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: slowGraph(3) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream?onDisconnect=cancel`, { key, method: "POST", body: run })
        const executionId: string = json((yield* stream.until(isEvent)).at(-1)!).executionId
        yield* stream.until(isNode("wait", "started"))
        yield* stream.abort
        const done = yield* executionWhere(key, executionId, (e) => e.status !== "running", "the execution to end")
        expect(done.status).toBe("error")
        expect(done.error).toMatchObject({ code: "interrupted" })
        expect(done.steps.find((s: any) => s.nodeId === "wait")).toMatchObject({ status: "error", error: "interrupted" })
        expect(done.steps.some((s: any) => s.nodeId === "send")).toBe(false)
      }))

    it.scoped("the event stream of an execution stopped by onDisconnect=cancel ends: `execution error`, then [DONE]", () =>
      Effect.gen(function* () {
        const { key, client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: slowGraph(3) })
        const stream = yield* openStream(`/api/v1/workflows/${wf.id}/stream?onDisconnect=cancel`, { key, method: "POST", body: run })
        const executionId: string = json((yield* stream.until(isEvent)).at(-1)!).executionId
        yield* stream.until(isNode("wait", "started"))
        yield* stream.abort
        yield* executionWhere(key, executionId, (e) => e.status === "error", "the execution to be stopped")
        const replay = yield* readAll(yield* openStream(`/api/v1/executions/${executionId}/events`, { key }))
        expect(json(replay.filter(isEvent).at(-1)!)).toEqual({ type: "execution", executionId, status: "error" })
        expect(replay.at(-1)!.data).toBe("[DONE]")
      }))

    it.scoped("/executions/{id}/events of another organization's execution is a 404 problem", () =>
      Effect.gen(function* () {
        const owner = yield* newOrganization
        const stranger = yield* newOrganization
        const wf = yield* owner.client.workflows.create({ payload: fastGraph })
        const { executionId } = yield* owner.client.runs.trigger({ path: { id: wf.id }, payload: run })
        for (const id of [executionId, crypto.randomUUID()]) {
          const response = yield* raw(`/api/v1/executions/${id}/events`, { key: stranger.key })
          expect(response.status).toBe(404)
          expect(response.headers.get("content-type")).toBe("application/problem+json")
          expect(response.json).toMatchObject({ status: 404, code: "not_found" })
        }
        const own = yield* openStream(`/api/v1/executions/${executionId}/events`, { key: owner.key })
        expect(own.response.status).toBe(200)
        expect((yield* readAll(own)).at(-1)!.data).toBe("[DONE]")
      }))
  })
})
