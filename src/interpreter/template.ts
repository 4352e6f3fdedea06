import { parseTemplate, type TemplatePart } from "../domain/expressions.ts"
import { readPath } from "./Scope.ts"

const parsed = new Map<string, ReadonlyArray<TemplatePart>>()

const partsOf = (template: string): ReadonlyArray<TemplatePart> => {
  let parts = parsed.get(template)
  if (parts === undefined) {
    parts = parseTemplate(template).parts
    if (parsed.size > 10_000) parsed.clear()
    parsed.set(template, parts)
  }
  return parts
}

const show = (value: unknown): string =>
  value === undefined || value === null ? "" : typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value)

/** Fills `{{path}}` placeholders from the scope: a missing path is an empty string, never a crash. */
export const renderTemplate = (template: string, scope: unknown): string => {
  if (!template.includes("{{")) return template
  let out = ""
  for (const part of partsOf(template)) out += "text" in part ? part.text : show(readPath(scope, part.path))
  return out
}

/** Renders every string inside a JSON value (the `http` node's body). */
export const renderDeep = (value: unknown, scope: unknown): unknown => {
  if (typeof value === "string") return renderTemplate(value, scope)
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, scope))
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, scope)]))
  }
  return value
}
