import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { resolve } from "node:path"
import { freshDatabaseUrl, skipServices } from "../support/databases.ts"
import { call, type Instance, startInstance, stopInstance } from "../support/instances.ts"

const root = resolve(import.meta.dirname, "../..")

interface LogLine {
  readonly timestamp: string
  readonly level: string
  readonly message: string
  readonly annotations?: Record<string, unknown>
}

/** Every line of a process's output as a log line; a line that is not JSON with level and message fails the test. */
const logLines = (output: string): ReadonlyArray<LogLine> =>
  output.split("\n").filter((l) => l.trim() !== "").map((line) => {
    let parsed: unknown
    expect(() => (parsed = JSON.parse(line)), `not a JSON line: ${line}`).not.toThrow()
    expect(parsed, line).toMatchObject({ timestamp: expect.any(String), level: expect.stringMatching(/^(debug|info|warn|error|fatal)$/), message: expect.any(String) })
    return parsed as LogLine
  })

/** Runs `node src/main.ts` with exactly `env` (and PATH) until it exits on its own. */
const runToExit = (env: Record<string, string>, timeoutMs = 30_000) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ["src/main.ts"], { cwd: root, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      fail(new Error(`did not exit within ${timeoutMs} ms:\n${stdout}${stderr}`))
    }, timeoutMs)
    child.on("exit", (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })

describe("configuration (CONTRACT §1): bad values stop startup with one clear line per problem", () => {
  it("every bad variable is reported at once, as JSON error lines, exit code 1, without a stack trace or a secret's value", async () => {
    const secrets = { database: "hunter2-db-password", redis: "redis-pass-7731", key: "not-a-key-SECRET-9917" }
    const { code, stdout, stderr } = await runToExit({
      PORT: "abc",
      DATABASE_URL: `mysql://ast:${secrets.database}@db.example/ast`,
      REDIS_URL: `http://:${secrets.redis}@cache.example:6379`,
      AST_RATE_LIMIT: "-1",
      LOG_LEVEL: "loud",
      AST_ROLE: "boss",
      AST_ENCRYPTION_KEY: secrets.key,
      AST_WORKER_CONCURRENCY: "0",
      AST_SHUTDOWN_TIMEOUT_SECONDS: "soon",
      LIVCHAT_API_URL: "ftp://livchat.example",
      AST_HTTP_ALLOW: "10.0.0.0/99"
    })
    expect(code).toBe(1)
    expect(stderr).toBe("")
    const lines = logLines(stdout)
    expect(lines.every((l) => l.level === "error")).toBe(true)
    expect(lines.map((l) => l.message)).toEqual([
      "PORT: must be a port number from 0 to 65535 (got \"abc\")",
      "AST_ROLE: must be one of all, api, worker (got \"boss\")",
      "REDIS_URL: must be a redis:// or rediss:// URL (got a \"http:\" URL; the value is not shown)",
      "LIVCHAT_API_URL: must be an http:// or https:// URL (got \"ftp://livchat.example\")",
      "AST_HTTP_ALLOW: entry \"10.0.0.0/99\" is not usable: the prefix length must be a whole number from 0 to 32",
      "AST_RATE_LIMIT: must be a whole number of requests per minute, at least 1 (got \"-1\")",
      "AST_SHUTDOWN_TIMEOUT_SECONDS: must be a number of seconds, at least 0 (got \"soon\")",
      "AST_WORKER_CONCURRENCY: must be a whole number, at least 1 (got \"0\")",
      "DATABASE_URL: must be a postgres:// or postgresql:// URL (got a \"mysql:\" URL; the value is not shown)",
      "AST_ENCRYPTION_KEY: must be 32 bytes written as 64 hex characters or as base64, but it is not well-formed base64 (the value is not shown)",
      "LOG_LEVEL: must be one of debug, info, warn, error (got \"loud\")",
      "startup stopped: fix the configuration above (CONTRACT §1, README \"Configuration\")"
    ])
    expect(lines.slice(0, -1).map((l) => l.annotations?.variable)).toEqual([
      "PORT", "AST_ROLE", "REDIS_URL", "LIVCHAT_API_URL", "AST_HTTP_ALLOW", "AST_RATE_LIMIT", "AST_SHUTDOWN_TIMEOUT_SECONDS",
      "AST_WORKER_CONCURRENCY", "DATABASE_URL", "AST_ENCRYPTION_KEY", "LOG_LEVEL"
    ])
    for (const secret of Object.values(secrets)) expect(stdout).not.toContain(secret)
    expect(stdout).not.toMatch(/\n\s+at /)
  })

  it("rules over several variables: AST_ROLE=api without REDIS_URL, DATABASE_URL without AST_ENCRYPTION_KEY", async () => {
    const { code, stdout } = await runToExit({ AST_ROLE: "api", DATABASE_URL: "postgres://ast@127.0.0.1:1/ast" })
    expect(code).toBe(1)
    expect(logLines(stdout).map((l) => l.message)).toEqual([
      "AST_ROLE: api needs REDIS_URL (the work an api instance accepts is run by worker instances through Redis); set REDIS_URL, or AST_ROLE=all",
      "AST_ENCRYPTION_KEY: is required when DATABASE_URL is set (every instance must share the key that seals secrets in the database); make one with `openssl rand -base64 32`",
      "startup stopped: fix the configuration above (CONTRACT §1, README \"Configuration\")"
    ])
  })

  it("a dependency that is down stops startup with one line saying which, exit code 1", async () => {
    const { code, stdout } = await runToExit({ DATABASE_URL: "postgres://ast@127.0.0.1:1/ast", AST_ENCRYPTION_KEY: randomBytes(32).toString("base64") })
    expect(code).toBe(1)
    const errors = logLines(stdout).filter((l) => l.level === "error")
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/^stopped: cannot use PostgreSQL at postgres:\/\/ast@127\.0\.0\.1:1\/ast/)
  })
})

const echoWorkflow = {
  name: "logs",
  trigger: { type: "webhook" },
  graph: {
    nodes: [{ id: "trigger", type: "trigger" }, { id: "send", type: "send", config: { message: "oi {{input.sender.name}}" } }],
    edges: [{ from: "trigger", to: "send" }]
  }
}

describe.skipIf(skipServices)("logs (CONTRACT §8): JSON lines at LOG_LEVEL", () => {
  it.live("every line is JSON with level and message; an execution's lines carry executionId, threadId, organizationId and the request's correlationId; LOG_LEVEL=warn hides info", () =>
    Effect.gen(function* () {
      const databaseUrl = Redacted.value(yield* freshDatabaseUrl)
      const env = { DATABASE_URL: databaseUrl, AST_ENCRYPTION_KEY: randomBytes(32).toString("base64"), AST_ADMIN_TOKEN: "logs-admin" }
      const instance = yield* Effect.acquireRelease(
        Effect.promise(() => startInstance("info", { ...env, LOG_LEVEL: "info" })),
        (i) => Effect.promise(() => stopInstance(i, "SIGKILL"))
      )
      const admin = yield* Effect.promise(() => call(instance, "/api/v1/admin/api-keys", { key: "logs-admin", body: { organizationId: "org-logs" } }))
      const key: string = admin.json.key
      const { executionId, correlationId } = yield* Effect.promise(() => executeOnce(instance, key))
      expect(yield* Effect.promise(() => stopInstance(instance))).toBe(0)
      const lines = logLines(instance.output())
      expect(lines.some((l) => l.level === "info" && l.message.startsWith("Listening on"))).toBe(true)
      const send = lines.find((l) => l.message.startsWith("send (log messenger"))
      expect(send?.annotations).toMatchObject({ executionId, threadId: "5511000000001", organizationId: "org-logs", correlationId })

      // The same database, LOG_LEVEL=warn: nothing below warn is written, but warnings are.
      const port = yield* Effect.promise(freePort)
      const quiet = yield* Effect.acquireRelease(
        Effect.promise(() => startQuiet({ ...env, LOG_LEVEL: "warn", PORT: String(port) }, port)),
        (i) => Effect.promise(() => stopInstance(i, "SIGKILL"))
      )
      yield* Effect.promise(() => executeOnce(quiet, key))
      expect(yield* Effect.promise(() => stopInstance(quiet))).toBe(0)
      const quietLines = logLines(quiet.output())
      expect(quietLines.length).toBeGreaterThan(0)
      expect(quietLines.filter((l) => l.level !== "warn" && l.level !== "error")).toEqual([])
      expect(quietLines.some((l) => l.message.includes("AST_WEBHOOK_SECRET is not set"))).toBe(true)
    }).pipe(Effect.scoped), { timeout: 120_000 })
})

/** A workflow with a send (written to the log) and one /execute of it; what identifies the execution in the logs. */
const executeOnce = async (instance: Instance, key: string) => {
  const workflow = await call(instance, "/api/v1/workflows", { key, body: echoWorkflow })
  expect(workflow.status).toBe(201)
  const run = await call(instance, `/api/v1/workflows/${workflow.json.id}/execute`, {
    key, body: { threadId: "5511000000001", input: { messages: [{ content: "oi" }], sender: { phone: "5511000000001", name: "Ana" } } }
  })
  expect(run.json.status).toBe("completed")
  return { executionId: run.json.executionId as string, correlationId: run.headers.get("x-correlation-id") }
}

/** An instance that logs nothing at info (no "Listening on" line): ready once /health answers. */
const startQuiet = async (env: Record<string, string>, port: number): Promise<Instance> => {
  const child = spawn(process.execPath, ["src/main.ts"], { cwd: root, env: { ...process.env, ...env, HOST: "127.0.0.1" }, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout.on("data", (c: Buffer) => (output += c.toString()))
  child.stderr.on("data", (c: Buffer) => (output += c.toString()))
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)))
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 30_000
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited before answering:\n${output}`)
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false)
    if (ok) return { name: "warn", url, process: child, output: () => output, exited }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill("SIGKILL")
  throw new Error(`did not answer /health within 30 s:\n${output}`)
}
