import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { BackgroundRuns } from "../../../application/BackgroundRuns.ts"
import { executeNow, startInBackground } from "../../../application/Runs.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { eventStreamResponse } from "../sse.ts"
import { problems } from "../toProblem.ts"

export const RunsHandlers = HttpApiBuilder.group(AstApi, "runs", (handlers) =>
  handlers
    .handle("trigger", ({ path, payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(startInBackground(org, path.id, payload, "trigger"))).pipe(
        Effect.map((executionId) => ({ status: "triggered" as const, executionId }))
      ))
    .handle("execute", ({ path, payload }) => Effect.flatMap(CurrentOrganization, (org) => problems(executeNow(org, path.id, payload))))
    .handle("stream", ({ path, payload, urlParams }) =>
      Effect.gen(function* () {
        const org = yield* CurrentOrganization
        const executionId = yield* problems(startInBackground(org, path.id, payload, "execute"))
        const runs = yield* BackgroundRuns
        const onClientGone = urlParams.onDisconnect === "cancel"
          ? Effect.logInfo("the stream's client went away: cancelling the execution (onDisconnect=cancel)").pipe(Effect.zipRight(runs.cancel(executionId)), Effect.asVoid)
          : Effect.logInfo("the stream's client went away; the execution goes on")
        return yield* eventStreamResponse(executionId, undefined, onClientGone)
      }))
)
