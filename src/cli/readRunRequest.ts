import type { FileSystem } from "@effect/platform"
import { Effect, Either, Schema } from "effect"
import { issuesOfParseError } from "../domain/Issue.ts"
import { RunRequest } from "../domain/RunRequest.ts"
import { type CliFailure, invalid } from "./CliFailure.ts"
import { readJsonArgument } from "./readJson.ts"

const decodeRunRequest = Schema.decodeUnknownEither(RunRequest, { errors: "all" })

/** The run request of `--input`: inline JSON or `@file`, checked as `/execute` checks its body (§5). */
export const readRunRequest = (value: string): Effect.Effect<RunRequest, CliFailure, FileSystem.FileSystem> => {
  const subject = value.startsWith("@") ? `--input ${value}` : "--input"
  return readJsonArgument(subject, value).pipe(
    Effect.flatMap((json) => Either.mapLeft(decodeRunRequest(json), (error) => invalid(subject, issuesOfParseError(error))))
  )
}
