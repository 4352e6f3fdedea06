import type { FileSystem } from "@effect/platform"
import { Effect, Either } from "effect"
import { type CompiledWorkflow, decodeWorkflow } from "../domain/decodeWorkflow.ts"
import { type CliFailure, invalid } from "./CliFailure.ts"
import { readJsonFile } from "./readJson.ts"

/** Reads and validates a workflow document: every problem is reported with its path. */
export const readWorkflow = (file: string): Effect.Effect<CompiledWorkflow, CliFailure, FileSystem.FileSystem> =>
  readJsonFile(file).pipe(
    Effect.flatMap((json) => Either.mapLeft(decodeWorkflow(json), (failed) => invalid(file, failed.issues)))
  )
