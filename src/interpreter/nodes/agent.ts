import { Effect } from "effect"
import { NodeFailed } from "../../domain/errors.ts"
import { AgentModel } from "../../ports/AgentModel.ts"
import { EventBus } from "../../ports/EventBus.ts"
import type { NodeContext } from "../NodeContext.ts"
import type { NodeOf } from "../../domain/Node.ts"
import { renderTemplate } from "../template.ts"
import { makeToolRunner } from "../tools.ts"

/** One agent turn over the burst: `{reply, structured?, toolCalls}`; tokens stream as events. */
export const agent = (node: NodeOf<"agent">, ctx: NodeContext, attempt: number) =>
  Effect.gen(function* () {
    const model = yield* AgentModel
    const bus = yield* EventBus
    const { executionId, organizationId, threadId } = ctx.spec
    const context = yield* Effect.context<Effect.Effect.Context<ReturnType<ReturnType<typeof makeToolRunner>>>>()
    const runTool = makeToolRunner(ctx, ctx.journal, node.id, attempt)
    const systemPrompt = node.config.systemPrompt
    const answer = yield* model.run({
      config: node.config,
      ...(systemPrompt === undefined ? {} : { systemPrompt: renderTemplate(systemPrompt, ctx.scope) }),
      turnId: `${executionId}:${node.id}`,
      userMessage: ctx.spec.input.aggregatedInput ?? "",
      thread: { organizationId, threadId },
      callTool: (name, args) => runTool(name, args).pipe(Effect.provide(context)),
      onToken: (token) => bus.publish(executionId, { type: "token", content: token })
    }).pipe(Effect.mapError((e) => new NodeFailed({ code: e.code, message: e.message })))
    yield* bus.publish(executionId, { type: "message", content: { type: "ai", content: answer.reply } })
    return {
      reply: answer.reply,
      ...(answer.structured === undefined ? {} : { structured: answer.structured }),
      toolCalls: answer.toolCalls
    }
  })
