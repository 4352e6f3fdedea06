import { PgClient } from "@effect/sql-pg"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { Workflow } from "../../domain/Workflow.ts"
import { WorkflowRepo } from "../../ports/WorkflowRepo.ts"
import { decodeCursor, encodeCursor } from "../memory/cursor.ts"
import { ChangeFeed, changesChannel, makeRowCache } from "./ChangeFeed.ts"
import { asJson, iso, orUnavailable } from "./orUnavailable.ts"
import { isUuid } from "./uuid.ts"

interface WorkflowRow {
  readonly id: string
  readonly organization_id: string
  readonly document: Record<string, unknown>
  readonly graph: unknown
  readonly version: number
  readonly created_at: Date
  readonly updated_at: Date
}

const encode = Schema.encodeSync(Workflow)
// A stored row that no longer decodes is a bug or a corrupted row, not a caller's mistake: a defect.
const decode = Schema.decodeUnknownSync(Workflow)

const workflowOf = (r: WorkflowRow): Workflow =>
  decode({
    ...r.document,
    graph: r.graph,
    id: r.id,
    organizationId: r.organization_id,
    version: r.version,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at)
  })

/**
 * Workflows on PostgreSQL: the document as JSONB beside its compiled graph; delete is soft. Live
 * workflows are cached decoded, by id (the ChangeFeed drops one on every instance as a replacement or
 * deletion commits), so a run usually starts without reading or decoding its workflow.
 */
export const makeWorkflowRepoPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const live = makeRowCache({
    feed: yield* ChangeFeed,
    kind: "workflow",
    // Only a read of the database is timed and traced: a cached workflow costs no timeout race and no span.
    lookup: (id) =>
      sql<WorkflowRow>`SELECT * FROM workflows WHERE id = ${id} AND deleted_at IS NULL`.pipe(
        Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), workflowOf)),
        orUnavailable("WorkflowRepo.get")
      )
  })
  /** Drops the workflow from every instance's cache when the write commits, and from this one's now. */
  const changed = <R>(write: Effect.Effect<ReadonlyArray<{ readonly id: string }>, R>) =>
    Effect.tap(write, (rows) => Effect.forEach(rows, (row) => live.invalidate(row.id)))
  const service: WorkflowRepo["Type"] = {
    save: (workflow) =>
      Effect.suspend(() => {
        const { graph, id, organizationId, version, createdAt, updatedAt, ...document } = encode(workflow)
        return changed(sql<{ id: string }>`
          WITH saved AS (
          INSERT INTO workflows (id, organization_id, name, document, graph, version, is_active, created_at, updated_at)
          VALUES (${id}, ${organizationId}, ${workflow.name}, ${asJson(document)}::jsonb, ${asJson(graph)}::jsonb, ${version},
                  ${workflow.isActive}, ${new Date(createdAt)}, ${new Date(updatedAt)})
          ON CONFLICT (id) DO UPDATE SET
            name = EXCLUDED.name, document = EXCLUDED.document, graph = EXCLUDED.graph, version = EXCLUDED.version,
            is_active = EXCLUDED.is_active, updated_at = EXCLUDED.updated_at
          WHERE workflows.organization_id = EXCLUDED.organization_id AND workflows.deleted_at IS NULL
          RETURNING id)
          SELECT id, pg_notify(${changesChannel}, 'workflow:' || id) FROM saved`)
      }).pipe(Effect.asVoid, orUnavailable("WorkflowRepo.save")),

    get: (organizationId, id) =>
      !isUuid(id) ? Effect.succeed(Option.none()) : live.get(id).pipe(Effect.map(Option.filter((workflow) => workflow.organizationId === organizationId))),

    list: (organizationId, limit, cursor) =>
      Effect.gen(function* () {
        const after = cursor === undefined ? undefined : decodeCursor(cursor)
        const rows = yield* sql<WorkflowRow>`
          SELECT * FROM workflows
          WHERE organization_id = ${organizationId} AND deleted_at IS NULL
            ${after === undefined ? sql`` : sql`AND (created_at, id) < (${new Date(after.at)}, ${after.id})`}
          ORDER BY created_at DESC, id DESC LIMIT ${limit + 1}`
        const items = rows.slice(0, limit).map(workflowOf)
        const last = items[items.length - 1]
        return {
          items,
          nextCursor: rows.length > limit && last ? encodeCursor(DateTime.formatIso(last.createdAt), last.id) : null
        }
      }).pipe(orUnavailable("WorkflowRepo.list")),

    listScheduled: () =>
      sql<WorkflowRow>`SELECT * FROM workflows WHERE deleted_at IS NULL AND document->'trigger'->>'type' = 'schedule'`.pipe(
        Effect.map((rows) => rows.map(workflowOf)),
        orUnavailable("WorkflowRepo.listScheduled")
      ),
    remove: (organizationId, id) =>
      !isUuid(id) ? Effect.succeed(false) : changed(sql<{ id: string }>`
          WITH removed AS (UPDATE workflows SET deleted_at = now()
            WHERE id = ${id} AND organization_id = ${organizationId} AND deleted_at IS NULL RETURNING id)
          SELECT id, pg_notify(${changesChannel}, 'workflow:' || id) FROM removed`).pipe(
        Effect.map((rows) => rows.length > 0),
        orUnavailable("WorkflowRepo.remove")
      )
  }
  return service
})

export const WorkflowRepoPg = Layer.effect(WorkflowRepo, makeWorkflowRepoPg)
