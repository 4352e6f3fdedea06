import type { Vitest } from "@effect/vitest"
import { DateTime, Either } from "effect"
import type { ApiKeyRepo } from "../../src/ports/ApiKeyRepo.ts"
import type { ExecutionRepo } from "../../src/ports/ExecutionRepo.ts"
import type { Store } from "../../src/ports/Store.ts"
import type { ThreadRepo } from "../../src/ports/ThreadRepo.ts"
import type { WorkflowRepo } from "../../src/ports/WorkflowRepo.ts"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import type { Step } from "../../src/domain/Execution.ts"
import type { Workflow } from "../../src/domain/Workflow.ts"

export const uuid = () => crypto.randomUUID()
/** A fresh organization per test: tests sharing a database never see each other. */
export const freshOrg = () => `org-${uuid()}`

export const workflowFor = (organizationId: string, overrides: { id?: string; name?: string; createdAt?: Date; version?: number } = {}): Workflow => {
  const decoded = decodeWorkflow({
    name: overrides.name ?? "Suporte",
    trigger: { type: "webhook", accumulator: { timeoutSeconds: 0.2 } },
    agent: { model: "gpt-4o", tools: ["search_docs"] },
    memory: { maxMessages: 5 }
  })
  if (Either.isLeft(decoded)) throw decoded.left
  const at = DateTime.unsafeMake(overrides.createdAt ?? new Date())
  return { ...decoded.right, id: (overrides.id ?? uuid()) as Workflow["id"], organizationId: organizationId as Workflow["organizationId"], version: overrides.version ?? 1, createdAt: at, updatedAt: at }
}

export const stepFor = (id: string, overrides: Partial<Step> = {}): Step => ({
  id,
  nodeId: id.split(":")[0]!,
  stepName: "transform",
  attempt: 1,
  status: "completed",
  input: { in: id },
  output: { out: id, nested: { list: [1, "two", null] } },
  error: null,
  durationMs: 3,
  startedAt: "2026-11-25T10:00:00.000Z",
  finishedAt: "2026-11-25T10:00:00.003Z",
  ...overrides
})

export type Repositories = WorkflowRepo | ExecutionRepo | ApiKeyRepo | ThreadRepo | Store

/** The `it` a contract suite registers its tests on, with every repository provided. */
export type ContractIt = Vitest.MethodsNonLive<Repositories>
