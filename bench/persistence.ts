import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Either, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describeUrl, EmbeddedDatabase, PostgresDatabase, reasonOf } from "../src/adapters/postgres/Database.ts"
import { PostgresRepositories } from "../src/adapters/postgres/Repositories.ts"
import type { Step } from "../src/domain/Execution.ts"
import { ExecutionRepo } from "../src/ports/ExecutionRepo.ts"
import { type Benchmark, type Measurement, median, noTarget } from "./Benchmark.ts"

/**
 * The PostgreSQL server the benchmark creates its database in (and drops it from afterwards): the one the
 * tests use unless `BENCH_DATABASE_URL` names another.
 */
const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test"

const ORG = "org-bench"
const WORKFLOW_ID = "00000000-0000-4000-8000-000000000001"
const THREAD_ID = "5511999999999"
const STEPS = 10
const CONCURRENCY = 8

const stepsOf = (executionId: string): ReadonlyArray<Step> =>
  Array.from({ length: STEPS }, (_, i) => ({
    id: `t${i + 1}:1`,
    nodeId: `t${i + 1}`,
    stepName: "transform",
    attempt: 1,
    status: "completed",
    input: { in: `t${i}`, executionId, vars: { phone: THREAD_ID, n: i } },
    output: { out: `t${i + 1}`, nested: { list: [1, "two", null], text: "oi, tudo bem?" } },
    error: null,
    durationMs: 3,
    startedAt: "2026-11-25T10:00:00.000Z",
    finishedAt: "2026-11-25T10:00:00.003Z"
  }))

const INPUT = { messages: [{ content: "oi, tudo bem?", type: "text" }], sender: { phone: THREAD_ID, name: "João" } }
const OUTPUT = { reply: "Olá! Tudo bem, e com você?" }

/** One execution written as the interpreter writes it (create, a step per node, final status) and read back. */
const oneExecution = Effect.gen(function* () {
  const repo = yield* ExecutionRepo
  const id = crypto.randomUUID()
  const ref = { organizationId: ORG, executionId: id }
  yield* repo.create({ id, organizationId: ORG, workflowId: WORKFLOW_ID, workflowVersion: 1, threadId: THREAD_ID, status: "running", input: INPUT })
  for (const step of stepsOf(id)) yield* repo.recordSteps(ref, [step])
  yield* repo.setStatus(ref, "completed", { output: OUTPUT })
  const read = yield* repo.get(ORG, id)
  if (Option.isNone(read)) return yield* Effect.dieMessage(`execution ${id} was written but not found`)
  const { status, steps, output } = read.value
  if (status !== "completed" || steps.length !== STEPS || steps.some((s, i) => s.id !== `t${i + 1}:1`) ||
    JSON.stringify(output) !== JSON.stringify(OUTPUT)) {
    return yield* Effect.dieMessage(`execution ${id} read back as ${status} with ${steps.length} steps (${steps.map((s) => s.id).join(", ")})`)
  }
})

/** Milliseconds for `count` executions, at most `concurrency` in flight. */
const batch = (count: number, concurrency: number) =>
  Effect.gen(function* () {
    const started = performance.now()
    yield* Effect.forEach(Array.from({ length: count }), () => oneExecution, { concurrency, discard: true })
    return performance.now() - started
  })

const withDatabase = (url: string, name: string) => {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/**
 * A fresh database on the PostgreSQL server (dropped afterwards, even if the benchmark fails), migrated.
 * The admin pool is built in the same scope before the database, so it is still open when the drop runs.
 */
const freshPostgres = Layer.unwrapScoped(
  Effect.gen(function* () {
    const name = `ast_bench_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
    const admin = yield* Layer.build(PgClient.layer({ url: Redacted.make(serverUrl), maxConnections: 1, connectTimeout: Duration.seconds(5) }))
    const sql = Context.get(admin, PgClient.PgClient)
    yield* Effect.acquireRelease(
      sql.unsafe(`CREATE DATABASE ${name}`),
      () => Effect.ignore(sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))
    )
    return PostgresDatabase(Redacted.make(withDatabase(serverUrl, name)))
  }).pipe(
    Effect.mapError((e) =>
      new Error(
        `cannot create a database on PostgreSQL at ${describeUrl(serverUrl)} (${reasonOf(e)}): is it running? Start it ` +
          "(on this machine: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or point " +
          "BENCH_DATABASE_URL at another server"
      )
    )
  )
)

/** The embedded database in a fresh temporary directory (removed afterwards). */
const freshPglite = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "ast-bench-pglite-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => EmbeddedDatabase(dir)
  )
)

type Repos = Context.Context<ExecutionRepo | PgClient.PgClient>

/** A side's failure, named, so the report says which database it was. */
class SideFailed extends Error {
  readonly side: string
  constructor(side: string, error: unknown) {
    super(`${side}: ${error instanceof Error ? error.message : String(error)}`)
    this.side = side
  }
}

/** Warm both up, then time interleaved repetitions (drift falls on both sides alike); medians. */
const compare = (
  name: string,
  sides: { readonly pglite: Repos; readonly postgres: Repos },
  plan: { readonly count: number; readonly concurrency: number; readonly warmups: number; readonly repetitions: number }
) =>
  Effect.gen(function* () {
    const timed = (side: "PGlite" | "PostgreSQL") =>
      Effect.provide(batch(plan.count, plan.concurrency), side === "PGlite" ? sides.pglite : sides.postgres).pipe(
        Effect.mapError((e) => new SideFailed(side, e)),
        Effect.catchAllDefect((e) => Effect.fail(new SideFailed(side, e)))
      )
    for (let i = 0; i < plan.warmups; i++) {
      yield* timed("PostgreSQL")
      yield* timed("PGlite")
    }
    const subject: Array<number> = []
    const baseline: Array<number> = []
    for (let i = 0; i < plan.repetitions; i++) {
      // Alternating which side goes first, so neither always runs right after the other's writes.
      if (i % 2 === 0) {
        baseline.push(yield* timed("PostgreSQL"))
        subject.push(yield* timed("PGlite"))
      } else {
        subject.push(yield* timed("PGlite"))
        baseline.push(yield* timed("PostgreSQL"))
      }
    }
    const spread = (samples: ReadonlyArray<number>) =>
      `${median(samples).toFixed(1)} ms (min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)})`
    console.log(`  ${name}, ${plan.repetitions} × ${plan.count} executions: PGlite ${spread(subject)}, PostgreSQL ${spread(baseline)}`)
    const measurement: Measurement = {
      name,
      units: plan.count,
      repetitions: plan.repetitions,
      subjectMs: median(subject),
      baselineMs: median(baseline),
      targetRatio: noTarget
    }
    return measurement
  })

/** Filled in by `run`: the server's version and settings, and a case that could not be measured. */
let serverNote = ""
let failureNote = ""

const program = Effect.gen(function* () {
  const postgres = yield* Layer.build(PostgresRepositories.pipe(Layer.provideMerge(freshPostgres)))
  const pglite = yield* Layer.build(PostgresRepositories.pipe(Layer.provideMerge(freshPglite)))
  const settingsOf = (side: Repos) =>
    Effect.provide(
      Effect.flatMap(PgClient.PgClient, (sql) =>
        sql<{ version: string; fsync: string; sync: string }>`SELECT current_setting('server_version') AS version,
          current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync`),
      side
    ).pipe(Effect.map((rows) => rows[0]))
  const server = yield* settingsOf(postgres)
  const embedded = yield* settingsOf(pglite)
  if (server !== undefined && embedded !== undefined) {
    serverNote = ` In this run: PostgreSQL ${server.version} at ${describeUrl(serverUrl)} (fsync ${server.fsync}, ` +
      `synchronous_commit ${server.sync}); PGlite ${embedded.version} in a directory under ${tmpdir()} (fsync ` +
      `${embedded.fsync}, synchronous_commit ${embedded.sync}).`
  }
  const sides = { postgres, pglite }
  const sequential = yield* compare("sequential (1 in flight)", sides, { count: 40, concurrency: 1, warmups: 2, repetitions: 9 })
  // Measured last: a failure here (see the note) must not cost the sequential numbers.
  const concurrentName = `concurrent (${CONCURRENCY} in flight)`
  const concurrentPlan = { count: 80, concurrency: CONCURRENCY, warmups: 2, repetitions: 9 }
  const concurrent = yield* compare(concurrentName, sides, concurrentPlan).pipe(
    Effect.map(Option.some),
    Effect.catchAll((failure) =>
      Effect.gen(function* () {
        console.error(`  ${concurrentName}: failed on ${failure.message}`)
        failureNote = `\n\n**The ${concurrentName} case could not be compared**: ${failure.message}.`
        if (failure.side !== "PGlite") return Option.none<Measurement>()
        // PostgreSQL alone, so the report still has its concurrent throughput.
        const samples: Array<number> = []
        for (let i = 0; i < concurrentPlan.repetitions; i++) {
          samples.push(yield* Effect.provide(batch(concurrentPlan.count, CONCURRENCY), postgres))
        }
        const perSecondAlone = Math.round((concurrentPlan.count * 1000) / median(samples)).toLocaleString("en-US")
        console.log(`  ${concurrentName}, PostgreSQL alone: ${median(samples).toFixed(1)} ms per ${concurrentPlan.count} executions`)
        failureNote += ` PostgreSQL alone did ${perSecondAlone} executions/s (median of ${concurrentPlan.repetitions} × ` +
          `${concurrentPlan.count}). PGlite is one single-user backend behind its socket; \`EmbeddedDatabase\` gives it a ` +
          "pool of several connections, and concurrent extended-protocol queries from different connections can " +
          "interleave there (compare electric-sql/pglite#1046)."
        return Option.none<Measurement>()
      })
    )
  )
  return Option.match(concurrent, { onNone: () => [sequential], onSome: (c) => [sequential, c] })
}).pipe(
  Effect.scoped,
  // The database layers log their migrations at info; the table is what matters here.
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

export const benchmark: Benchmark = {
  title: "Persistence: PGlite against PostgreSQL",
  get description() {
    return "One execution as the interpreter persists it, through the `ExecutionRepo` port " +
      "(src/adapters/postgres/ExecutionRepo.ts, the same code on both databases): `create`, `recordSteps` ×10 (one step each: completed " +
      "transform steps with small JSON input and output), `setStatus(completed, {output})`, then `get` — checked to " +
      "come back completed with the 10 steps in order and the output. Subject: embedded PGlite (`EmbeddedDatabase`, " +
      "stored in a fresh temporary directory, reached through its loopback socket by a 4-connection pool, one query " +
      "at a time inside PGlite). Baseline: PostgreSQL (`PostgresDatabase`, a fresh database on the local server, " +
      "10-connection pool). Both are migrated, built in the same process and run interleaved after a warm-up; " +
      "the table shows medians of 9 repetitions (40 executions each one at a time, 80 each with 8 in flight). " +
      "Executions/s counts whole write-and-read-back cycles. There is no target: this measures what the embedded " +
      "default costs relative to PostgreSQL, so the target column is ∞ (informational) and always met. The " +
      "database and the temporary directory are removed at the end." + serverNote + failureNote
  },
  subject: "PGlite",
  baseline: "PostgreSQL",
  unit: "executions",
  run: async () => {
    const result = await Effect.runPromise(Effect.either(program))
    if (Either.isLeft(result)) {
      const e = result.left
      throw e instanceof Error ? e : new Error(String(e))
    }
    return result.right
  }
}
