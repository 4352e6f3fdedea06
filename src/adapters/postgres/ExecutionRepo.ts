import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Option } from "effect"
import { type Execution, type ExecutionStatus, isFinalStatus, type Step } from "../../domain/Execution.ts"
import { type ExecutionRef, ExecutionRepo, type ExecutionSummary, type NewExecution } from "../../ports/ExecutionRepo.ts"
import { decodeCursor, encodeCursor } from "../memory/cursor.ts"
import { asJson, iso, orUnavailable } from "./orUnavailable.ts"
import { threadOf, type ThreadRow, upsertThread } from "./ThreadRepo.ts"
import { isUuid } from "./uuid.ts"

interface ExecutionRow {
  readonly id: string
  readonly organization_id: string
  readonly workflow_id: string
  readonly workflow_version: number
  readonly thread_id: string
  readonly status: ExecutionStatus
  readonly started_at: Date
  readonly finished_at: Date | null
  readonly error_code: string | null
  readonly error_message: string | null
  readonly error_node_id: string | null
}

interface StepRow {
  readonly step_id: string
  readonly node_id: string
  readonly step_name: string
  readonly attempt: number
  readonly status: Step["status"]
  readonly input: unknown
  readonly output: unknown
  readonly error: string | null
  readonly duration_ms: number | null
  readonly started_at: Date
  readonly finished_at: Date | null
}

const summaryOf = (r: ExecutionRow): ExecutionSummary => ({
  id: r.id,
  organizationId: r.organization_id,
  workflowId: r.workflow_id,
  workflowVersion: r.workflow_version,
  threadId: r.thread_id,
  status: r.status,
  startedAt: iso(r.started_at)!,
  finishedAt: iso(r.finished_at),
  ...(r.error_code === null
    ? {}
    : { error: { code: r.error_code, message: r.error_message ?? "", ...(r.error_node_id === null ? {} : { nodeId: r.error_node_id }) } })
})

const stepOf = (r: StepRow): Step => ({
  id: r.step_id,
  nodeId: r.node_id,
  stepName: r.step_name,
  attempt: r.attempt,
  status: r.status,
  input: r.input,
  output: r.output,
  error: r.error,
  durationMs: r.duration_ms,
  startedAt: iso(r.started_at)!,
  finishedAt: iso(r.finished_at)
})

/** A step as one element of the JSON array `recordSteps` sends (JSON null for an absent input or output). */
const stepRecord = (s: Step) => ({
  id: s.id,
  node_id: s.nodeId,
  step_name: s.stepName,
  attempt: s.attempt,
  status: s.status,
  input: s.input ?? null,
  output: s.output ?? null,
  error: s.error,
  duration_ms: s.durationMs,
  started_at: s.startedAt,
  finished_at: s.finishedAt
})

/** Executions on PostgreSQL: a light `executions` row, heavy `execution_data`, and `execution_steps`. */
export const makeExecutionRepoPg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  /** One statement for the whole batch; rows are inserted in the order given, so `seq` keeps it. */
  const insertSteps = (ref: ExecutionRef, steps: ReadonlyArray<Step>) => sql`
    INSERT INTO execution_steps (execution_id, step_id, organization_id, node_id, step_name, attempt, status,
                                 input, output, error, duration_ms, started_at, finished_at)
    SELECT ${ref.executionId}, s.id, ${ref.organizationId}, s.node_id, s.step_name, s.attempt, s.status,
           s.input, s.output, s.error, s.duration_ms, s.started_at, s.finished_at
    FROM ROWS FROM (jsonb_to_recordset(${asJson(steps.map(stepRecord))}::jsonb) AS (
           id text, node_id text, step_name text, attempt integer, status text, input jsonb, output jsonb,
           error text, duration_ms double precision, started_at timestamptz, finished_at timestamptz)
         ) WITH ORDINALITY AS s
    WHERE EXISTS (SELECT 1 FROM executions WHERE id = ${ref.executionId} AND organization_id = ${ref.organizationId} AND deleted_at IS NULL)
    ORDER BY s.ordinality
    ON CONFLICT (execution_id, step_id) DO UPDATE SET
      status = EXCLUDED.status, input = EXCLUDED.input, output = EXCLUDED.output, error = EXCLUDED.error,
      duration_ms = EXCLUDED.duration_ms, finished_at = EXCLUDED.finished_at
    WHERE execution_steps.organization_id = EXCLUDED.organization_id`
  /** The parts of a WITH that record a new execution: its light row (`execution`) and its heavy data. */
  const recordExecution = (e: NewExecution) => sql`
    execution AS (
      INSERT INTO executions (id, organization_id, workflow_id, workflow_version, thread_id, status, started_at)
      VALUES (${e.id}, ${e.organizationId}, ${e.workflowId}, ${e.workflowVersion}, ${e.threadId}, ${e.status}, ${new Date()})
      RETURNING id, organization_id),
    data AS (
      INSERT INTO execution_data (execution_id, organization_id, input)
      SELECT id, organization_id, ${asJson(e.input ?? null)}::jsonb FROM execution)`
  const service: ExecutionRepo["Type"] = {
    // One statement (atomic, one round trip): the light row and its heavy data.
    create: (e) => sql`WITH ${recordExecution(e)} SELECT 1`.pipe(Effect.asVoid, orUnavailable("ExecutionRepo.create")),

    // One statement: the thread upserted (and read back), the execution created or moved on from pending.
    begin: (start) => {
      const key = "execution" in start
        ? { organizationId: start.execution.organizationId, threadId: start.execution.threadId }
        : { organizationId: start.pending.organizationId, threadId: start.threadId }
      const recorded = "execution" in start
        ? recordExecution({ ...start.execution, status: "running" })
        : sql`execution AS (
            UPDATE executions SET status = 'running'
            WHERE id = ${start.pending.executionId} AND organization_id = ${key.organizationId} AND deleted_at IS NULL)`
      // Every part of a WITH runs to completion whether or not the final SELECT reads it.
      return sql<ThreadRow>`WITH thread AS (${upsertThread(sql, key)}), ${recorded} SELECT * FROM thread`.pipe(Effect.map((rows) => threadOf(rows[0]!)), orUnavailable("ExecutionRepo.begin"))
    },

    // One statement whatever it carries: the status, the output beside it, the steps.
    setStatus: (ref, status, result) => {
      const error = result?.error
      const steps = result?.steps ?? []
      const update = sql`
        UPDATE executions SET status = ${status},
          finished_at = ${isFinalStatus(status) ? new Date() : null},
          error_code = ${error?.code ?? null}, error_message = ${error?.message ?? null}, error_node_id = ${error?.nodeId ?? null}
        WHERE id = ${ref.executionId} AND organization_id = ${ref.organizationId} AND deleted_at IS NULL
        RETURNING id`
      const withSteps = steps.length === 0 ? sql`` : sql`, steps AS (${insertSteps(ref, steps)})`
      return (result?.output === undefined && steps.length === 0
        ? update
        : sql`WITH updated AS (${update})${withSteps}
              UPDATE execution_data SET output = ${result?.output === undefined ? sql`output` : sql`${asJson(result.output)}::jsonb`}
              WHERE execution_id IN (SELECT id FROM updated) AND organization_id = ${ref.organizationId}`
      ).pipe(Effect.asVoid, orUnavailable("ExecutionRepo.setStatus"))
    },

    recordSteps: (ref, steps) =>
      steps.length === 0 ? Effect.void : insertSteps(ref, steps).pipe(Effect.asVoid, orUnavailable("ExecutionRepo.recordSteps")),

    get: (organizationId, id) =>
      !isUuid(id) ? Effect.succeed(Option.none()) : Effect.gen(function* () {
        const rows = yield* sql<ExecutionRow & { input: unknown; output: unknown }>`
          SELECT e.*, d.input, d.output FROM executions e JOIN execution_data d ON d.execution_id = e.id
          WHERE e.id = ${id} AND e.organization_id = ${organizationId} AND e.deleted_at IS NULL`
        const row = rows[0]
        if (row === undefined) return Option.none<Execution>()
        const steps = yield* sql<StepRow>`
          SELECT * FROM execution_steps WHERE execution_id = ${id} AND organization_id = ${organizationId} ORDER BY seq`
        return Option.some<Execution>({ ...summaryOf(row), input: row.input, output: row.output, steps: steps.map(stepOf) })
      }).pipe(orUnavailable("ExecutionRepo.get")),

    list: (q) =>
      q.workflowId !== undefined && !isUuid(q.workflowId) ? Effect.succeed({ items: [], nextCursor: null }) : Effect.gen(function* () {
        const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
        const filters = [
          sql`organization_id = ${q.organizationId}`,
          sql`deleted_at IS NULL`,
          ...(q.workflowId === undefined ? [] : [sql`workflow_id = ${q.workflowId}`]),
          ...(q.threadId === undefined ? [] : [sql`thread_id = ${q.threadId}`]),
          ...(q.status === undefined ? [] : [sql`status = ${q.status}`]),
          ...(after === undefined ? [] : [sql`(started_at, id) < (${new Date(after.at)}, ${after.id})`])
        ]
        const rows = yield* sql<ExecutionRow>`
          SELECT * FROM executions WHERE ${sql.and(filters)} ORDER BY started_at DESC, id DESC LIMIT ${q.limit + 1}`
        const items = rows.slice(0, q.limit).map(summaryOf)
        const last = items[items.length - 1]
        return { items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.startedAt, last.id) : null }
      }).pipe(orUnavailable("ExecutionRepo.list")),

    remove: (organizationId, id) =>
      !isUuid(id) ? Effect.succeed(false) : sql`UPDATE executions SET deleted_at = now()
          WHERE id = ${id} AND organization_id = ${organizationId} AND deleted_at IS NULL RETURNING id`.pipe(
        Effect.map((rows) => rows.length > 0),
        orUnavailable("ExecutionRepo.remove")
      ),

    purge: (cutoff) =>
      sql`DELETE FROM executions WHERE deleted_at IS NOT NULL OR started_at < ${cutoff} RETURNING id`.pipe(
        Effect.map((rows) => rows.length),
        orUnavailable("ExecutionRepo.purge")
      )
  }
  return service
})

export const ExecutionRepoPg = Layer.effect(ExecutionRepo, makeExecutionRepoPg)
