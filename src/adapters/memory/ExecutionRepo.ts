import { Effect, Layer, Option } from "effect"
import type { Execution, Step } from "../../domain/Execution.ts"
import { ExecutionRepo, type ExecutionSummary } from "../../ports/ExecutionRepo.ts"
import { decodeCursor, encodeCursor } from "./cursor.ts"

interface Row {
  execution: Omit<Execution, "steps">
  steps: Map<string, Step>
}

/** Executions in process memory (embedded single-instance mode and tests). */
export const makeExecutionRepoMemory = () => {
  const rows = new Map<string, Row>()
  const withSteps = (row: Row): Execution => ({ ...row.execution, steps: [...row.steps.values()] })
  const service: ExecutionRepo["Type"] = {
    create: (e) =>
      Effect.sync(() => {
        rows.set(e.id, {
          execution: { ...e, startedAt: new Date().toISOString(), finishedAt: null, output: null },
          steps: new Map()
        })
      }),
    setStatus: (id, status, result) =>
      Effect.sync(() => {
        const row = rows.get(id)
        if (row === undefined) return
        const isFinal = status === "completed" || status === "error" || status === "skipped"
        row.execution = {
          ...row.execution,
          status,
          ...(result?.output === undefined ? {} : { output: result.output }),
          ...(result?.error === undefined ? {} : { error: result.error }),
          ...(isFinal ? { finishedAt: new Date().toISOString() } : {})
        }
      }),
    recordStep: (executionId, step) =>
      Effect.sync(() => {
        rows.get(executionId)?.steps.set(step.id, step)
      }),
    get: (organizationId, id) =>
      Effect.sync(() => {
        const row = rows.get(id)
        return row && row.execution.organizationId === organizationId ? Option.some(withSteps(row)) : Option.none()
      }),
    list: (q) =>
      Effect.sync(() => {
        const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
        const all = [...rows.values()]
          .map((r) => r.execution)
          .filter((e) => e.organizationId === q.organizationId)
          .filter((e) => (q.workflowId === undefined || e.workflowId === q.workflowId) && (q.threadId === undefined || e.threadId === q.threadId) && (q.status === undefined || e.status === q.status))
          .sort((a, b) => (a.startedAt === b.startedAt ? b.id.localeCompare(a.id) : b.startedAt.localeCompare(a.startedAt)))
          .filter((e) => after === undefined || e.startedAt < after.at || (e.startedAt === after.at && e.id < after.id))
        const items: Array<ExecutionSummary> = all.slice(0, q.limit).map(({ input: _i, output: _o, ...summary }) => summary)
        const last = items[items.length - 1]
        return { items, nextCursor: all.length > q.limit && last ? encodeCursor(last.startedAt, last.id) : null }
      })
  }
  return service
}

export const ExecutionRepoMemory = Layer.sync(ExecutionRepo, makeExecutionRepoMemory)
