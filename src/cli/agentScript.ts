import { Effect, Option } from "effect"
import type { ScriptedTurn } from "../adapters/memory/AgentModel.ts"
import { CliFailure } from "./CliFailure.ts"
import { parseJson } from "./readJson.ts"

/**
 * The scripted model of `--agent-reply` / `--agent-structured`, or none: then agent steps fail as they do
 * with no model provider configured.
 */
export const agentScript = (
  reply: Option.Option<string>,
  structured: Option.Option<string>
): Effect.Effect<ReadonlyArray<ScriptedTurn> | undefined, CliFailure> => {
  if (Option.isNone(reply)) {
    return Option.isNone(structured)
      ? Effect.succeed(undefined)
      : Effect.fail(new CliFailure({
        code: "usage_error",
        subject: "--agent-structured",
        message: "--agent-structured needs --agent-reply (the text the scripted agent answers)",
        issues: []
      }))
  }
  if (Option.isNone(structured)) return Effect.succeed([{ reply: reply.value }])
  return parseJson(structured.value, "--agent-structured").pipe(
    Effect.map((answer) => [{ reply: reply.value, structured: answer }])
  )
}
