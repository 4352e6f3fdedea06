import { Command } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Console, Effect, Exit, Layer, Logger } from "effect"
import pkg from "../../package.json" with { type: "json" }
import { runCommand } from "./runCommand.ts"
import { validateCommand } from "./validateCommand.ts"

const ast = Command.make("ast").pipe(
  Command.withDescription("AST: agent workflows for LivChat (WhatsApp), from the command line."),
  Command.withSubcommands([validateCommand, runCommand])
)

const cli = Command.run(ast, { name: "ast", version: pkg.version })

/** stdout carries only command output (one JSON document with --json); logs go to stderr. */
const LogToStderr = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))

/** Commands and @effect/cli print their own failures; only a defect is left: one line, no stack trace. */
const reportDefect = (cause: Cause.Cause<unknown>) => {
  if (!Cause.isDie(cause)) return Effect.void
  const defect = Cause.squash(cause)
  return Console.error(`ast: unexpected error: ${defect instanceof Error ? defect.message : String(defect)}`)
}

/** The exit code is set, not forced, so stdout is flushed before the process ends. */
const teardown: Teardown = (exit) => {
  process.exitCode = Exit.isSuccess(exit) ? 0 : Cause.isInterruptedOnly(exit.cause) ? 130 : 1
}

cli(process.argv).pipe(
  Effect.tapErrorCause(reportDefect),
  Effect.provide(Layer.merge(NodeContext.layer, LogToStderr)),
  NodeRuntime.runMain({ disableErrorReporting: true, disablePrettyLogger: true, teardown })
)
