import { ParseResult, Schema } from "effect"

/** One problem in a document, located by its path from the document's root (§3 `issues`). */
export const Issue = Schema.Struct({
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  message: Schema.String
})
export type Issue = typeof Issue.Type
export type Path = Issue["path"]

export const issue = (path: Path, message: string): Issue => ({ path, message })

/** Every problem of a failed decode, each with its path. */
export const issuesOfParseError = (error: ParseResult.ParseError): ReadonlyArray<Issue> =>
  ParseResult.ArrayFormatter.formatErrorSync(error).slice(0, maxIssues).map((e) => ({
    path: e.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment)),
    message: e.message
  }))

/** At most this many problems are reported (a huge bad document must not make a huge answer). */
export const maxIssues = 100

/** A document (workflow, run request) that does not hold: every problem is listed (up to `maxIssues`). */
export class ValidationFailed extends Schema.TaggedError<ValidationFailed>()("ValidationFailed", {
  issues: Schema.Array(Issue).pipe(Schema.maxItems(maxIssues))
}) {
  override get message(): string {
    return this.issues.map(formatIssue).join("\n")
  }
}

/** `graph.edges[2].to: unknown node 'sned'` */
export const formatIssue = (i: Issue): string => {
  const path = i.path.reduce<string>(
    (acc, s) => (typeof s === "number" ? `${acc}[${s}]` : acc === "" ? s : `${acc}.${s}`),
    ""
  )
  return `${path === "" ? "(document)" : path}: ${i.message}`
}
