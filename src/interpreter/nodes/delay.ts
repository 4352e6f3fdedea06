import { Duration, Effect } from "effect"
import type { NodeHandler } from "../NodeContext.ts"

/** Waits on Effect's Clock, so `TestClock` drives it in tests. */
export const delay: NodeHandler<"delay", never> = (node) =>
  Effect.sleep(Duration.millis(node.config.seconds * 1000)).pipe(Effect.as({}))
