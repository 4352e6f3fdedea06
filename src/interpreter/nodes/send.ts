import { Effect } from "effect"
import { NodeFailed } from "../../domain/errors.ts"
import { Messenger } from "../../ports/Messenger.ts"
import type { NodeContext, NodeHandler } from "../NodeContext.ts"
import { renderTemplate } from "../template.ts"

/** Sends one WhatsApp message through LivChat; `{messageId}`. */
export const send: NodeHandler<"send", Messenger> = (node, ctx) =>
  sendMessage(ctx, {
    phone: renderTemplate(node.config.to ?? "{{input.sender.phone}}", ctx.scope).trim(),
    message: renderTemplate(node.config.message, ctx.scope),
    instanceId: renderTemplate(node.config.instanceId ?? "{{context.instanceId}}", ctx.scope).trim()
  }, ctx.stepId)

/** The send of §7, shared by the `send` node and the `send_whatsapp` tool. */
export const sendMessage = (
  ctx: Pick<NodeContext, "spec">,
  what: { readonly phone: string; readonly message: string; readonly instanceId: string },
  stepId: string
) =>
  Effect.gen(function* () {
    if (what.phone === "") return yield* new NodeFailed({ code: "no_recipient", message: "no phone to send to (input.sender.phone is empty and no 'to' was given)" })
    if (what.message.trim() === "") return yield* new NodeFailed({ code: "empty_message", message: "the message to send is empty" })
    const messenger = yield* Messenger
    const apiKey = ctx.spec.secrets.livchatApiKey
    const { messageId } = yield* messenger.send({
      phone: what.phone,
      message: what.message,
      ...(what.instanceId === "" ? {} : { instanceId: what.instanceId }),
      ...(apiKey === undefined ? {} : { apiKey }),
      idempotencyKey: `${ctx.spec.executionId}:${stepId}`
    }).pipe(Effect.mapError((e) => new NodeFailed({ code: "send_failed", message: e.message })))
    return { messageId }
  })
