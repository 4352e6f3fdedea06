import { Effect } from "effect"
import { NodeFailed } from "../../domain/errors.ts"
import { Callbacks } from "../../ports/Callbacks.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"
import type { NodeContext, NodeHandler } from "../NodeContext.ts"
import { renderTemplate } from "../template.ts"

/** Hands the thread to a human: later triggers run no agent until it is resumed. */
export const escalate: NodeHandler<"escalate", ThreadRepo | Callbacks> = (node, ctx) =>
  escalateThread(ctx, renderTemplate(node.config.reason, ctx.scope))

/** Shared by the `escalate` node and the `human_escalation` tool. */
export const escalateThread = (ctx: Pick<NodeContext, "spec">, reason: string) =>
  Effect.gen(function* () {
    const { organizationId, threadId, workflowId, executionId, callbackUrl } = ctx.spec
    const threads = yield* ThreadRepo
    yield* threads.setStatus({ organizationId, threadId }, "escalated").pipe(
      Effect.mapError((e) => new NodeFailed({ code: "unavailable", message: e.message }))
    )
    const callbacks = yield* Callbacks
    yield* callbacks.notify({
      event: "thread.escalated", organizationId, workflowId, executionId, threadId, status: "escalated", reason,
      ...(callbackUrl === undefined ? {} : { callbackUrl })
    })
    return { escalated: true as const }
  })
