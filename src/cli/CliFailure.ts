import { Schema } from "effect"
import { formatIssue, Issue } from "../domain/Issue.ts"

/**
 * Why a command could not do its job: the file or option at fault (`subject`), a one-line reason and, for
 * a document that does not hold, every problem in it. Commands render it; it never reaches the runtime.
 */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  code: Schema.Literal("unreadable_file", "usage_error", "validation_error"),
  subject: Schema.String,
  message: Schema.String,
  issues: Schema.Array(Issue)
}) {}

/** The command has printed its outcome and the process must exit with status 1. */
export class CommandFailed extends Schema.TaggedError<CommandFailed>()("CommandFailed", {}) {}

export const invalid = (subject: string, issues: ReadonlyArray<Issue>): CliFailure =>
  new CliFailure({ code: "validation_error", subject, message: `invalid: ${subject}`, issues })

/** One line, or `invalid: examples/x.json (2 problems)` followed by one `path: message` line per problem. */
export const failureLines = (failure: CliFailure): ReadonlyArray<string> =>
  failure.issues.length === 0
    ? [failure.message]
    : [`${failure.message} (${plural(failure.issues.length, "problem")})`, ...failure.issues.map(formatIssue)]

/** The failure as issues, for `--json` output: a one-line failure is one problem at the root. */
export const failureIssues = (failure: CliFailure): ReadonlyArray<Issue> =>
  failure.issues.length > 0 ? failure.issues : [{ path: [], message: failure.message }]

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`
