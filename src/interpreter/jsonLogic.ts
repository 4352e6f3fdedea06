import { Effect } from "effect"
import { LogicEngine } from "json-logic-engine"
import { NodeFailed } from "../domain/errors.ts"
import { renderTemplate } from "./template.ts"

// The interpreted engine (`run`) only: its compiler (`build`) evaluates generated code and is never used.
const engine = new LogicEngine()

/** Evaluates JsonLogic over the scope; a runtime problem is the node's failure, not a crash. */
export const evaluate = (logic: unknown, scope: unknown): Effect.Effect<unknown, NodeFailed> =>
  Effect.try({
    try: () => engine.run(logic, scope),
    catch: (e) => new NodeFailed({ code: "expression_error", message: `JsonLogic failed: ${describe(e)}` })
  })

/** JsonLogic's truthiness: an empty array is false. */
export const isTruthy = (value: unknown): boolean => (Array.isArray(value) ? value.length > 0 : Boolean(value))

/** `transform`/`store` assignments: a string is a template, anything else JsonLogic. */
export const evaluateAssignments = (
  set: Record<string, unknown>,
  scope: unknown
): Effect.Effect<Record<string, unknown>, NodeFailed> =>
  Effect.try({
    try: () => {
      const out: Record<string, unknown> = {}
      for (const name in set) {
        const expression = set[name]
        out[name] = typeof expression === "string" ? renderTemplate(expression, scope) : engine.run(expression, scope)
      }
      return out
    },
    catch: (e) => new NodeFailed({ code: "expression_error", message: `JsonLogic failed: ${describe(e)}` })
  })

/** The operators the engine knows (tests check the domain's list against it). */
export const engineOperators = (): ReadonlyArray<string> => Object.keys(engine.methods)

const describe = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (e !== null && typeof e === "object") return JSON.stringify(e)
  return String(e)
}
