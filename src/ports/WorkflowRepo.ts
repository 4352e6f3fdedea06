import { Context, type Effect, type Option } from "effect"
import type { Unavailable } from "../domain/errors.ts"
import type { Workflow } from "../domain/Workflow.ts"

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextCursor: string | null
}

/** Workflow documents of each organization, versioned and soft-deleted. */
export class WorkflowRepo extends Context.Tag("ast/WorkflowRepo")<WorkflowRepo, {
  /** Stores a new workflow or replaces one (the caller bumps `version`). */
  readonly save: (workflow: Workflow) => Effect.Effect<void, Unavailable>
  /** A live (not deleted) workflow of the organization. */
  readonly get: (organizationId: string, id: string) => Effect.Effect<Option.Option<Workflow>, Unavailable>
  /** A page of live workflows, newest first. */
  readonly list: (organizationId: string, limit: number, cursor?: string) => Effect.Effect<Page<Workflow>, Unavailable>
  /** Every live workflow with a `schedule` trigger, of every organization (to register their schedules at startup). */
  readonly listScheduled: () => Effect.Effect<ReadonlyArray<Workflow>, Unavailable>
  /** Soft-deletes; answers whether a live workflow was there. */
  readonly remove: (organizationId: string, id: string) => Effect.Effect<boolean, Unavailable>
}>() {}
