import { Effect } from "effect"
import type { NodeHandler } from "../NodeContext.ts"

/** The trigger hands the burst on: `{messages, aggregatedInput, sender}`. */
export const trigger: NodeHandler<"trigger", never> = (_node, ctx) => {
  const { messages, aggregatedInput, sender } = ctx.spec.input
  return Effect.succeed(sender === undefined ? { messages, aggregatedInput } : { messages, aggregatedInput, sender })
}
