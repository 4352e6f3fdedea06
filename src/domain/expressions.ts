/** Static checks of the two expression languages of §4.1: `{{path}}` templates and JsonLogic. */

/** The names a template or a JsonLogic `var` may start with. */
export const scopeRoots = ["input", "context", "thread", "nodes", "vars", "store"] as const

/** JsonLogic operators the interpreter supports (the standard set and a few safe extras). */
export const jsonLogicOperators: ReadonlySet<string> = new Set([
  "var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or", "and", "??",
  ">", ">=", "<", "<=", "max", "min", "+", "-", "*", "/", "%", "map", "filter", "reduce", "all", "none",
  "some", "merge", "in", "cat", "substr", "length", "preserve", "not", "keys", "exists", "val"
])

const placeholder = /\{\{\s*([^{}]*?)\s*\}\}/g
const pathSyntax = /^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/

export type TemplatePart = { readonly text: string } | { readonly path: ReadonlyArray<string> }

/** Splits a template into text and placeholder paths; a malformed placeholder is returned as a problem. */
export const parseTemplate = (template: string): { parts: ReadonlyArray<TemplatePart>; problems: ReadonlyArray<string> } => {
  const parts: Array<TemplatePart> = []
  const problems: Array<string> = []
  let last = 0
  for (const match of template.matchAll(placeholder)) {
    if (match.index > last) parts.push({ text: template.slice(last, match.index) })
    const path = match[1] ?? ""
    if (!pathSyntax.test(path)) problems.push(`'{{${path}}}' is not a path such as {{input.sender.phone}}`)
    else parts.push({ path: path.split(".") })
    last = match.index + match[0].length
  }
  const rest = template.slice(last)
  if (rest.includes("{{")) problems.push("a '{{' is never closed by '}}'")
  if (rest.length > 0) parts.push({ text: rest })
  return { parts, problems }
}

/** Why a scope path cannot be read, if it cannot. */
export const pathProblem = (path: ReadonlyArray<string>, nodeIds: ReadonlySet<string>): string | undefined => {
  const [root, second] = path
  const shown = path.join(".")
  if (root === undefined || !(scopeRoots as ReadonlyArray<string>).includes(root)) {
    return `'${shown}' starts with '${root ?? ""}', not one of ${scopeRoots.join(", ")}`
  }
  if (root === "context" && second === "livchatApiKey") return "context.livchatApiKey is never in the scope"
  if (root === "nodes" && second !== undefined && !nodeIds.has(second)) return `'${shown}' names unknown node '${second}'`
  return undefined
}

export interface ExpressionProblem {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

/** Every problem of a template, with the scope paths it reads checked against the graph's node ids. */
export const templateProblems = (template: string, nodeIds: ReadonlySet<string>): ReadonlyArray<string> => {
  const { parts, problems } = parseTemplate(template)
  const pathProblems = parts.flatMap((p) => ("path" in p ? [pathProblem(p.path, nodeIds)] : []))
  return [...problems, ...pathProblems.filter((p): p is string => p !== undefined)]
}

/** Every problem of a JsonLogic expression: unknown operators, malformed operations, unreadable `var` paths. */
export const jsonLogicProblems = (
  logic: unknown,
  nodeIds: ReadonlySet<string>,
  at: ReadonlyArray<string | number> = [],
  isRelative = false
): ReadonlyArray<ExpressionProblem> => {
  if (at.length > maxDepth) return [{ path: at, message: `a JsonLogic expression may nest at most ${maxDepth} levels` }]
  if (Array.isArray(logic)) return logic.flatMap((item, i) => jsonLogicProblems(item, nodeIds, [...at, i], isRelative))
  if (logic === null || typeof logic !== "object") return []
  const keys = Object.keys(logic)
  const [op] = keys
  if (op === undefined || keys.length !== 1) {
    return [{ path: at, message: "a JsonLogic operation is an object with exactly one operator key (wrap data in {\"preserve\": ...})" }]
  }
  if (!jsonLogicOperators.has(op)) return [{ path: [...at, op], message: `unknown JsonLogic operator '${op}'` }]
  const args: unknown = (logic as Record<string, unknown>)[op]
  if (op === "preserve") return []
  if (op === "var") {
    const name = Array.isArray(args) ? args[0] : args
    if (typeof name !== "string" || name === "" || isRelative) {
      return jsonLogicProblems(name, nodeIds, [...at, op], isRelative)
    }
    const problem = pathSyntax.test(name) ? pathProblem(name.split("."), nodeIds) : `'${name}' is not a path`
    return problem === undefined ? [] : [{ path: [...at, op], message: problem }]
  }
  if (iterating.has(op) && Array.isArray(args)) {
    // Inside map/filter/reduce/all/none/some, `var` reads the current item, not the scope.
    return args.flatMap((arg, i) => jsonLogicProblems(arg, nodeIds, [...at, op, i], isRelative || i > 0))
  }
  return jsonLogicProblems(args, nodeIds, [...at, op], isRelative)
}

const maxDepth = 64

const iterating = new Set(["map", "filter", "reduce", "all", "none", "some"])
