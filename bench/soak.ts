/**
 * `npm run soak`: mixed load on three AST instances (`node src/main.ts`) sharing one PostgreSQL database and
 * one Redis, for `SOAK_SECONDS` (default 600): bursts through `/trigger` (accumulated), agent turns through
 * `/execute` (a fake OpenAI-compatible model on loopback, memory on) and `/stream`. Every 10 s it samples each
 * instance's resident memory; at the end it checks every accepted message ran exactly once, counts errors,
 * and writes bench/SOAK.md. Loopback only; bounded in time; stops everything it started, also on failure.
 */
import { Effect, Exit, Scope } from "effect"
import { randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import pg from "pg"
import { fakeOpenAI } from "../test/support/fakeModels.ts"
import { call, clusterEnv, type Instance, startInstance, stopInstance } from "../test/support/instances.ts"

const SECONDS = Number(process.env.SOAK_SECONDS ?? "600")
const WARMUP_SECONDS = Math.min(60, Math.floor(SECONDS / 5))
const SAMPLE_EVERY_MS = 10_000
/** Requests per second of each kind, spread over the three instances. */
const TRIGGERS_PER_SECOND = 20
const EXECUTES_PER_SECOND = 2
const STREAMS_PER_SECOND = 0.5
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"
/** Redis database 14 is the soak's own (tests and benchmarks use others). */
const redisUrl = process.env.SOAK_REDIS_URL ?? "redis://127.0.0.1:6379/14"
const outputPath = path.join(import.meta.dirname, "SOAK.md")

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Resident memory of a process in MiB (Linux `/proc`). */
const rssMiB = (pid: number | undefined) => {
  if (pid === undefined) return Number.NaN
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? Number.NaN : Number(match[1]) / 1024
}

const accumulating = {
  name: "soak bursts",
  trigger: { type: "webhook", accumulator: { timeoutSeconds: 1, maxWaitSeconds: 5, maxMessages: 10 } },
  graph: {
    nodes: [{ id: "trigger", type: "trigger" }, { id: "reply", type: "transform", config: { set: { text: "eco: {{input.aggregatedInput}}" } } }],
    edges: [{ from: "trigger", to: "reply" }]
  }
}

const agentic = {
  name: "soak agent",
  trigger: { type: "webhook" },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "agent", type: "agent", config: { model: "openai:gpt-soak", systemPrompt: "Seja breve.", memory: { maxMessages: 10 } } },
      { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } }
    ],
    edges: [{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }]
  }
}

interface Tally { requests: number; errors: number; readonly samples: Array<string> }
const tally = (): Tally => ({ requests: 0, errors: 0, samples: [] })

const counted = async (t: Tally, work: () => Promise<{ status: number; text?: string }>) => {
  t.requests += 1
  try {
    const answer = await work()
    if (answer.status >= 300) {
      t.errors += 1
      if (t.samples.length < 5) t.samples.push(`${answer.status} ${answer.text?.slice(0, 200) ?? ""}`)
    }
  } catch (e) {
    t.errors += 1
    if (t.samples.length < 5) t.samples.push(e instanceof Error ? e.message : String(e))
  }
}

/** A `/stream` read to its end; a non-200 answer or a stream without `[DONE]` is an error. */
const streamOnce = async (instance: Instance, key: string, workflowId: string, body: unknown) => {
  const response = await fetch(`${instance.url}/api/v1/workflows/${workflowId}/stream`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000)
  })
  const text = await response.text()
  return { status: response.status === 200 && text.includes("data: [DONE]") ? 200 : response.status === 200 ? 599 : response.status, text }
}

const main = async () => {
  const scope = Effect.runSync(Scope.make())
  const admin = new pg.Client({ connectionString: serverUrl })
  await admin.connect()
  const database = `ast_soak_${randomBytes(4).toString("hex")}`
  await admin.query(`CREATE DATABASE ${database}`)
  const databaseUrl = Object.assign(new URL(serverUrl), { pathname: `/${database}` }).toString()
  const instances: Array<Instance> = []
  try {
    const model = await Effect.runPromise(Scope.extend(fakeOpenAI(() => ({ content: "Olá! Posso ajudar com mais alguma coisa?", tokenDelayMs: 2 })), scope))
    const env = clusterEnv(databaseUrl, redisUrl, { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "sk-soak-fake", AST_SWEEP_INTERVAL_MS: "2000" })
    for (const name of ["a", "b", "c"]) instances.push(await startInstance(name, env, 120_000))
    const [first] = instances
    const key: string = (await call(first!, "/api/v1/admin/api-keys", { key: "cluster-admin-token", body: { organizationId: "org-soak" } })).json.key
    const bursts: string = (await call(first!, "/api/v1/workflows", { key, body: accumulating })).json.id
    const agents: string = (await call(first!, "/api/v1/workflows", { key, body: agentic })).json.id

    const triggers = tally()
    const executes = tally()
    const streams = tally()
    const accepted = new Map<string, string>()
    const memory: Array<{ at: number; mib: ReadonlyArray<number> }> = []
    const started = Date.now()
    const inFlight = new Set<Promise<void>>()
    const launch = (work: () => Promise<void>) => {
      const p = work().finally(() => inFlight.delete(p))
      inFlight.add(p)
    }
    let tick = 0
    let nextSample = started
    while (Date.now() - started < SECONDS * 1000) {
      const instance = instances[tick % instances.length]!
      const thread = `5511${String(tick % 500).padStart(6, "0")}`
      for (let i = 0; i < TRIGGERS_PER_SECOND / 10; i++) {
        const id = `wamid-${tick}-${i}`
        launch(() => counted(triggers, async () => {
          const answer = await call(instance, `/api/v1/workflows/${bursts}/trigger`, { key, body: { threadId: `${thread}-${i}`, input: { messages: [{ id, content: `m${tick}` }], sender: { phone: thread } } } })
          if (answer.status === 202 || answer.status === 200) accepted.set(id, answer.json.executionId)
          return { status: answer.status, text: JSON.stringify(answer.json) }
        }))
      }
      if (tick % Math.round(10 / EXECUTES_PER_SECOND) === 0) {
        launch(() => counted(executes, async () => {
          const answer = await call(instance, `/api/v1/workflows/${agents}/execute`, { key, body: { threadId: `agent-${tick % 50}`, input: { messages: [{ content: "oi" }], sender: { phone: "5511000" } } } })
          return { status: answer.status === 200 && answer.json.status !== "completed" ? 598 : answer.status, text: JSON.stringify(answer.json) }
        }))
      }
      if (tick % Math.round(10 / STREAMS_PER_SECOND) === 0) {
        launch(() => counted(streams, () => streamOnce(instance, key, agents, { threadId: `stream-${tick % 20}`, input: { messages: [{ content: "oi" }], sender: { phone: "5511000" } } })))
      }
      if (Date.now() >= nextSample) {
        memory.push({ at: Date.now() - started, mib: instances.map((i) => rssMiB(i.process.pid)) })
        nextSample += SAMPLE_EVERY_MS
      }
      tick += 1
      await sleep(100)
    }
    await Promise.all([...inFlight])

    // Every accepted message in exactly one finished execution.
    const db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    const deadline = Date.now() + 120_000
    let pending = Number.POSITIVE_INFINITY
    while (pending > 0 && Date.now() < deadline) {
      pending = Number((await db.query("SELECT count(*) AS n FROM executions WHERE status IN ('pending', 'running')")).rows[0].n)
      if (pending > 0) await sleep(1000)
    }
    const statuses = (await db.query("SELECT status, count(*) AS n FROM executions GROUP BY status ORDER BY status")).rows
    await db.end()
    memory.push({ at: Date.now() - started, mib: instances.map((i) => rssMiB(i.process.pid)) })

    // Growth under load: the mean of the last minute of load against the mean of the minute after the
    // warm-up (single samples jump with the garbage collector); the drained figure is after the load.
    const drained = memory.at(-1)!
    const underLoad = memory.slice(0, -1)
    const meanOf = (samples: ReadonlyArray<{ mib: ReadonlyArray<number> }>, n: number) => samples.reduce((sum, m) => sum + m.mib[n]!, 0) / Math.max(1, samples.length)
    const early = underLoad.filter((m) => m.at >= WARMUP_SECONDS * 1000 && m.at < (WARMUP_SECONDS + 60) * 1000)
    const late = underLoad.filter((m) => m.at >= underLoad.at(-1)!.at - 60_000)
    const minutes = Math.max(1 / 60, ((late[0]?.at ?? 0) - (early[0]?.at ?? 0)) / 60_000)
    const growth = instances.map((inst, n) => ({
      name: inst.name,
      start: meanOf(early, n),
      end: meanOf(late, n),
      drained: drained.mib[n]!,
      perMinute: (meanOf(late, n) - meanOf(early, n)) / minutes
    }))
    const line = (name: string, t: Tally) => `| ${name} | ${t.requests} | ${t.errors} | ${t.samples.map((s) => s.replace(/\|/g, "/")).join("<br>") || "—"} |`
    const report = [
      "# Soak run",
      "",
      "Written by `npm run soak` (bench/soak.ts).",
      "",
      `- Machine: ${os.type()} ${os.release()}; ${os.cpus()[0]?.model.trim()}; ${os.availableParallelism()} cores; Node ${process.version}`,
      `- Date: ${new Date().toISOString()}; ${SECONDS} s of load on 3 instances (PostgreSQL + Redis), then drained`,
      `- Load: ${TRIGGERS_PER_SECOND} triggers/s (accumulated bursts, 1 s window), ${EXECUTES_PER_SECOND} agent executes/s, ${STREAMS_PER_SECOND} agent streams/s, round-robin over the instances`,
      "",
      "| kind | requests | errors | first errors |",
      "|---|--:|--:|---|",
      line("trigger", triggers),
      line("execute (agent)", executes),
      line("stream (agent)", streams),
      "",
      `Executions by status after the drain: ${statuses.map((r: { status: string; n: string }) => `${r.status} ${r.n}`).join(", ")}; ` +
        `still pending/running after 120 s: ${pending}. Accepted trigger messages: ${accepted.size}.`,
      "",
      `Resident memory (MiB): the mean of the minute after the ${WARMUP_SECONDS} s warm-up, the mean of the last minute of load, the growth between them per minute, and once drained and idle:`,
      "",
      "| instance | first minute after warm-up | last minute of load | growth MiB/min | drained |",
      "|---|--:|--:|--:|--:|",
      ...growth.map((g) => `| ${g.name} | ${g.start.toFixed(0)} | ${g.end.toFixed(0)} | ${g.perMinute.toFixed(2)} | ${g.drained.toFixed(0)} |`),
      "",
      "Samples every 10 s (MiB, instances a/b/c): " + memory.map((m) => `${Math.round(m.at / 1000)}s ${m.mib.map((x) => x.toFixed(0)).join("/")}`).join("; "),
      ""
    ].join("\n")
    writeFileSync(outputPath, report)
    console.log(report)
    if (triggers.errors + executes.errors + streams.errors > 0 || pending > 0) process.exitCode = 1
  } finally {
    await Promise.all(instances.map((i) => stopInstance(i).catch(() => undefined)))
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined)
    await admin.end()
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) await main()
