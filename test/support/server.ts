import { FetchHttpClient, HttpServer } from "@effect/platform"
import { Duration, Effect, Layer, Redacted } from "effect"
import { ApiKeyRepoMemory } from "../../src/adapters/memory/ApiKeyRepo.ts"
import { ExecutionRepoMemory } from "../../src/adapters/memory/ExecutionRepo.ts"
import { StoreMemory } from "../../src/adapters/memory/Store.ts"
import { ThreadRepoMemory } from "../../src/adapters/memory/ThreadRepo.ts"
import { WorkflowRepoMemory } from "../../src/adapters/memory/WorkflowRepo.ts"
import { makeAstClient } from "../../src/adapters/http/Client.ts"
import { makeReadiness } from "../../src/adapters/http/Readiness.ts"
import { HeartbeatInterval } from "../../src/adapters/http/sse.ts"
import { makeService, type Repositories } from "../../src/main/Service.ts"

export const ADMIN_TOKEN = "test-admin-token-0123456789"

export const MemoryRepositories = Layer.mergeAll(WorkflowRepoMemory, ExecutionRepoMemory, ApiKeyRepoMemory, ThreadRepoMemory, StoreMemory)

/** The real service on a random loopback port, with in-memory repositories unless others are given. */
export const testService = <E, R>(options: {
  readonly persistence?: Layer.Layer<Repositories, E, R>
  readonly adminToken?: string | null
  readonly heartbeat?: Duration.DurationInput
} = {}) =>
  makeService(
    {
      port: 0,
      host: "127.0.0.1",
      adminToken: options.adminToken === null ? undefined : Redacted.make(options.adminToken ?? ADMIN_TOKEN),
      shutdownTimeoutSeconds: 1
    },
    (options.persistence ?? MemoryRepositories) as Layer.Layer<Repositories, E, R>,
    makeReadiness({})
  ).pipe(Layer.provide(Layer.succeed(HeartbeatInterval, Duration.decode(options.heartbeat ?? "15 seconds"))))

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
