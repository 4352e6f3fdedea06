import { Effect, Schema } from "effect"
import type { ToolName } from "../domain/Agent.ts"
import { NodeFailed } from "../domain/errors.ts"
import { KnowledgeBase } from "../ports/KnowledgeBase.ts"
import type { Callbacks } from "../ports/Callbacks.ts"
import { Messenger } from "../ports/Messenger.ts"
import type { ThreadRepo } from "../ports/ThreadRepo.ts"
import type { Journal } from "./journal.ts"
import type { NodeContext } from "./NodeContext.ts"
import { escalateThread } from "./nodes/escalate.ts"
import { sendMessage } from "./nodes/send.ts"

const Args = {
  send_whatsapp: Schema.Struct({ message: Schema.String, phone: Schema.optional(Schema.String) }),
  search_docs: Schema.Struct({ query: Schema.String }),
  check_instance_status: Schema.Struct({ instanceId: Schema.optional(Schema.String) }),
  human_escalation: Schema.Struct({ reason: Schema.String, context: Schema.optional(Schema.Unknown) })
} as const

const badArgs = (name: ToolName) => (e: { readonly message: string }) =>
  new NodeFailed({ code: "invalid_tool_arguments", message: `${name}: ${e.message}` })

type ToolPorts = Messenger | KnowledgeBase | ThreadRepo | Callbacks

const runTool = (name: ToolName, args: unknown, ctx: NodeContext, stepId: string): Effect.Effect<unknown, NodeFailed, ToolPorts> => {
  const { spec } = ctx
  switch (name) {
    case "send_whatsapp":
      return Schema.decodeUnknown(Args.send_whatsapp)(args).pipe(
        Effect.mapError(badArgs(name)),
        Effect.flatMap((a) => {
          const sender = spec.input.sender?.phone ?? ""
          return sendMessage(ctx, { phone: (a.phone ?? sender).trim(), message: a.message, instanceId: spec.context.instanceId ?? "" }, stepId)
        })
      )
    case "search_docs":
      return Schema.decodeUnknown(Args.search_docs)(args).pipe(
        Effect.mapError(badArgs(name)),
        Effect.flatMap((a) => Effect.flatMap(KnowledgeBase, (kb) => kb.search(spec.organizationId, a.query, 5))),
        Effect.map((hits) => ({ results: hits.map((h) => ({ title: h.title, content: h.content })) })),
        Effect.mapError((e) => (e._tag === "NodeFailed" ? e : new NodeFailed({ code: "unavailable", message: e.message })))
      )
    case "check_instance_status":
      return Schema.decodeUnknown(Args.check_instance_status)(args).pipe(
        Effect.mapError(badArgs(name)),
        Effect.flatMap((a) => {
          const instanceId = a.instanceId ?? spec.context.instanceId
          if (instanceId === undefined || instanceId === "") {
            return new NodeFailed({ code: "no_instance", message: "no instanceId given and none in the context" })
          }
          return Effect.flatMap(Messenger, (m) => m.instanceStatus(instanceId, spec.secrets.livchatApiKey)).pipe(
            Effect.map((status) => ({ instanceId, status })),
            Effect.mapError((e) => new NodeFailed({ code: "status_failed", message: e.message }))
          )
        })
      )
    case "human_escalation":
      return Schema.decodeUnknown(Args.human_escalation)(args).pipe(
        Effect.mapError(badArgs(name)),
        Effect.flatMap((a) => escalateThread(ctx, a.reason))
      )
  }
}

/**
 * The agent's tool runner: each call is its own step (`tool:<name>`, id `<stepId>:tool:<n>`) and span
 * (`Tool.<name>`); a failure is logged as an error step and given back to the model as text.
 */
export const makeToolRunner = (ctx: NodeContext, journal: Journal, nodeId: string, attempt: number) => {
  let calls = 0
  return (name: ToolName, args: Record<string, unknown>) => {
    const stepId = `${ctx.stepId}:tool:${++calls}`
    return journal.step({ id: stepId, nodeId, stepName: `tool:${name}`, attempt, input: args }, runTool(name, args, ctx, stepId)).pipe(
      Effect.withSpan(`Tool.${name}`, { attributes: { "ast.tool.name": name, "ast.step.id": stepId } }),
      Effect.map((result) => JSON.stringify(result)),
      Effect.catchAll((e) => Effect.succeed(`error: ${e.message}`))
    )
  }
}
