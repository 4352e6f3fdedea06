import { FileSystem } from "@effect/platform"
import type { PlatformError } from "@effect/platform/Error"
import { Effect, Either } from "effect"
import { issue } from "../domain/Issue.ts"
import { CliFailure, invalid } from "./CliFailure.ts"

/** The JSON value in a file; an unreadable file or malformed JSON fails naming the file. */
export const readJsonFile = (file: string): Effect.Effect<unknown, CliFailure, FileSystem.FileSystem> =>
  FileSystem.FileSystem.pipe(
    Effect.flatMap((fs) => fs.readFileString(file)),
    Effect.mapError((error) =>
      new CliFailure({ code: "unreadable_file", subject: file, message: `cannot read '${file}': ${reasonOf(error)}`, issues: [] })
    ),
    Effect.flatMap((text) => parseJson(text, file))
  )

/** `--input` style values: inline JSON, or `@path` to read it from a file. */
export const readJsonArgument = (option: string, value: string): Effect.Effect<unknown, CliFailure, FileSystem.FileSystem> =>
  value.startsWith("@") ? readJsonFile(value.slice(1)) : parseJson(value, option)

/** Malformed JSON is one problem at the document's root, with the parser's message. */
export const parseJson = (text: string, subject: string): Either.Either<unknown, CliFailure> =>
  Either.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => invalid(subject, [issue([], `not valid JSON: ${error instanceof Error ? error.message : String(error)}`)])
  })

const reasonOf = (error: PlatformError): string => {
  if (error._tag === "BadArgument") return error.description ?? "bad argument"
  switch (error.reason) {
    case "NotFound": return "no such file"
    case "PermissionDenied": return "permission denied"
    case "BadResource": return "not a readable file"
    default: return error.description ?? error.reason
  }
}
