import { evaluateAssignments } from "../jsonLogic.ts"
import type { NodeHandler } from "../NodeContext.ts"

/** The object built from `set`; it also joins `vars` for the nodes downstream. */
export const transform: NodeHandler<"transform", never> = (node, ctx) => evaluateAssignments(node.config.set, ctx.scope)
