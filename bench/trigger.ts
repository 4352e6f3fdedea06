/**
 * `POST /api/v1/workflows/{id}/trigger` under load: AST (`node src/main.ts` on PostgreSQL, a child process)
 * against a bare `node:http` server that parses the body and inserts it into the same PostgreSQL
 * (bench/bareServer.ts, a child process too), both loaded by autocannon from this process in the same run; and the
 * bare server's work written on AST's stack (bench/stackFloorServer.ts), against the same bare server: what the
 * framework alone costs.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { bareTable, loadPg, type PgPool } from "./bareServer.ts"
import { type Benchmark, type Measurement, median } from "./Benchmark.ts"
import { freePort } from "./freePort.ts"
import { floorTable } from "./stackFloorServer.ts"

/** The PostgreSQL server the benchmark creates its database in (and drops it from afterwards). */
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const CONNECTIONS = 20
/** Seconds of one timed run (`BENCH_TRIGGER_SECONDS` shortens it while working on the benchmark). */
const SECONDS = Number(process.env.BENCH_TRIGGER_SECONDS ?? "10")
const WARMUP_SECONDS = 3
const REPETITIONS = 2
/** AST must serve at least 0.6× the bare server's requests/s: its time per request at most 1/0.6 of it. */
const THROUGHPUT_TARGET = 0.6
const P99_TARGET = 2
const THREADS = 1000
/**
 * How long the benchmark waits after an AST run for its executions to finish before the next run. One
 * that is still working by then goes on during the next run (the bare server's), which the note says.
 */
const SETTLE_CAP_MS = 12_000
const ORG = "org-bench"
/** `BENCH_TRIGGER_CPU_PROF=<dir>`: AST runs with `--cpu-prof` and writes its profile there when stopped. */
const cpuProfileDir = process.env.BENCH_TRIGGER_CPU_PROF

const root = path.resolve(import.meta.dirname, "..")
/** `BENCH_TRIGGER_AST_DIR=<checkout>`: run that checkout's `src/main.ts` (e.g. another commit) instead of this one's. */
const astDir = process.env.BENCH_TRIGGER_AST_DIR === undefined ? root : path.resolve(process.env.BENCH_TRIGGER_AST_DIR)

// ---------------------------------------------------------------------------------------------------------
// autocannon (it ships no types): the part used here.

interface Histogram {
  readonly average: number
  readonly p50: number
  readonly p99: number
  readonly max: number
}
interface AutocannonResult {
  readonly latency: Histogram
  readonly requests: Histogram
  readonly duration: number
  readonly errors: number
  readonly timeouts: number
  readonly non2xx: number
  readonly statusCodeStats: Record<string, { readonly count: number }>
  readonly "2xx": number
}
interface AutocannonRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body?: string
  readonly setupRequest?: (request: AutocannonRequest) => AutocannonRequest
}
type Autocannon = (
  options: { readonly url: string; readonly connections: number; readonly duration: number; readonly requests: ReadonlyArray<AutocannonRequest> },
  done: (error: Error | null, result: AutocannonResult) => void
) => unknown

const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon

// ---------------------------------------------------------------------------------------------------------
// The §5 trigger body: one message (a fresh WhatsApp id each time), a sender, the instance; THREADS threads.

const runTag = randomBytes(4).toString("hex")
let sent = 0

const triggerBody = () => {
  const n = sent++
  const phone = `55119${String(n % THREADS).padStart(8, "0")}`
  return JSON.stringify({
    threadId: phone,
    input: {
      messages: [{ id: `wamid-${runTag}-${n}`, content: "oi, preciso de ajuda com o meu pedido", timestamp: "2024-12-13T10:00:00Z", type: "text" }],
      sender: { phone, name: "João" }
    },
    context: { instanceId: "inst-bench" }
  })
}

// ---------------------------------------------------------------------------------------------------------
// Children: AST and the bare server, each its own process, stopped at the end (also on failure).

interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
  /** The last lines it wrote, for an error message. */
  readonly tail: () => string
  readonly onLine: (listen: (line: string) => void) => void
}

const children = new Set<Child>()
const killAll = () => {
  for (const child of children) child.process.kill("SIGKILL")
}

const startChild = (name: string, cwd: string, args: ReadonlyArray<string>, env: Record<string, string>): Child => {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
  const lines: Array<string> = []
  const listeners: Array<(line: string) => void> = []
  const collector = () => {
    let partial = ""
    return (chunk: Buffer) => {
      const parts = (partial + chunk.toString("utf8")).split("\n")
      partial = parts.pop() ?? ""
      for (const line of parts) {
        if (line.trim() === "") continue
        lines.push(line)
        if (lines.length > 30) lines.shift()
        for (const listen of listeners) listen(line)
      }
    }
  }
  child.stdout.on("data", collector())
  child.stderr.on("data", collector())
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
  const handle: Child = {
    name,
    process: child,
    exited,
    tail: () => lines.map((l) => `    ${l}`).join("\n"),
    onLine: (listen) => listeners.push(listen)
  }
  children.add(handle)
  void exited.then(() => children.delete(handle))
  return handle
}

const stopChild = async (child: Child) => {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  child.process.kill("SIGTERM")
  const stopped = await Promise.race([child.exited.then(() => true), sleep(15_000).then(() => false)])
  if (!stopped) {
    child.process.kill("SIGKILL")
    await child.exited
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Fails with the child's last output if it exits before `ready` resolves or `ready` takes over 60 s. */
const whileAlive = <A>(child: Child, what: string, ready: Promise<A>): Promise<A> =>
  Promise.race([
    ready,
    child.exited.then((code) => Promise.reject(new Error(`${child.name} exited (${code ?? child.process.signalCode}) before ${what}:\n${child.tail()}`))),
    sleep(60_000).then(() => Promise.reject(new Error(`${child.name}: no ${what} within 60 s:\n${child.tail()}`)))
  ])

/** The port a baseline server child prints as `{"listening": <port>}` once it listens. */
const listenedPort = (child: Child) =>
  whileAlive(child, "it listened", new Promise<number>((resolve) => child.onLine((line) => {
    if (line.startsWith("{\"listening\"")) resolve((JSON.parse(line) as { listening: number }).listening)
  })))

const pollUntilReady = async (url: string) => {
  for (;;) {
    const ok = await fetch(url).then((r) => r.ok, () => false)
    if (ok) return
    await sleep(100)
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP setup calls to AST.

const call = async (url: string, token: string, body: unknown, expected: number) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
  const text = await response.text()
  if (response.status !== expected) throw new Error(`POST ${new URL(url).pathname} answered ${response.status} (expected ${expected}): ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** A webhook workflow: trigger → transform (a reply built from a template and a JsonLogic expression). */
const workflowDocument = {
  name: "bench: trigger → transform",
  trigger: { type: "webhook" },
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      {
        id: "reply",
        type: "transform",
        config: { set: { text: "Olá {{input.sender.name}}! Você disse: {{input.aggregatedInput}}", messages: { var: "input.messages.length" } } }
      }
    ],
    edges: [{ from: "trigger", to: "reply" }]
  }
}

// ---------------------------------------------------------------------------------------------------------
// Load.

interface Side {
  readonly name: "AST" | "bare" | "floor"
  readonly child: Child
  readonly url: string
  readonly path: string
  readonly token: string
  /** Waits until the side has finished the work the load left behind (AST's executions), see `settleAst`. */
  readonly settle: () => Promise<Settled>
  /** How many triggers the side has finished processing so far (AST: completed executions). */
  readonly finished: () => Promise<number>
}

interface Settled {
  /** Executions left unstarted for good by requests cut off when the load stopped. */
  readonly cutOff: number
  /** Executions still running or queued when the wait reached `SETTLE_CAP_MS`. */
  readonly stillWorking: number
}

interface Sample {
  readonly requestsPerSecond: number
  readonly p99: number
  readonly p50: number
  readonly completed: number
  readonly settleMs: number
  /** Triggers finished (AST: executions completed) per second over the load and the wait after it. */
  readonly sustainedPerSecond: number
  readonly settled: Settled
  /** CPU time of the side's process per answered request, load and settling included (Linux only). */
  readonly cpuMsPerRequest: number | undefined
}

/** User + system CPU milliseconds a process has used so far, from /proc (100 ticks a second on Linux). */
const cpuMsOf = (pid: number | undefined): number | undefined => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")
    return fields === undefined ? undefined : (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

const load = (side: Side, seconds: number) =>
  new Promise<AutocannonResult>((resolve, reject) => {
    autocannon({
      url: side.url,
      connections: CONNECTIONS,
      duration: seconds,
      requests: [{
        method: "POST",
        path: side.path,
        headers: { authorization: `Bearer ${side.token}`, "content-type": "application/json" },
        setupRequest: (request) => ({ ...request, body: triggerBody() })
      }]
    }, (error, result) => (error === null ? resolve(result) : reject(error)))
  })

/** Every request of a run must have been answered 202; a run that had errors fails the benchmark. */
const timed = async (side: Side, seconds: number): Promise<Sample> => {
  const finishedBefore = await side.finished()
  const cpuBefore = cpuMsOf(side.child.process.pid)
  const result = await load(side, seconds)
  const completed = result["2xx"]
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || completed === 0) {
    const child = side.child.process
    const exited = child.exitCode !== null || child.signalCode !== null
      ? ` ${side.child.name} had exited (${child.exitCode ?? child.signalCode}); its last output:\n${side.child.tail()}`
      : ""
    throw new Error(`${side.name}: ${completed} answered 2xx, ${result.non2xx} not (${JSON.stringify(result.statusCodeStats)}), ` +
      `${result.errors} errors, ${result.timeouts} timeouts.${exited}`)
  }
  const settleStarted = performance.now()
  const settled = await side.settle()
  const settleMs = performance.now() - settleStarted
  const cpuAfter = cpuMsOf(side.child.process.pid)
  const finishedAfter = await side.finished()
  return {
    requestsPerSecond: completed / result.duration,
    p99: result.latency.p99,
    p50: result.latency.p50,
    completed,
    settleMs,
    sustainedPerSecond: (finishedAfter - finishedBefore) / (result.duration + settleMs / 1000),
    settled,
    cpuMsPerRequest: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / completed
  }
}

const settledText = (x: Sample) =>
  (x.settled.stillWorking > 0
    ? `${x.settled.stillWorking} still unfinished ${Math.round(x.settleMs / 1000)} s after the load`
    : `finished ${(x.settleMs / 1000).toFixed(1)} s after the load`) +
  ` (${Math.round(x.sustainedPerSecond)} executions/s completed over load and wait)` +
  (x.settled.cutOff > 0 ? `, ${x.settled.cutOff} cut off` : "")

const withDatabase = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const describeUrl = (url: string) => {
  const u = new URL(url)
  return `${u.protocol}//${u.username ? `${u.username}@` : ""}${u.host}${u.pathname}`
}

const connect = async (connectionString: string) => {
  const client = new (loadPg().Client)({ connectionString })
  await client.connect()
  return client
}

const count = async (db: PgPool, query: string) => Number((await db.query(query)).rows[0]?.n ?? 0)

/** Filled in by `run`: what this run measured beyond the table. */
let runNote = ""

const measure = async (): Promise<ReadonlyArray<Measurement>> => {
  const name = `ast_bench_trigger_${process.pid}_${randomBytes(4).toString("hex")}`
  const admin = await connect(serverUrl).catch((e: unknown) => {
    throw new Error(`cannot reach PostgreSQL at ${describeUrl(serverUrl)} (${e instanceof Error ? e.message : String(e)}): is it running? ` +
      "Start it (on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point BENCH_DATABASE_URL at another server")
  })
  process.once("exit", killAll)
  let db: (PgPool & { connect(): Promise<void> }) | undefined
  try {
    await admin.query(`CREATE DATABASE ${name}`)
    const databaseUrl = withDatabase(serverUrl, name)
    const adminToken = randomBytes(24).toString("base64url")
    const astPort = await freePort()
    const astArgs = cpuProfileDir === undefined ? ["src/main.ts"] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`, "src/main.ts"]
    const ast = startChild("AST", astDir, astArgs, {
      PORT: String(astPort),
      HOST: "127.0.0.1",
      DATABASE_URL: databaseUrl,
      AST_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      AST_ADMIN_TOKEN: adminToken,
      AST_SHUTDOWN_TIMEOUT_SECONDS: "5",
      // Requests per minute per key: far above what the load sends, so the limiter checks but never refuses.
      AST_RATE_LIMIT: "1000000000"
    })
    const astUrl = `http://127.0.0.1:${astPort}`
    await whileAlive(ast, "/ready answered", pollUntilReady(`${astUrl}/ready`))

    const bareToken = randomBytes(24).toString("base64url")
    const bare = startChild("bare server", root, ["bench/bareServer.ts"], { PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, BARE_TOKEN: bareToken })
    const bareUrl = `http://127.0.0.1:${await listenedPort(bare)}`
    const floor = startChild("stack floor server", root, ["bench/stackFloorServer.ts"], { PORT: "0", HOST: "127.0.0.1", DATABASE_URL: databaseUrl, BARE_TOKEN: bareToken })
    const floorUrl = `http://127.0.0.1:${await listenedPort(floor)}`

    db = await connect(databaseUrl)
    const observer = db
    const settings = (await observer.query(`SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync,
      current_setting('synchronous_commit') AS sync`)).rows[0] ?? {}

    const created = await call(`${astUrl}/api/v1/admin/api-keys`, adminToken, { organizationId: ORG, name: "bench" }, 201)
    const key = String(created.key)
    const workflow = await call(`${astUrl}/api/v1/workflows`, key, workflowDocument, 201)
    const triggerPath = `/api/v1/workflows/${String(workflow.id)}/trigger`
    // One request each by hand first: the answer both give is the contract's.
    for (const [url, token] of [[astUrl, key], [bareUrl, bareToken], [floorUrl, bareToken]] as const) {
      const answered = await call(`${url}${triggerPath}`, token, triggerBody(), 202)
      if (answered.status !== "triggered" || typeof answered.executionId !== "string") {
        throw new Error(`${url}${triggerPath} answered ${JSON.stringify(answered)}`)
      }
    }

    const unfinished = `SELECT count(*) AS n FROM executions WHERE status IN ('pending', 'running')`
    let cutOffBefore = 0
    /** Executions by status, and bursts by status where AST keeps them, for an error message. */
    const executionStates = async () => {
      const rows = async (query: string) => (await observer.query(query)).rows.map((r) => `${String(r.status)} ${String(r.n)}`).join(", ")
      const executions = await rows("SELECT status, count(*) AS n FROM executions GROUP BY status ORDER BY status")
      const hasBursts = (await observer.query("SELECT to_regclass('bursts') IS NOT NULL AS present")).rows[0]?.present === true
      return `executions: ${executions}` + (hasBursts ? `; bursts: ${await rows("SELECT status, count(*) AS n FROM bursts GROUP BY status ORDER BY status")}` : "")
    }
    /**
     * Until AST's executions are done, at most `SETTLE_CAP_MS`. A request in flight when the load stops is cut
     * off: AST may have recorded its execution and never start it, so a handful (at most one per connection)
     * that stay unfinished for a second are counted as cut off rather than waited for.
     */
    const settleAst = async (): Promise<Settled> => {
      const started = performance.now()
      let last = -1
      let changedAt = started
      for (;;) {
        const n = (await count(observer, unfinished)) - cutOffBefore
        const now = performance.now()
        if (n <= 0) return { cutOff: 0, stillWorking: 0 }
        if (n !== last) {
          last = n
          changedAt = now
        } else if (n <= CONNECTIONS && now - changedAt > 1000) {
          cutOffBefore += n
          return { cutOff: n, stillWorking: 0 }
        }
        if (now - started > SETTLE_CAP_MS) {
          console.log(`  AST: still working on ${n} executions ${SETTLE_CAP_MS / 1000} s after the load (${await executionStates()})`)
          return { cutOff: 0, stillWorking: n }
        }
        await sleep(50)
      }
    }
    const astSide: Side = {
      name: "AST", child: ast, url: astUrl, path: triggerPath, token: key, settle: settleAst,
      finished: () => count(observer, "SELECT count(*) AS n FROM executions WHERE status = 'completed'")
    }
    /** A baseline server: nothing left to settle after a run; what it finished is the rows of its table. */
    const baselineSide = (name: "bare" | "floor", child: Child, url: string, table: string): Side => ({
      name, child, url, path: triggerPath, token: bareToken, settle: async () => ({ cutOff: 0, stillWorking: 0 }),
      finished: () => count(observer, `SELECT count(*) AS n FROM ${table}`)
    })
    const bareSide = baselineSide("bare", bare, bareUrl, bareTable)
    const floorSide = baselineSide("floor", floor, floorUrl, floorTable)

    await timed(astSide, WARMUP_SECONDS)
    await timed(bareSide, WARMUP_SECONDS)
    await timed(floorSide, WARMUP_SECONDS)
    const samples: Record<Side["name"], Array<Sample>> = { AST: [], bare: [], floor: [] }
    for (let i = 0; i < REPETITIONS; i++) {
      // AST, bare, floor, floor, bare, AST, …: the bare server runs between the other two, each of them as often first as last.
      for (const side of i % 2 === 0 ? [astSide, bareSide, floorSide] : [floorSide, bareSide, astSide]) {
        const sample = await timed(side, SECONDS)
        samples[side.name].push(sample)
        console.log(`  ${side.name}: ${Math.round(sample.requestsPerSecond)} requests/s, p50 ${sample.p50} ms, p99 ${sample.p99} ms` +
          (sample.cpuMsPerRequest === undefined ? "" : `, ${sample.cpuMsPerRequest.toFixed(2)} ms CPU per request`) +
          (side === astSide ? `, ${settledText(sample)}` : ""))
      }
    }

    // Every answered trigger was recorded — warm-up and the requests by hand too; AST's executions completed
    // unless still working (said in the note).
    const astRows = await count(observer, "SELECT count(*) AS n FROM executions")
    const astCompleted = await count(observer, "SELECT count(*) AS n FROM executions WHERE status = 'completed'")
    const astOther = await count(observer, "SELECT count(*) AS n FROM executions WHERE status NOT IN ('pending', 'running', 'completed')")
    const bareRows = await count(observer, `SELECT count(*) AS n FROM ${bareTable}`)
    const floorRows = await count(observer, `SELECT count(*) AS n FROM ${floorTable}`)
    const answered = (s: ReadonlyArray<Sample>) => s.reduce((sum, x) => sum + x.completed, 0)
    const astAnswered = answered(samples.AST)
    const bareAnswered = answered(samples.bare)
    const floorAnswered = answered(samples.floor)
    if (astRows < astAnswered || bareRows < bareAnswered || floorRows < floorAnswered || astOther > 0) {
      throw new Error(`answered 202 but not recorded, or not completed: AST ${astAnswered} answered (${await executionStates()}); ` +
        `bare ${bareAnswered} answered, ${bareRows} rows; stack floor ${floorAnswered} answered, ${floorRows} rows`)
    }
    const stillWorking = astRows - astCompleted - cutOffBefore

    const perSide = (s: ReadonlyArray<Sample>) =>
      s.map((x) => `${Math.round(x.requestsPerSecond)}/s p99 ${x.p99} ms` +
        (x.cpuMsPerRequest === undefined ? "" : ` ${x.cpuMsPerRequest.toFixed(2)} ms CPU/request`)).join(", ")
    const overlapped = samples.AST.some((x) => x.settled.stillWorking > 0)
    runNote = (astDir === root ? "" : ` AST ran from ${astDir} (BENCH_TRIGGER_AST_DIR).`) +
      ` In this run: AST ${perSide(samples.AST)}; bare ${perSide(samples.bare)}; stack floor ${perSide(samples.floor)} (CPU: the child process's user + system ` +
      "time over the run and the wait after it, per answered request). After each timed AST run, AST's executions " +
      `(trigger → transform): ${samples.AST.map(settledText).join("; ")}. In all ${astCompleted} of ${astRows} executions ` +
      "completed" + (cutOffBefore > 0 ? `, ${cutOffBefore} never started (requests cut off when a load stopped)` : "") +
      (stillWorking > 0 ? `, ${stillWorking} still queued or running at the end` : "") + "." +
      (overlapped
        ? ` AST could not finish its executions within ${SETTLE_CAP_MS / 1000} s of a run, so it was still working ` +
          "on them during the runs that followed: that lowers the bare server's numbers (the ratio flatters AST) and " +
          "AST's own next run's."
        : "") +
      " " +
      `PostgreSQL ${String(settings.version)} at ${describeUrl(serverUrl)} (fsync ${String(settings.fsync)}, synchronous_commit ` +
      `${String(settings.sync)}).`

    const rpsOf = (side: Side["name"]) => median(samples[side].map((s) => s.requestsPerSecond))
    const p99Of = (side: Side["name"]) => median(samples[side].map((s) => s.p99))
    /** A side's medians against the bare server's: ≥ 0.6× its requests/s, p99 within 2× its. */
    const againstBare = (name: string, side: Side["name"]): Measurement => ({
      name,
      units: 1000,
      repetitions: REPETITIONS,
      subjectMs: (1000 * 1000) / rpsOf(side),
      baselineMs: (1000 * 1000) / rpsOf("bare"),
      targetRatio: 1 / THROUGHPUT_TARGET,
      secondary: { label: "p99 ms", subject: p99Of(side), baseline: p99Of("bare"), targetRatio: P99_TARGET }
    })
    return [
      againstBare(`POST /trigger, ${CONNECTIONS} connections`, "AST"),
      againstBare(`stack floor (in the AST columns): the bare server's work on HttpApi + @effect/sql-pg, ${CONNECTIONS} connections`, "floor")
    ]
  } finally {
    await db?.end().catch(() => undefined)
    await Promise.all([...children].map(stopChild))
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: unknown) => console.error(`could not drop ${name}:`, e))
    await admin.end().catch(() => undefined)
    process.removeListener("exit", killAll)
  }
}

export const benchmark: Benchmark = {
  title: "HTTP API: POST /trigger against a bare node:http server",
  get description() {
    return `autocannon (${CONNECTIONS} connections, from the benchmark's process) POSTs the §5 trigger body — threadId ` +
      `(one of ${THREADS}), one message with a fresh WhatsApp id, sender, context.instanceId — with a bearer key. Subject: ` +
      "AST as `npm start` runs it (`node src/main.ts`, a child process, on a fresh PostgreSQL database, the rate limit " +
      "raised out of the way), on `POST /api/v1/workflows/{id}/trigger` of a webhook workflow trigger → transform made " +
      "through the API: it authenticates the key, loads the workflow, decodes the body, records the execution and " +
      "answers 202, then runs it after answering. Baseline: a bare `node:http` server (bench/bareServer.ts, a child " +
      "process too, a `pg` pool of 10 like AST's) that checks a bearer token in memory, parses and minimally validates " +
      "the same body, INSERTs it as one JSONB row in the same database and answers 202 `{status, executionId}`. After " +
      `a ${WARMUP_SECONDS} s warm-up each, the three (with the stack floor below) are loaded in turn for ${SECONDS} s at a time, ${REPETITIONS} runs ` +
      `each (AST, bare, floor, floor, bare, AST); after each AST run the benchmark waits (up to ${SETTLE_CAP_MS / 1000} s) until AST's ` +
      "executions have finished, so they do not fall on the bare server's run. Every request must be answered 202 and " +
      "every answered trigger must be recorded (checked in the database at the end). The table shows medians: " +
      "requests/s answered, the ms columns are the time for 1,000 requests at that rate, and the ratio is the bare " +
      `server's requests/s over AST's — the target "AST answers at least ${THROUGHPUT_TARGET}× the bare server's ` +
      `requests/s" is a ratio ≤ ${(1 / THROUGHPUT_TARGET).toFixed(2)}×; AST's p99 latency (autocannon's, per run) must ` +
      `be within ${P99_TARGET}× the bare server's. The second row holds AST's stack to the same targets without AST: ` +
      "the stack floor (bench/stackFloorServer.ts, a third child process) does exactly the bare server's work — the bearer token checked in memory, the body decoded by " +
      "an HttpApi payload Schema of the same minimal shape, one INSERT — on the framework the issue names: an " +
      "`@effect/platform` HttpApi served by NodeHttpServer, a bearer HttpApiMiddleware, `@effect/sql-pg` (pool of 10), " +
      "Effect's tracer off. Where that row misses a target, no AST built on this stack can meet it on this machine. " +
      "The database is dropped and the children stopped at the end." + runNote
  },
  subject: "AST",
  baseline: "bare server",
  unit: "requests",
  run: measure
}
