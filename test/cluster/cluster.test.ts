import { describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted, Schedule } from "effect"
import { execFileSync } from "node:child_process"
import { freshDatabaseUrl, skipServices } from "../support/databases.ts"
import { call, clusterEnv, inParallel, type Instance, startInstance, stopInstance } from "../support/instances.ts"
import { startReceiver } from "../support/receiver.ts"

/** A Redis database of its own per test (FLUSHDB there touches no other test). */
const redisUrlFor = (db: number) => `redis://127.0.0.1:6379/${db}`

const acceptedBurstGraph = (slowSeconds: number) => ({
  name: "cluster",
  trigger: { type: "webhook", accumulator: { timeoutSeconds: 0.5, maxWaitSeconds: 5, maxMessages: 10 } },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "wait", type: "delay", config: { seconds: slowSeconds } },
      { id: "echo", type: "transform", config: { set: { all: "{{input.aggregatedInput}}" } } }
    ],
    edges: [{ from: "trigger", to: "wait" }, { from: "wait", to: "echo" }]
  }
})

interface Row {
  readonly id: string
  readonly thread_id: string
  readonly status: string
  readonly input: { input: { messages: Array<{ id: string; content: string }> } }
  readonly steps: Array<{ node_id: string; started_at: string; finished_at: string | null }>
}

/** Every execution of the workflow with its messages and step times, straight from PostgreSQL. */
const executionsOf = (workflowId: string) =>
  Effect.flatMap(PgClient.PgClient, (sql) =>
    sql<Row>`
      SELECT e.id, e.thread_id, e.status, d.input,
        (SELECT coalesce(json_agg(json_build_object('node_id', s.node_id, 'started_at', s.started_at, 'finished_at', s.finished_at) ORDER BY s.seq), '[]')
         FROM execution_steps s WHERE s.execution_id = e.id) AS steps
      FROM executions e JOIN execution_data d ON d.execution_id = e.id WHERE e.workflow_id = ${workflowId}`)

/** Waits until every execution of the workflow has ended (or the deadline passes). */
const settled = (workflowId: string, expectedMessages: number, deadlineMs: number) =>
  Effect.gen(function* () {
    const until = Date.now() + deadlineMs
    while (Date.now() < until) {
      const rows = yield* executionsOf(workflowId)
      const messages = rows.reduce((n, r) => n + r.input.input.messages.length, 0)
      if (messages >= expectedMessages && rows.every((r) => r.status === "completed" || r.status === "error")) return rows
      yield* Effect.sleep("250 millis")
    }
    return yield* executionsOf(workflowId)
  })

/** The invariants of §5.1 over what was stored: every message once, in order, no overlap per thread. */
const checkInvariants = (rows: ReadonlyArray<Row>, threads: ReadonlyArray<string>, perThread: number) => {
  const byThread = new Map<string, Array<Row>>()
  for (const r of rows) byThread.set(r.thread_id, [...(byThread.get(r.thread_id) ?? []), r])
  const problems: Array<string> = []
  for (const thread of threads) {
    const executions = (byThread.get(thread) ?? []).filter((r) => r.steps.length > 0)
      .sort((a, b) => Date.parse(a.steps[0]!.started_at) - Date.parse(b.steps[0]!.started_at))
    const seen = executions.flatMap((r) => r.input.input.messages.map((m) => m.content))
    const expected = Array.from({ length: perThread }, (_, i) => `${thread}-m${i + 1}`)
    if (JSON.stringify(seen) !== JSON.stringify(expected)) problems.push(`${thread}: messages ${JSON.stringify(seen)}`)
    for (let i = 1; i < executions.length; i++) {
      const previousEnd = Math.max(...executions[i - 1]!.steps.map((s) => Date.parse(s.finished_at ?? s.started_at)))
      const start = Math.min(...executions[i]!.steps.filter((s) => s.node_id !== "accumulator").map((s) => Date.parse(s.started_at)))
      if (start < previousEnd) problems.push(`${thread}: execution ${executions[i]!.id} started before ${executions[i - 1]!.id} ended`)
    }
  }
  const notCompleted = rows.filter((r) => r.status !== "completed")
  if (notCompleted.length > 0) problems.push(`${notCompleted.length} executions not completed: ${notCompleted.slice(0, 3).map((r) => r.status).join(", ")}`)
  return problems
}

const setUp = (instances: ReadonlyArray<Instance>) =>
  Effect.promise(async () => {
    const admin = await call(instances[0]!, "/api/v1/admin/api-keys", { key: "cluster-admin-token", body: { organizationId: "org-cluster" } })
    const key = admin.json.key as string
    return key
  })

const sendAll = (instances: ReadonlyArray<Instance>, key: string, workflowId: string, threads: ReadonlyArray<string>, perThread: number, onHalf?: () => Promise<void>) =>
  Effect.promise(async () => {
    let sent = 0
    let halfDone = false
    const refused: Array<string> = []
    await inParallel(threads, 40, async (thread) => {
      for (let i = 1; i <= perThread; i++) {
        const instance = instances[(i - 1) % instances.length]!
        const body = { threadId: thread, input: { messages: [{ id: `${thread}-m${i}`, content: `${thread}-m${i}` }], sender: { phone: thread } } }
        for (let attempt = 0; ; attempt++) {
          // A client retries a trigger its instance could not answer (it was killed): duplicates are detected.
          const isAlive = (x: Instance) => x.process.exitCode === null && x.process.signalCode === null
          const target = isAlive(instance) ? instance : instances.find(isAlive)!
          const answer = await call(target, `/api/v1/workflows/${workflowId}/trigger`, { key, body }).catch(() => undefined)
          if (answer !== undefined && (answer.status === 202 || answer.status === 200)) break
          if (attempt > 20) {
            refused.push(`${thread}-m${i}: ${answer?.status}`)
            break
          }
          await new Promise((r) => setTimeout(r, 100))
        }
        sent += 1
        if (!halfDone && onHalf !== undefined && sent >= (threads.length * perThread) / 2) {
          halfDone = true
          await onHalf()
        }
      }
    })
    return refused
  })

describe.skipIf(skipServices)("three instances sharing one Redis and one PostgreSQL", () => {
  it.live("1,000 threads × 3 messages round-robin: every message in exactly one execution, in order, no overlap per thread", () =>
    Effect.gen(function* () {
      const databaseUrl = yield* freshDatabaseUrl
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrlFor(3))
      const instances = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(["a", "b", "c"].map((n) => startInstance(n, env)))),
        (all) => Effect.promise(() => Promise.all(all.map((i) => stopInstance(i, "SIGKILL"))))
      )
      const key = yield* setUp(instances)
      const workflow = yield* Effect.promise(() => call(instances[0]!, "/api/v1/workflows", { key, body: acceptedBurstGraph(0) }))
      const threads = Array.from({ length: 1000 }, (_, i) => `t${i}`)
      const refused = yield* sendAll(instances, key, workflow.json.id, threads, 3)
      expect(refused).toEqual([])
      const rows = yield* settled(workflow.json.id, 3000, 60_000).pipe(Effect.provide(PgClient.layer({ url: databaseUrl })))
      expect(checkInvariants(rows, threads, 3)).toEqual([])
      expect(rows.length).toBeGreaterThanOrEqual(1000)
      // Live events are shared: every instance replays any execution's events, whoever ran it.
      for (const instance of instances) {
        const text = yield* Effect.promise(() =>
          fetch(`${instance.url}/api/v1/executions/${rows[0]!.id}/events`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) }).then((r) => r.text()))
        expect(text).toContain('"status":"completed"')
        expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true)
      }
    }).pipe(Effect.scoped), { timeout: 150_000 })

  it.live("an instance SIGKILLed mid-bursts and mid-executions, then started again, and Redis flushed mid-test: nothing lost, nothing twice", () =>
    Effect.gen(function* () {
      const databaseUrl = yield* freshDatabaseUrl
      const redisUrl = redisUrlFor(4)
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrl)
      const instances = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(["a", "b", "c"].map((n) => startInstance(n, env)))),
        (all) => Effect.promise(() => Promise.all(all.map((i) => stopInstance(i, "SIGKILL"))))
      )
      const key = yield* setUp(instances)
      const workflow = yield* Effect.promise(() => call(instances[0]!, "/api/v1/workflows", { key, body: acceptedBurstGraph(1) }))
      const threads = Array.from({ length: 150 }, (_, i) => `k${i}`)
      let restarted: Instance | undefined
      const refused = yield* sendAll(instances, key, workflow.json.id, threads, 3, async () => {
        await stopInstance(instances[1]!, "SIGKILL")
        execFileSync("redis-cli", ["-u", redisUrl, "FLUSHDB"])
        restarted = await startInstance("b2", env)
      })
      expect(refused).toEqual([])
      const rows = yield* settled(workflow.json.id, 450, 90_000).pipe(Effect.provide(PgClient.layer({ url: databaseUrl })))
      if (restarted) yield* Effect.promise(() => stopInstance(restarted!, "SIGKILL"))
      expect(checkInvariants(rows, threads, 3)).toEqual([])
    }).pipe(Effect.scoped), { timeout: 180_000 })
})

describe.skipIf(skipServices)("instances sharing Redis: schedules and rate limits", () => {
  it.live("a schedule fires once per tick across three instances; the rate limit is shared (429 + Retry-After)", () =>
    Effect.gen(function* () {
      const databaseUrl = yield* freshDatabaseUrl
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrlFor(5), { AST_RATE_LIMIT: "6" })
      const instances = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all(["a", "b", "c"].map((n) => startInstance(n, env)))),
        (all) => Effect.promise(() => Promise.all(all.map((i) => stopInstance(i, "SIGKILL"))))
      )
      const key = yield* setUp(instances)
      const scheduled = yield* Effect.promise(() => call(instances[1]!, "/api/v1/workflows", {
        key,
        body: {
          name: "every second",
          trigger: { type: "schedule", cron: "* * * * * *", timezone: "America/Sao_Paulo" },
          graph: { nodes: [{ id: "trigger", type: "trigger" }, { id: "t", type: "transform", config: { set: { tick: true } } }], edges: [{ from: "trigger", to: "t" }] }
        }
      }))
      expect(scheduled.status).toBe(201)
      const started = Date.now()
      yield* Effect.sleep("4500 millis")
      // Deleting the workflow stops its schedule.
      const deleted = yield* Effect.promise(() => call(instances[2]!, `/api/v1/workflows/${scheduled.json.id}`, { key, method: "DELETE" }))
      expect(deleted.status).toBe(204)
      const elapsedSeconds = (Date.now() - started) / 1000
      const rows = yield* settled(scheduled.json.id, 0, 10_000).pipe(Effect.provide(PgClient.layer({ url: databaseUrl })))
      const ticks = rows.map((r) => Math.floor(Date.parse(r.steps[0]?.started_at ?? "0") / 1000))
      expect(rows.every((r) => r.thread_id === `schedule:${scheduled.json.id}`)).toBe(true)
      expect(rows.length).toBeGreaterThanOrEqual(3)
      expect(rows.length).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1)
      // Once per tick: no second in which two instances both ran the schedule.
      expect(new Set(ticks).size).toBe(ticks.length)

      // The rate limit: 6 requests per minute per key, counted across instances (the create and the delete above used 2).
      const answers = []
      for (let i = 0; i < 6; i++) answers.push(yield* Effect.promise(() => call(instances[i % 3]!, "/api/v1/workflows", { key })))
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429])
      const limited = answers[4]!
      expect(limited.json).toMatchObject({ status: 429, code: "rate_limited" })
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0)
    }).pipe(Effect.scoped), { timeout: 120_000 })
})

describe.skipIf(skipServices)("graceful stop", () => {
  it.live("SIGTERM: the instance lets a running execution finish, hands back what it cannot finish in time, and exits 0", () =>
    Effect.gen(function* () {
      const databaseUrl = yield* freshDatabaseUrl
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrlFor(6), { AST_SHUTDOWN_TIMEOUT_SECONDS: "4" })
      const [first, second] = yield* Effect.acquireRelease(
        Effect.promise(() => Promise.all([startInstance("first", env), startInstance("second", env)])),
        (all) => Effect.promise(() => Promise.all(all.map((i) => stopInstance(i, "SIGKILL"))))
      )
      const key = yield* setUp([first!])
      const quick = yield* Effect.promise(() => call(first!, "/api/v1/workflows", { key, body: { ...acceptedBurstGraph(2), trigger: { type: "webhook" } } }))
      const slow = yield* Effect.promise(() => call(first!, "/api/v1/workflows", { key, body: { ...acceptedBurstGraph(8), trigger: { type: "webhook" } } }))
      // Kill the second instance's worker share first, so the first instance takes both runs.
      yield* Effect.promise(() => stopInstance(second!, "SIGKILL"))
      const a = yield* Effect.promise(() => call(first!, `/api/v1/workflows/${quick.json.id}/trigger`, { key, body: { threadId: "q", input: { messages: [{ content: "q-m1" }] } } }))
      const b = yield* Effect.promise(() => call(first!, `/api/v1/workflows/${slow.json.id}/trigger`, { key, body: { threadId: "s", input: { messages: [{ content: "s-m1" }] } } }))
      const running = (id: string) => Effect.promise(() => call(first!, `/api/v1/executions/${id}`, { key })).pipe(
        Effect.filterOrFail((r) => r.json.status === "running", () => "not yet"),
        Effect.retry({ times: 60, schedule: Schedule.spaced("100 millis") })
      )
      yield* running(a.json.executionId)
      yield* running(b.json.executionId)
      const code = yield* Effect.promise(() => stopInstance(first!, "SIGTERM"))
      expect(code).toBe(0)
      expect(first!.output()).toContain("waiting up to")
      const db = PgClient.layer({ url: databaseUrl })
      const quickRows = yield* executionsOf(quick.json.id).pipe(Effect.provide(db))
      expect(quickRows.map((r) => r.status)).toEqual(["completed"])
      // The slow run could not finish in 4 s: it was handed back; a new instance takes it over and completes it.
      const third = yield* Effect.acquireRelease(Effect.promise(() => startInstance("third", env)), (i) => Effect.promise(() => stopInstance(i, "SIGKILL")))
      void third
      const slowRows = yield* settled(slow.json.id, 1, 60_000).pipe(Effect.provide(db))
      expect(slowRows.map((r) => r.status)).toEqual(["completed"])
    }).pipe(Effect.scoped), { timeout: 120_000 })
})

describe.skipIf(skipServices)("callbacks across a crash", () => {
  it.live("an instance killed mid-delivery and started again: every callback arrives, signed, once per deliveryId", () =>
    Effect.gen(function* () {
      let isReceiverUp = false
      const receiver = yield* Effect.acquireRelease(
        Effect.promise(() => startReceiver("cluster-webhook-secret", () => (isReceiverUp ? 200 : 503))),
        (r) => Effect.promise(r.close)
      )
      const databaseUrl = yield* freshDatabaseUrl
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrlFor(10), { LIVCHAT_CALLBACK_URL: receiver.url, AST_WEBHOOK_SECRET: "cluster-webhook-secret" })
      const first = yield* Effect.promise(() => startInstance("first", env))
      const key = yield* setUp([first])
      const wf = yield* Effect.promise(() => call(first, "/api/v1/workflows", { key, body: { ...acceptedBurstGraph(0), trigger: { type: "webhook" } } }))
      const executions: Array<string> = []
      for (let i = 0; i < 5; i++) {
        const done = yield* Effect.promise(() => call(first, `/api/v1/workflows/${wf.json.id}/execute`, { key, body: { threadId: `cb${i}`, input: { messages: [{ content: `m${i}` }] } } }))
        executions.push(done.json.executionId)
      }
      // Every delivery has failed at least once; the instance dies with all of them pending.
      yield* Effect.sync(() => receiver.attempts.length).pipe(Effect.filterOrFail((n) => n >= 5, () => "not yet"), Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") }))
      yield* Effect.promise(() => stopInstance(first, "SIGKILL"))
      isReceiverUp = true
      const second = yield* Effect.acquireRelease(Effect.promise(() => startInstance("second", env)), (i) => Effect.promise(() => stopInstance(i, "SIGKILL")))
      void second
      yield* Effect.sync(() => receiver.accepted.length).pipe(Effect.filterOrFail((n) => n >= 5, () => "not yet"), Effect.retry({ times: 300, schedule: Schedule.spaced("100 millis") }))
      expect(receiver.accepted.map((r) => r.body.executionId).sort()).toEqual([...executions].sort())
      expect(receiver.accepted.every((r) => r.isSigned && r.event === "execution.completed")).toBe(true)
      expect(new Set(receiver.accepted.map((r) => r.deliveryId)).size).toBe(5)
      // Retries of one event kept its deliveryId: every attempt belongs to an accepted delivery.
      expect(receiver.attempts.every((a) => receiver.accepted.some((r) => r.deliveryId === a.deliveryId))).toBe(true)
    }).pipe(Effect.scoped), { timeout: 90_000 })
})
