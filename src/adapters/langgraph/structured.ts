import { Ajv, type ErrorObject, type ValidateFunction } from "ajv"

const ajv = new Ajv({ allErrors: true, strict: false })
const compiled = new Map<string, ValidateFunction>()

/** The agent's answer did not match `output` (after the one repair attempt). */
export class StructuredOutputInvalid extends Error {
  readonly issues: ReadonlyArray<string>
  constructor(issues: ReadonlyArray<string>) {
    super(`the model's answer does not match the output schema: ${issues.join("; ")}`)
    this.issues = issues
  }
}

const validatorFor = (schema: Record<string, unknown>): ValidateFunction | string => {
  const key = JSON.stringify(schema)
  const known = compiled.get(key)
  if (known !== undefined) return known
  try {
    const validate = ajv.compile(schema)
    if (compiled.size > 1000) compiled.clear()
    compiled.set(key, validate)
    return validate
  } catch (e) {
    return `the output schema is not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}`
  }
}

const describe = (e: ErrorObject) => `${e.instancePath === "" ? "(answer)" : e.instancePath} ${e.message ?? "is invalid"}`

/** The JSON object in a model's text: the whole text, or what sits in a ``` fence or between the outer braces. */
const jsonIn = (text: string): unknown => {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1]
  const candidates = [text.trim(), fenced?.trim(), text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1)]
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === "") continue
    try {
      return JSON.parse(candidate)
    } catch {
      // try the next reading
    }
  }
  throw new Error("not JSON")
}

/** The structured answer in `text`, or what is wrong with it (for the repair prompt, then the step's error). */
export const readStructured = (text: string, schema: Record<string, unknown>): { readonly value: unknown } | { readonly issues: ReadonlyArray<string> } => {
  const validate = validatorFor(schema)
  if (typeof validate === "string") return { issues: [validate] }
  let value: unknown
  try {
    value = jsonIn(text)
  } catch {
    return { issues: ["the answer is not a JSON object"] }
  }
  return validate(value) ? { value } : { issues: (validate.errors ?? []).map(describe) }
}

/** What the system prompt adds when the agent has an `output` schema. */
export const structuredInstruction = (schema: Record<string, unknown>) =>
  `When you give your final answer, answer with only a JSON object (no other text) that matches this JSON Schema:\n${JSON.stringify(schema)}`

/** The follow-up that gives the model its one chance to fix an invalid answer. */
export const repairPrompt = (issues: ReadonlyArray<string>) =>
  `Your answer does not match the required JSON Schema: ${issues.join("; ")}. Answer again with only the corrected JSON object.`
