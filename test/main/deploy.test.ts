import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { resolve } from "node:path"
import { parse } from "smol-toml"
import { AstApi } from "../../src/adapters/http/Api.ts"
import { operationsPaths } from "../../src/adapters/http/Server.ts"
import { ServerSettings } from "../../src/main/settings.ts"
import { freshDatabaseUrl, skipServices } from "../support/databases.ts"

const root = resolve(import.meta.dirname, "../..")
const read = (path: string) => readFileSync(resolve(root, path), "utf8")

/** The Dockerfile as instructions: continuation lines joined, comments and blank lines dropped. */
const dockerfile = read("Dockerfile").replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
  .map((line) => {
    const [word = ""] = line.split(/\s+/, 1)
    return { instruction: word.toUpperCase(), args: line.slice(word.length).trim() }
  })
const argsOf = (instruction: string) => dockerfile.filter((i) => i.instruction === instruction).map((i) => i.args)
/** The instructions of the last stage (the image that runs). */
const finalStage = dockerfile.slice(dockerfile.map((i) => i.instruction).lastIndexOf("FROM"))

const fly = parse(read("fly.toml")) as {
  kill_signal: string
  kill_timeout: string
  deploy: { release_command: string }
  env: Record<string, string>
  processes: Record<string, string>
  http_service: { internal_port: number; auto_stop_machines: string | boolean; min_machines_running: number; processes: Array<string>; checks: Array<{ path: string; method: string }> }
  checks: Record<string, { type: string; port: number; path: string; processes: Array<string> }>
  metrics: { port: number; path: string }
}
const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> }
const ignored = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))

const defaultPort = Effect.runSync(Effect.withConfigProvider(ServerSettings, ConfigProvider.fromMap(new Map()))).port
const apiPaths = Object.values(AstApi.groups).flatMap((g) => Object.values(g.endpoints).map((e) => e.path as string))

/** A command of fly.toml or the Dockerfile (`env K=V node file`, `npm run x`, `npm start`) names something that exists. */
const commandProblems = (command: ReadonlyArray<string>): Array<string> => {
  const words = [...command]
  while (words[0] === "env" || /^[A-Z_]+=/.test(words[0] ?? "")) words.shift()
  if (words[0] === "node") return existsSync(resolve(root, words[1] ?? "")) ? [] : [`${command.join(" ")}: no file ${words[1]}`]
  if (words[0] === "npm" && words[1] === "start") return pkg.scripts.start === undefined ? ["no npm start script"] : []
  if (words[0] === "npm" && words[1] === "run") return pkg.scripts[words[2] ?? ""] === undefined ? [`no npm script ${words[2]}`] : []
  return [`${command.join(" ")}: not a command this project has`]
}

describe("the Dockerfile", () => {
  it("builds on node:24-slim in every stage and installs production dependencies only, from the lockfile", () => {
    const bases = argsOf("FROM").map((a) => a.split(/\s+/)[0])
    expect(bases.length).toBeGreaterThanOrEqual(1)
    expect(new Set(bases)).toEqual(new Set(["node:24-slim"]))
    expect(argsOf("RUN").some((a) => /\bnpm ci\b.*--omit=dev/.test(a))).toBe(true)
    expect(argsOf("RUN").some((a) => /\bnpm (install|i)\b/.test(a))).toBe(false)
  })

  it("runs as a non-root user, exposes the default PORT, checks /health with node (slim has no curl) and starts the service", () => {
    const users = finalStage.filter((i) => i.instruction === "USER").map((i) => i.args)
    expect(users.length).toBeGreaterThan(0)
    expect(["root", "0", "0:0"]).not.toContain(users.at(-1))
    expect(finalStage.filter((i) => i.instruction === "EXPOSE").map((i) => i.args)).toEqual([String(defaultPort)])
    const healthcheck = finalStage.find((i) => i.instruction === "HEALTHCHECK")?.args ?? ""
    expect(healthcheck).toMatch(/CMD \["node", "-e",/)
    expect(healthcheck).toContain("/health")
    expect(healthcheck).not.toMatch(/curl|wget/)
    const cmd = JSON.parse(finalStage.find((i) => i.instruction === "CMD")?.args ?? "null") as Array<string>
    expect(commandProblems(cmd)).toEqual([])
    expect(cmd).toEqual(["node", "src/main.ts"])
  })

  it("copies what exists and is not ignored; .dockerignore keeps dependencies, local data and git out", () => {
    const sources = dockerfile.filter((i) => i.instruction === "COPY" && !i.args.startsWith("--from"))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1))
    expect(sources.filter((s) => !existsSync(resolve(root, s)))).toEqual([])
    expect(sources.filter((s) => ignored.includes(s))).toEqual([])
    for (const kept of ["node_modules", ".git", ".tools", ".ast-data", "bench", "test"]) expect(ignored).toContain(kept)
  })
})

describe("fly.toml", () => {
  it("serves the API on the Dockerfile's port, which is the default PORT", () => {
    expect(fly.http_service.internal_port).toBe(defaultPort)
    expect(Number(fly.env.PORT ?? defaultPort)).toBe(defaultPort)
    for (const check of Object.values(fly.checks)) expect(check.port).toBe(defaultPort)
  })

  it("keeps at least one api machine running and never stops machines on its own (bursts wait in the queue)", () => {
    expect(fly.http_service.min_machines_running).toBeGreaterThanOrEqual(1)
    expect(["off", false]).toContain(fly.http_service.auto_stop_machines)
  })

  it("checks /health and /ready, paths the API serves; worker checks only ask what a worker serves", () => {
    const paths = [...fly.http_service.checks.map((c) => c.path), ...Object.values(fly.checks).map((c) => c.path)]
    expect(new Set(paths)).toEqual(new Set(["/health", "/ready"]))
    for (const path of paths) expect(apiPaths).toContain(path)
    for (const check of Object.values(fly.checks).filter((c) => c.processes.includes("worker"))) expect(operationsPaths).toContain(check.path)
  })

  it("has Fly scrape /metrics on the service's port, a path every role serves", () => {
    expect(fly.metrics).toEqual({ port: defaultPort, path: "/metrics" })
    expect(operationsPaths).toContain(fly.metrics.path)
    expect(apiPaths).toContain(fly.metrics.path)
  })

  it("process groups run the service with AST_ROLE api and worker; the HTTP service goes to api only", () => {
    expect(Object.keys(fly.processes).sort()).toEqual(["api", "worker"])
    for (const [group, command] of Object.entries(fly.processes)) {
      expect(command).toContain(`AST_ROLE=${group}`)
      expect(commandProblems(command.split(/\s+/))).toEqual([])
    }
    expect(fly.http_service.processes).toEqual(["api"])
    for (const check of Object.values(fly.checks)) for (const group of check.processes) expect(Object.keys(fly.processes)).toContain(group)
  })

  it("stops machines with SIGTERM and waits longer than the service's shutdown timeout", () => {
    expect(fly.kill_signal).toBe("SIGTERM")
    expect(Number.parseInt(fly.kill_timeout, 10)).toBeGreaterThan(Effect.runSync(Effect.withConfigProvider(ServerSettings, ConfigProvider.fromMap(new Map()))).shutdownTimeoutSeconds)
  })

  it("runs migrations as the release command, with a command that exists", () => {
    expect(commandProblems(fly.deploy.release_command.split(/\s+/))).toEqual([])
    expect(pkg.scripts.migrate).toBe(fly.deploy.release_command)
  })
})

/** Runs fly.toml's release command as Fly would (its env, the app's secrets), until it exits. */
const release = (env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((done) => {
    const [, ...args] = fly.deploy.release_command.split(/\s+/)
    const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? "", ...fly.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (c: Buffer) => (output += c.toString()))
    child.stderr.on("data", (c: Buffer) => (output += c.toString()))
    child.on("exit", (code) => done({ code, output }))
  })

describe.skipIf(skipServices)("the release command", () => {
  it.live("applies every migration to a fresh database and exits 0; run again, it finds the schema up to date", () =>
    Effect.gen(function* () {
      const env = { DATABASE_URL: Redacted.value(yield* freshDatabaseUrl), AST_ENCRYPTION_KEY: randomBytes(32).toString("base64") }
      const first = yield* Effect.promise(() => release(env))
      expect(first.code, first.output).toBe(0)
      const messages = first.output.trim().split("\n").map((l) => (JSON.parse(l) as { message: string }).message)
      expect(messages.some((m) => /^database: PostgreSQL at .*, migrated 1_init, /.test(m))).toBe(true)
      expect(messages.at(-1)).toBe("migrate: the schema is up to date")
      const second = yield* Effect.promise(() => release(env))
      expect(second.code, second.output).toBe(0)
      expect(second.output).toContain("schema up to date")
      expect(second.output).not.toContain("migrated")
    }).pipe(Effect.scoped), { timeout: 60_000 })
})
