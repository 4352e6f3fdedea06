import { Effect } from "effect"
import { NodeFailed } from "../../domain/errors.ts"
import { Store } from "../../ports/Store.ts"
import { evaluateAssignments } from "../jsonLogic.ts"
import type { NodeHandler } from "../NodeContext.ts"

/** Keeps values for later executions of the thread or the workflow. */
export const store: NodeHandler<"store", Store> = (node, ctx) =>
  Effect.gen(function* () {
    const values = yield* evaluateAssignments(node.config.set, ctx.scope)
    const repo = yield* Store
    const { organizationId, workflowId, threadId } = ctx.spec
    yield* repo.save({ organizationId, workflowId, threadId }, node.config.scope, values).pipe(
      Effect.mapError((e) => new NodeFailed({ code: "unavailable", message: e.message }))
    )
    return values
  })
