import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type CliFailure, CommandFailed, failureLines } from "./CliFailure.ts"
import { agentScript } from "./agentScript.ts"
import { executionLines } from "./executionLines.ts"
import { readRunRequest } from "./readRunRequest.ts"
import { readWorkflow } from "./readWorkflow.ts"
import { runLocally } from "./runLocally.ts"

const file = Args.file({ name: "FILE" }).pipe(Args.withDescription("The workflow document (JSON)."))
const input = Options.text("input").pipe(
  Options.withPseudoName("JSON|@FILE"),
  Options.withDescription("The run request {threadId, input, context}: inline JSON, or @path/to/request.json.")
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the whole execution record as one JSON document."))
const agentReply = Options.text("agent-reply").pipe(
  Options.withPseudoName("TEXT"),
  Options.optional,
  Options.withDescription("Play the agent with a scripted model answering this text (no LLM is called).")
)
const agentStructured = Options.text("agent-structured").pipe(
  Options.withPseudoName("JSON"),
  Options.optional,
  Options.withDescription("The scripted agent's structured answer, e.g. '{\"reply\":\"Olá!\",\"confidence\":0.9}'.")
)

/** Before any step ran: on stderr, or as `{"error": …}` so `--json` still prints one JSON document. */
const reportFailure = (failure: CliFailure, asJson: boolean) =>
  asJson
    ? Console.log(JSON.stringify({ error: { code: failure.code, subject: failure.subject, message: failure.message, issues: failure.issues } }, null, 2))
    : Console.error(failureLines(failure).join("\n"))

/** `ast run FILE --input …`: runs the workflow now, in process; exit 0 iff the execution completed. */
export const runCommand = Command.make(
  "run",
  { file, input, json, agentReply, agentStructured },
  (options) =>
    Effect.gen(function* () {
      const workflow = yield* readWorkflow(options.file)
      const request = yield* readRunRequest(options.input)
      const agent = yield* agentScript(options.agentReply, options.agentStructured)
      const execution = yield* runLocally(workflow, request, agent)
      yield* Console.log(options.json ? JSON.stringify(execution, null, 2) : executionLines(execution).join("\n"))
      if (execution.status !== "completed") return yield* new CommandFailed()
    }).pipe(
      Effect.catchTag("CliFailure", (failure) => Effect.zipRight(reportFailure(failure, options.json), new CommandFailed()))
    )
).pipe(
  Command.withDescription(
    "Run a workflow now, in process: sends go to the log (stderr), nothing leaves the machine; without --agent-reply, agent steps fail as with no model provider."
  )
)
