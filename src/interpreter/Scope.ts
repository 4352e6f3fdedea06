import type { PublicContext, RunInput } from "../domain/RunRequest.ts"
import type { StoredValues } from "../ports/Store.ts"

/** What templates and JsonLogic read (§4.1). `context.livchatApiKey` is never in it. */
export interface Scope {
  readonly input: RunInput
  readonly context: PublicContext
  readonly thread: Record<string, unknown>
  readonly nodes: Record<string, { readonly output: unknown }>
  readonly vars: Record<string, unknown>
  readonly store: StoredValues
}

/** Reads a dotted path over own properties only; anything missing is `undefined`. */
export const readPath = (root: unknown, path: ReadonlyArray<string>): unknown => {
  let value: unknown = root
  for (const segment of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}
