import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { execFileSync } from "node:child_process"
import { freshDatabaseUrl, skipServices } from "../support/databases.ts"
import { call, clusterEnv, type Instance, startInstance, stopInstance } from "../support/instances.ts"

/** Redis database 12 is this suite's own (the cluster suites use others); the prefix is unique per run. */
const redisUrl = "redis://127.0.0.1:6379/12"

const sendingWorkflow = {
  name: "roles",
  trigger: { type: "webhook", accumulator: { timeoutSeconds: 0.2, maxWaitSeconds: 2 } },
  graph: {
    nodes: [{ id: "trigger", type: "trigger" }, { id: "send", type: "send", config: { message: "oi {{input.sender.name}}" } }],
    edges: [{ from: "trigger", to: "send" }]
  }
}

/** The instance's log lines (JSON) that name `executionId`. */
const linesOf = (instance: Instance, executionId: string) =>
  instance.output().split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as { message: string; annotations?: { executionId?: string } })
    .filter((l) => l.annotations?.executionId === executionId)

const waitUntilEnded = async (api: Instance, key: string, executionId: string, deadlineMs = 30_000) => {
  const until = Date.now() + deadlineMs
  for (;;) {
    const execution = await call(api, `/api/v1/executions/${executionId}`, { key })
    if (["completed", "error", "skipped"].includes(execution.json.status) || Date.now() > until) return execution.json
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe.skipIf(skipServices)("AST_ROLE (CONTRACT §1): api instances take requests, worker instances run the queue", () => {
  it.live("a trigger accepted by the api instance waits for a worker instance, which runs it; the worker serves only the operations endpoints", () =>
    Effect.gen(function* () {
      const databaseUrl = yield* freshDatabaseUrl
      const env = clusterEnv(Redacted.value(databaseUrl), redisUrl)
      // Afterwards, this run's keys (its prefix is its own) are removed from Redis.
      yield* Effect.addFinalizer(() => Effect.sync(() => {
        const keys = execFileSync("redis-cli", ["-u", redisUrl, "--scan", "--pattern", `${env.AST_REDIS_PREFIX}:*`], { encoding: "utf8" }).split("\n").filter((k) => k !== "")
        if (keys.length > 0) execFileSync("redis-cli", ["-u", redisUrl, "DEL", ...keys])
      }))
      const start = (role: "api" | "worker") =>
        Effect.acquireRelease(Effect.promise(() => startInstance(role, { ...env, AST_ROLE: role })), (i) => Effect.promise(() => stopInstance(i, "SIGKILL")))
      const api = yield* start("api")
      const accepted = yield* Effect.promise(async () => {
        const key: string = (await call(api, "/api/v1/admin/api-keys", { key: "cluster-admin-token", body: { organizationId: "org-roles" } })).json.key
        const workflow = await call(api, "/api/v1/workflows", { key, body: sendingWorkflow })
        const triggered = await call(api, `/api/v1/workflows/${workflow.json.id}/trigger`, {
          key, body: { threadId: "5511000000012", input: { messages: [{ id: "wamid-roles-1", content: "oi" }], sender: { phone: "5511000000012", name: "Ana" } } }
        })
        return { key, workflowId: workflow.json.id as string, triggered }
      })
      expect(accepted.triggered.status).toBe(202)
      const executionId: string = accepted.triggered.json.executionId
      // Alone, the api instance runs nothing: the burst, due after 0.2 s, is still waiting well after that.
      yield* Effect.sleep("1500 millis")
      expect((yield* Effect.promise(() => call(api, `/api/v1/executions/${executionId}`, { key: accepted.key }))).json.status).toBe("pending")

      const worker = yield* start("worker")
      const result = { ...accepted, execution: yield* Effect.promise(() => waitUntilEnded(api, accepted.key, executionId)) }
      expect(result.execution.status).toBe("completed")
      expect(result.execution.steps.map((s: { stepName: string }) => s.stepName)).toEqual(["accumulator", "trigger", "send"])
      // The worker ran it (its send went to the worker's log); the api instance ran nothing of it.
      expect(linesOf(worker, executionId).map((l) => l.message)).toContain("send (log messenger: nothing leaves the process)")
      expect(linesOf(api, executionId)).toEqual([])
      expect(api.output()).toContain("role: api")
      expect(worker.output()).toContain("role: worker")

      // The worker answers the platform's checks and nothing else.
      const probes = yield* Effect.promise(() =>
        Promise.all([
          call(worker, "/health"),
          call(worker, "/ready"),
          call(worker, "/api/v1/workflows", { key: result.key }),
          call(worker, `/api/v1/workflows/${result.workflowId}/trigger`, { key: result.key, body: { threadId: "t", input: { messages: [{ content: "oi" }] } } }),
          call(worker, "/docs"),
          call(api, "/ready")
        ]))
      expect(probes.map((p) => p.status)).toEqual([200, 200, 404, 404, 404, 200])
      expect(probes[1]!.json.checks).toEqual({ database: "ok", redis: "ok" })
      expect(probes[2]!.json.code).toBe("not_found")
      expect(probes[2]!.json.detail).toContain("AST_ROLE=worker")

      expect(yield* Effect.promise(() => Promise.all([stopInstance(api), stopInstance(worker)]))).toEqual([0, 0])
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
