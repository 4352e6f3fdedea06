import { DateTime, Effect, Layer, Option } from "effect"
import type { Workflow } from "../../domain/Workflow.ts"
import { WorkflowRepo } from "../../ports/WorkflowRepo.ts"
import { decodeCursor, encodeCursor } from "./cursor.ts"

/** Workflows in process memory (soft delete keeps the row out of reach). */
export const makeWorkflowRepoMemory = () => {
  const rows = new Map<string, { workflow: Workflow; isDeleted: boolean }>()
  const createdAt = (w: Workflow) => DateTime.formatIso(w.createdAt)
  const service: WorkflowRepo["Type"] = {
    save: (workflow) =>
      Effect.sync(() => {
        const known = rows.get(workflow.id)
        // Like the PostgreSQL adapter: never overwrite another organization's or a deleted workflow.
        if (known && (known.isDeleted || known.workflow.organizationId !== workflow.organizationId)) return
        rows.set(workflow.id, { workflow, isDeleted: false })
      }),
    get: (organizationId, id) =>
      Effect.sync(() => {
        const row = rows.get(id)
        return row && !row.isDeleted && row.workflow.organizationId === organizationId ? Option.some(row.workflow) : Option.none()
      }),
    list: (organizationId, limit, cursor) =>
      Effect.sync(() => {
        const after = cursor === undefined ? undefined : decodeCursor(cursor)
        const live = [...rows.values()]
          .filter((r) => !r.isDeleted && r.workflow.organizationId === organizationId)
          .map((r) => r.workflow)
          .sort((a, b) => createdAt(b).localeCompare(createdAt(a)) || b.id.localeCompare(a.id))
          .filter((w) => after === undefined || createdAt(w) < after.at || (createdAt(w) === after.at && w.id < after.id))
        const items = live.slice(0, limit)
        const last = items[items.length - 1]
        return { items, nextCursor: live.length > limit && last ? encodeCursor(createdAt(last), last.id) : null }
      }),
    listScheduled: () =>
      Effect.sync(() => [...rows.values()].filter((r) => !r.isDeleted && r.workflow.trigger.type === "schedule").map((r) => r.workflow)),
    remove: (organizationId, id) =>
      Effect.sync(() => {
        const row = rows.get(id)
        if (!row || row.isDeleted || row.workflow.organizationId !== organizationId) return false
        row.isDeleted = true
        return true
      })
  }
  return service
}

export const WorkflowRepoMemory = Layer.sync(WorkflowRepo, makeWorkflowRepoMemory)
