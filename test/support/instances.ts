import { type ChildProcess, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { resolve } from "node:path"

const root = resolve(import.meta.dirname, "../..")

export interface Instance {
  readonly name: string
  readonly url: string
  readonly process: ChildProcess
  readonly output: () => string
  /** Waits for the process to exit (after a signal). */
  readonly exited: Promise<number | null>
}

/** Settings every instance of one test cluster shares (one database, one Redis). */
export const clusterEnv = (databaseUrl: string, redisUrl: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  AST_REDIS_PREFIX: `ast-test-${randomBytes(4).toString("hex")}`,
  AST_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  AST_ADMIN_TOKEN: "cluster-admin-token",
  AST_LEASE_MS: "3000",
  AST_SWEEP_INTERVAL_MS: "500",
  AST_SWEEP_GRACE_MS: "2000",
  AST_SHUTDOWN_TIMEOUT_SECONDS: "5",
  AST_RATE_LIMIT: "1000000",
  LOG_LEVEL: "info",
  ...extra
})

/** Starts `node src/main.ts` as a real child process on a random port; resolves once it listens. */
export const startInstance = (name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<Instance> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["src/main.ts"], {
      cwd: root,
      env: { ...process.env, ...env, PORT: "0", HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`instance ${name} did not start within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolvePromise({ name, url: match[1]!, process: child, output: () => output, exited })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`instance ${name} exited (${code}) before listening:\n${output}`))
    })
  })

/** Stops an instance: SIGTERM (graceful) or SIGKILL (a crash). */
export const stopInstance = async (instance: Instance, signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
  if (instance.process.exitCode !== null) return instance.process.exitCode
  instance.process.kill(signal)
  return instance.exited
}

/** A JSON request to an instance. */
export const call = async (instance: Instance, path: string, init: { method?: string; key?: string; body?: unknown } = {}) => {
  const response = await fetch(`${instance.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { "content-type": "application/json", ...(init.key === undefined ? {} : { authorization: `Bearer ${init.key}` }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    signal: AbortSignal.timeout(15_000)
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, json: text === "" ? undefined : JSON.parse(text) }
}

/** Runs `work` over `items` with at most `limit` at once. */
export const inParallel = async <T>(items: ReadonlyArray<T>, limit: number, work: (item: T) => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!)
  }))
}
