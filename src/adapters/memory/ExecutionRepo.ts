import { Effect, Layer, Option } from "effect"
import { type Execution, isFinalStatus, type Step } from "../../domain/Execution.ts"
import { type ExecutionRef, ExecutionRepo, type ExecutionSummary } from "../../ports/ExecutionRepo.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"
import { decodeCursor, encodeCursor } from "./cursor.ts"
import { makeThreadRepoMemory } from "./ThreadRepo.ts"

interface Row {
  execution: Omit<Execution, "steps">
  steps: Map<string, Step>
  deletedAt: string | null
}


/**
 * Executions in process memory (embedded single-instance mode and tests); `begin` touches the threads
 * of `threads` (a repository of its own unless given).
 */
export const makeExecutionRepoMemory = (threads: ThreadRepo["Type"] = makeThreadRepoMemory()) => {
  const rows = new Map<string, Row>()
  /** The live row of `ref`, only within its organization. */
  const rowOf = (ref: ExecutionRef) => {
    const row = rows.get(ref.executionId)
    return row && row.deletedAt === null && row.execution.organizationId === ref.organizationId ? row : undefined
  }
  const service: ExecutionRepo["Type"] & { readonly setInput: (executionId: string, input: unknown) => void } = {
    /** Bursts record their full input when they close (the PostgreSQL adapter does it in SQL). */
    setInput: (executionId, input) => {
      const row = rows.get(executionId)
      if (row !== undefined) row.execution = { ...row.execution, input }
    },
    create: (e) =>
      Effect.sync(() => {
        rows.set(e.id, {
          execution: { ...e, startedAt: new Date().toISOString(), finishedAt: null, output: null },
          steps: new Map(),
          deletedAt: null
        })
      }),
    begin: (start) =>
      "execution" in start
        ? Effect.zipLeft(
          threads.touch({ organizationId: start.execution.organizationId, threadId: start.execution.threadId }),
          service.create({ ...start.execution, status: "running" })
        )
        : Effect.zipLeft(threads.touch({ organizationId: start.pending.organizationId, threadId: start.threadId }), service.setStatus(start.pending, "running")),
    setStatus: (ref, status, result) =>
      Effect.sync(() => {
        const row = rowOf(ref)
        if (row === undefined) return
        for (const step of result?.steps ?? []) row.steps.set(step.id, step)
        row.execution = {
          ...row.execution,
          status,
          ...(result?.output === undefined ? {} : { output: result.output }),
          ...(result?.error === undefined ? {} : { error: result.error }),
          ...(isFinalStatus(status) ? { finishedAt: new Date().toISOString() } : {})
        }
      }),
    recordSteps: (ref, steps) =>
      Effect.sync(() => {
        const row = rowOf(ref)
        if (row !== undefined) for (const step of steps) row.steps.set(step.id, step)
      }),
    get: (organizationId, id) =>
      Effect.sync(() => {
        const row = rowOf({ organizationId, executionId: id })
        return row ? Option.some({ ...row.execution, steps: [...row.steps.values()] }) : Option.none()
      }),
    list: (q) =>
      Effect.sync(() => {
        const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
        const all = [...rows.values()]
          .filter((r) => r.deletedAt === null)
          .map((r) => r.execution)
          .filter((e) => e.organizationId === q.organizationId)
          .filter((e) => (q.workflowId === undefined || e.workflowId === q.workflowId) && (q.threadId === undefined || e.threadId === q.threadId) && (q.status === undefined || e.status === q.status))
          .sort((a, b) => (a.startedAt === b.startedAt ? b.id.localeCompare(a.id) : b.startedAt.localeCompare(a.startedAt)))
          .filter((e) => after === undefined || e.startedAt < after.at || (e.startedAt === after.at && e.id < after.id))
        const items: Array<ExecutionSummary> = all.slice(0, q.limit).map(({ input: _i, output: _o, ...summary }) => summary)
        const last = items[items.length - 1]
        return { items, nextCursor: all.length > q.limit && last ? encodeCursor(last.startedAt, last.id) : null }
      }),
    remove: (organizationId, id) =>
      Effect.sync(() => {
        const row = rowOf({ organizationId, executionId: id })
        if (row === undefined) return false
        row.deletedAt = new Date().toISOString()
        return true
      }),
    purge: (cutoff) =>
      Effect.sync(() => {
        let purged = 0
        for (const [id, row] of rows) {
          if (row.deletedAt !== null || new Date(row.execution.startedAt) < cutoff) {
            rows.delete(id)
            purged += 1
          }
        }
        return purged
      })
  }
  return service
}

/** Needs the ThreadRepo its runs touch. */
export const ExecutionRepoMemory = Layer.effect(ExecutionRepo, Effect.map(ThreadRepo, makeExecutionRepoMemory))
