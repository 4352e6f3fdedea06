/**
 * The baseline of bench/trigger.ts, run by it as a child process: a bare `node:http` server that does what
 * `/trigger` must do before it answers — check the bearer token, read the body (≤ 1 MiB), parse the JSON,
 * validate the §5 shape minimally, INSERT one row with the JSON into PostgreSQL — and answers
 * `202 {status: "triggered", executionId}`. No framework, no Effect, one `pg` pool of 10 (AST's size).
 *
 * Environment: `DATABASE_URL`, `PORT`, `HOST`, `BARE_TOKEN`. Prints `{"listening": <port>}` on stdout when
 * ready. Does nothing when imported (bench/run.ts imports every file in bench/).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { createRequire } from "node:module"

/** The part of `pg` used here (it ships no types; @types/pg is not installed). */
export interface PgPool {
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ readonly rows: ReadonlyArray<Record<string, unknown>> }>
  end(): Promise<void>
}
export interface PgModule {
  readonly Pool: new (options: { readonly connectionString: string; readonly max?: number; readonly application_name?: string }) => PgPool
  readonly Client: new (options: { readonly connectionString: string }) => PgPool & { connect(): Promise<void> }
}

/** `pg`, a dependency of @effect/sql-pg. */
export const loadPg = (): PgModule => createRequire(import.meta.url)("pg") as PgModule

export const bareTable = "bare_triggers"

const maxBodyBytes = 1024 * 1024

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The §5 body's required parts: a threadId, and when present an input with messages that have content. */
const problemOf = (body: unknown): string | undefined => {
  if (!isObject(body)) return "the body must be a JSON object"
  const { threadId, input, context } = body
  if (typeof threadId !== "string" || threadId.trim() === "" || threadId.length > 200) return "threadId must be a non-empty string of at most 200 characters"
  if (input !== undefined) {
    if (!isObject(input)) return "input must be an object"
    if (input.messages !== undefined) {
      if (!Array.isArray(input.messages)) return "input.messages must be an array"
      if (input.messages.some((m) => !isObject(m) || typeof m.content !== "string")) return "every input.messages[] needs a string content"
    }
  }
  if (context !== undefined && !isObject(context)) return "context must be an object"
  return undefined
}

const answer = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer | "too large">((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        resolve("too large")
        req.destroy()
      } else chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })

const main = async () => {
  const databaseUrl = process.env.DATABASE_URL
  const token = process.env.BARE_TOKEN
  if (databaseUrl === undefined || token === undefined) throw new Error("bareServer: DATABASE_URL and BARE_TOKEN are required")
  const { Pool } = loadPg()
  const pool = new Pool({ connectionString: databaseUrl, max: 10, application_name: "bare" })
  await pool.query(`CREATE TABLE IF NOT EXISTS ${bareTable} (
    id uuid PRIMARY KEY, thread_id text NOT NULL, status text NOT NULL, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
  const expected = `Bearer ${token}`

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/api\/v1\/workflows\/([^/]+)\/trigger$/.exec(req.url ?? "")
    if (req.method !== "POST" || match === null) return answer(res, 404, { code: "not_found" })
    if (req.headers.authorization !== expected) return answer(res, 401, { code: "unauthorized" })
    if (Number(req.headers["content-length"] ?? "0") > maxBodyBytes) return answer(res, 413, { code: "payload_too_large" })
    const raw = await readBody(req)
    if (raw === "too large") return answer(res, 413, { code: "payload_too_large" })
    let body: unknown
    try {
      body = JSON.parse(raw.toString("utf8"))
    } catch {
      return answer(res, 400, { code: "invalid_json" })
    }
    const problem = problemOf(body)
    if (problem !== undefined) return answer(res, 400, { code: "validation_error", detail: problem })
    const executionId = crypto.randomUUID()
    await pool.query(`INSERT INTO ${bareTable} (id, thread_id, status, body) VALUES ($1, $2, 'pending', $3::jsonb)`, [
      executionId,
      (body as { threadId: string }).threadId,
      JSON.stringify(body)
    ])
    answer(res, 202, { status: "triggered", executionId })
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      console.error("bareServer:", e)
      if (!res.headersSent) answer(res, 500, { code: "internal_error" })
      else res.destroy()
    })
  })
  server.listen(Number(process.env.PORT ?? "0"), process.env.HOST ?? "127.0.0.1", () => {
    const address = server.address()
    console.log(JSON.stringify({ listening: typeof address === "object" && address !== null ? address.port : null }))
  })
  const stop = () => {
    server.close()
    server.closeAllConnections()
    void pool.end().finally(() => process.exit(0))
  }
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
