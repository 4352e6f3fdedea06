import { FetchHttpClient, HttpServer } from "@effect/platform"
import { Duration, Effect, Layer, Redacted } from "effect"
import { MemoryRepositories } from "../../src/adapters/memory/Repositories.ts"
import { makeAstClient } from "../../src/adapters/http/Client.ts"
import { makeReadiness } from "../../src/adapters/http/Readiness.ts"
import { HeartbeatInterval } from "../../src/adapters/http/sse.ts"
import { InProcessShared, makeService, type Repositories, type ServiceOptions, type Shared } from "../../src/main/Service.ts"

export const ADMIN_TOKEN = "test-admin-token-0123456789"

export { MemoryRepositories }

/** The real service on a random loopback port, with in-memory repositories unless others are given. */
export const testService = (options: {
  readonly persistence?: Layer.Layer<Repositories, unknown>
  readonly adminToken?: string | null
  readonly heartbeat?: Duration.DurationInput
  readonly serviceOptions?: Partial<ServiceOptions>
  readonly shared?: Layer.Layer<Shared, unknown>
} = {}) => {
  const serviceOptions: ServiceOptions = {
    port: 0,
    host: "127.0.0.1",
    adminToken: options.adminToken === null ? undefined : Redacted.make(options.adminToken ?? ADMIN_TOKEN),
    shutdownTimeoutSeconds: 1,
    workerConcurrency: 8,
    leaseMs: 5_000,
    sweepIntervalMs: 1_000,
    sweepGraceMs: 2_000,
    rateLimitPerMinute: 10_000,
    callbackUrl: undefined,
    webhookSecret: undefined,
    ...options.serviceOptions
  }
  return makeService(serviceOptions, options.persistence ?? MemoryRepositories, makeReadiness({}), options.shared ?? InProcessShared(serviceOptions)).pipe(
    Layer.provide(Layer.succeed(HeartbeatInterval, Duration.decode(options.heartbeat ?? "15 seconds"))),
    Layer.orDie
  )
}

/** `http://127.0.0.1:<port>` of the running test server. */
export const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "http://unix")

/** A typed client with a key (or the admin token). */
export const clientWith = (key: string) =>
  Effect.flatMap(baseUrl, (url) => makeAstClient(url, key)).pipe(Effect.provide(FetchHttpClient.layer))

/** A new organization with an API key, made through the admin API. */
export const newOrganization = Effect.gen(function* () {
  const admin = yield* clientWith(ADMIN_TOKEN)
  const organizationId = `org-${crypto.randomUUID()}`
  const created = yield* admin.admin.createApiKey({ payload: { organizationId, name: "test" } })
  return { organizationId, key: created.key, keyId: created.id, client: yield* clientWith(created.key) }
})

/** A raw request to the test server (for what the typed client cannot send: bad JSON, wrong methods...). */
export const raw = (path: string, init: RequestInit & { key?: string } = {}) =>
  Effect.flatMap(baseUrl, (url) =>
    Effect.promise(async () => {
      const headers = new Headers(init.headers)
      if (init.key !== undefined) headers.set("authorization", `Bearer ${init.key}`)
      if (init.body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json")
      const response = await fetch(`${url}${path}`, { ...init, headers })
      const text = await response.text()
      let json: unknown = undefined
      try {
        json = JSON.parse(text)
      } catch {
        // not JSON
      }
      return { status: response.status, headers: response.headers, text, json: json as any }
    }))
