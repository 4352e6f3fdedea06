import { Schema } from "effect"
import { optional } from "./optional.ts"
import { AccumulatorConfig } from "./Accumulator.ts"
import { AgentConfig } from "./Agent.ts"
import { Graph } from "./Graph.ts"
import { OrganizationId, WorkflowId } from "./ids.ts"
import { MemoryConfig } from "./Memory.ts"

const HttpUrl = Schema.String.pipe(
  Schema.filter((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol) || "must be an http(s) URL")
)

export const WebhookTrigger = Schema.Struct({
  type: Schema.Literal("webhook"),
  accumulator: optional(AccumulatorConfig)
})
export const ScheduleTrigger = Schema.Struct({
  type: Schema.Literal("schedule"),
  cron: Schema.String.pipe(
    Schema.pattern(/^\s*(\S+\s+){4,5}\S+\s*$/, { message: () => "a cron expression has 5 or 6 fields" })
  ),
  timezone: optional(Schema.String.pipe(
    Schema.filter((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz })
        return true
      } catch {
        return `unknown time zone '${tz}'`
      }
    })
  ))
})
export const ManualTrigger = Schema.Struct({ type: Schema.Literal("manual") })
export const Trigger = Schema.Union(WebhookTrigger, ScheduleTrigger, ManualTrigger)
export type Trigger = typeof Trigger.Type

/** The workflow document a client writes (§4): the seed's `agent` shorthand, or a `graph`, or both. */
export const WorkflowDocument = Schema.Struct({
  name: Schema.NonEmptyTrimmedString.pipe(Schema.maxLength(200)),
  description: optional(Schema.String),
  trigger: Schema.optionalWith(Trigger, { exact: true, default: () => ({ type: "webhook" }) as const }),
  agent: optional(AgentConfig),
  memory: optional(MemoryConfig),
  graph: optional(Graph),
  callbackUrl: optional(HttpUrl),
  isActive: Schema.optionalWith(Schema.Boolean, { exact: true, default: () => true })
})
export type WorkflowDocument = typeof WorkflowDocument.Type

/** A stored workflow: the document, its compiled graph, and what the server adds. */
export const Workflow = Schema.Struct({
  ...WorkflowDocument.fields,
  graph: Graph,
  id: WorkflowId,
  organizationId: OrganizationId,
  version: Schema.Int.pipe(Schema.positive()),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
})
export type Workflow = typeof Workflow.Type

/** The accumulator that applies: the trigger node's own, else the document's trigger's. */
export const effectiveAccumulator = (
  doc: { readonly trigger: Trigger; readonly graph: Graph }
): AccumulatorConfig | undefined => {
  const node = doc.graph.nodes.find((n) => n.type === "trigger")
  const fromNode = node?.type === "trigger" ? node.config.accumulator : undefined
  return fromNode ?? (doc.trigger.type === "webhook" ? doc.trigger.accumulator : undefined)
}
