import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import { Store } from "../../ports/Store.ts"
import { asJson, orUnavailable } from "./orUnavailable.ts"

/** `store` node values: a thread's live in its `threads` row (erased with it), a workflow's in `workflow_store`. */
export const makeStorePg = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const service: Store["Type"] = {
    load: (ref) =>
      // One round trip for both scopes.
      sql<{ thread: Record<string, unknown> | null; workflow: Record<string, unknown> | null }>`
        SELECT
          (SELECT store FROM threads WHERE organization_id = ${ref.organizationId} AND thread_id = ${ref.threadId}) AS thread,
          (SELECT store FROM workflow_store WHERE organization_id = ${ref.organizationId} AND workflow_id = ${ref.workflowId}) AS workflow`.pipe(
        Effect.map((rows) => ({ thread: rows[0]?.thread ?? {}, workflow: rows[0]?.workflow ?? {} })),
        orUnavailable("Store.load")
      ),
    save: (ref, scope, values) =>
      (scope === "thread"
        ? sql`
            INSERT INTO threads (organization_id, thread_id, store) VALUES (${ref.organizationId}, ${ref.threadId}, ${asJson(values)}::jsonb)
            ON CONFLICT (organization_id, thread_id) DO UPDATE SET store = threads.store || EXCLUDED.store`
        : sql`
            INSERT INTO workflow_store (organization_id, workflow_id, store) VALUES (${ref.organizationId}, ${ref.workflowId}, ${asJson(values)}::jsonb)
            ON CONFLICT (organization_id, workflow_id) DO UPDATE SET store = workflow_store.store || EXCLUDED.store`
      ).pipe(Effect.asVoid, orUnavailable("Store.save"))
  }
  return service
})

export const StorePg = Layer.effect(Store, makeStorePg)
