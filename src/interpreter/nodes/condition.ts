import { Effect } from "effect"
import { evaluate, isTruthy } from "../jsonLogic.ts"
import type { NodeHandler } from "../NodeContext.ts"

/** `{result}`: which of the `true` / `false` edges fires. */
export const condition: NodeHandler<"condition", never> = (node, ctx) =>
  evaluate(node.config.if, ctx.scope).pipe(Effect.map((value) => ({ result: isTruthy(value) })))
