import { Args, Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { type CliFailure, CommandFailed, failureIssues, failureLines, plural } from "./CliFailure.ts"
import { readWorkflow } from "./readWorkflow.ts"

const file = Args.file({ name: "FILE" }).pipe(Args.withDescription("The workflow document (JSON)."))
const json = Options.boolean("json").pipe(Options.withDescription("Print the verdict as one JSON document."))

/** The verdict is the command's output (stdout); a file that cannot be read is reported on stderr. */
const reportInvalid = (failure: CliFailure, asJson: boolean) =>
  asJson
    ? Console.log(JSON.stringify({ valid: false, issues: failureIssues(failure) }, null, 2))
    : failure.code === "validation_error"
      ? Console.log(failureLines(failure).join("\n"))
      : Console.error(failureLines(failure).join("\n"))

/** `ast validate FILE [--json]`: exit 0 when the document holds, 1 listing every problem when not. */
export const validateCommand = Command.make("validate", { file, json }, ({ file, json }) =>
  readWorkflow(file).pipe(
    Effect.matchEffect({
      onSuccess: (workflow) =>
        Console.log(
          json
            ? JSON.stringify({ valid: true, name: workflow.name, graph: workflow.graph }, null, 2)
            : `valid: ${workflow.name} (${plural(workflow.graph.nodes.length, "node")}, ${plural(workflow.graph.edges.length, "edge")})`
        ),
      onFailure: (failure) => Effect.zipRight(reportInvalid(failure, json), new CommandFailed())
    })
  )).pipe(Command.withDescription("Check a workflow document and list every problem with its path."))
