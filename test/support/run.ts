import { Effect, Either, Option } from "effect"
import { executeWorkflow } from "../../src/application/ExecuteWorkflow.ts"
import { makeMemoryWorld, type WorldOptions } from "../../src/adapters/memory/World.ts"
import { decodeWorkflow } from "../../src/domain/decodeWorkflow.ts"
import { formatIssue } from "../../src/domain/Issue.ts"
import type { RunRequest } from "../../src/domain/RunRequest.ts"
import type { RunOptions } from "../../src/interpreter/runGraph.ts"

export const ORG = "org-test"

/** A workflow document as tests write it: a name and a graph. */
export const graphDoc = (nodes: ReadonlyArray<unknown>, edges: ReadonlyArray<unknown>, extra: Record<string, unknown> = {}) => ({
  name: "test",
  graph: { nodes, edges },
  ...extra
})

export const request = (content = "oi", extra: Partial<RunRequest> = {}): RunRequest => ({
  threadId: "5511999999999",
  input: { messages: [{ content, type: "text" }], sender: { phone: "5511999999999", name: "João" } },
  context: { instanceId: "inst-1" },
  ...extra
})

/** Decodes a document (failing the test with its issues if it is invalid), runs it in a memory world. */
export const runDocument = (doc: unknown, req: RunRequest = request(), options: WorldOptions & RunOptions = {}) =>
  Effect.gen(function* () {
    const decoded = decodeWorkflow(doc)
    if (Either.isLeft(decoded)) return yield* Effect.dieMessage(decoded.left.issues.map(formatIssue).join("\n"))
    const world = yield* makeMemoryWorld(options)
    const workflow = { ...decoded.right, id: "00000000-0000-4000-8000-000000000001", organizationId: ORG, version: 1 }
    const outcome = yield* executeWorkflow(workflow, req, options).pipe(Effect.provide(world.layer))
    const execution = Option.getOrThrow(yield* world.executions.get(ORG, outcome.executionId))
    return { outcome, execution, world }
  })

/** `nodeId:status` of each step, in the order steps were first recorded. */
export const statuses = (steps: ReadonlyArray<{ nodeId: string; stepName: string; status: string }>) =>
  steps.map((s) => `${s.stepName === s.nodeId || !s.stepName.startsWith("tool:") ? s.nodeId : s.stepName}:${s.status}`)
