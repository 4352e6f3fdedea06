import { ConfigError } from "effect"

/** One bad environment variable and what is wrong with it. */
export interface SettingProblem {
  readonly variable: string
  readonly problem: string
}

/** A message that starts with its variable's name (`AST_HTTP_ALLOW entry ...`) is kept without it. */
const withoutName = (variable: string, message: string) =>
  variable !== "" && message.startsWith(`${variable} `) ? message.slice(variable.length + 1).replace(/^:\s*/, "") : message

/**
 * Every problem in a configuration failure, one per bad variable and reason, in the order found and
 * without repeats: Effect reports them as a tree (`And`, `Or`) whose leaves carry the variable's path.
 */
export const settingProblems = (error: ConfigError.ConfigError): ReadonlyArray<SettingProblem> => {
  const found = new Map<string, SettingProblem>()
  const add = (path: ReadonlyArray<string>, message: string) => {
    const variable = path.join("_")
    for (const line of message.split("\n").filter((l) => l.trim() !== "")) {
      const problem = withoutName(variable, line.trim())
      found.set(`${variable}\u0000${problem}`, { variable, problem })
    }
  }
  const walk = (e: ConfigError.ConfigError): void => {
    switch (e._op) {
      case "And":
      case "Or":
        walk(e.left)
        walk(e.right)
        return
      case "InvalidData":
        return add(e.path, e.message)
      case "MissingData":
        return add(e.path, "is required")
      case "SourceUnavailable":
        return add(e.path, `cannot be read (${e.message})`)
      case "Unsupported":
        return add(e.path, e.message)
    }
  }
  walk(error)
  return [...found.values()]
}

/** A problem as the line the startup log prints: `PORT: must be a port number ... (got "abc")`. */
export const problemLine = ({ variable, problem }: SettingProblem) => (variable === "" ? problem : `${variable}: ${problem}`)
