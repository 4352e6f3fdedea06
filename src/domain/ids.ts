import { Schema } from "effect"

/** Ids the service hands out are UUIDs; ids given by callers (thread, organization) are free text. */
export const WorkflowId = Schema.UUID.pipe(Schema.brand("WorkflowId"))
export type WorkflowId = typeof WorkflowId.Type

export const ExecutionId = Schema.UUID.pipe(Schema.brand("ExecutionId"))
export type ExecutionId = typeof ExecutionId.Type

export const OrganizationId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200), Schema.brand("OrganizationId"))
export type OrganizationId = typeof OrganizationId.Type

export const ThreadId = Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200), Schema.brand("ThreadId"))
export type ThreadId = typeof ThreadId.Type

/** A node id is used inside template paths (`nodes.<id>.output`), so it may not hold dots or spaces. */
export const NodeId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/, {
    message: () => "a node id starts with a letter or _ and holds only letters, digits, _ and - (at most 64)"
  })
)
export type NodeId = typeof NodeId.Type
