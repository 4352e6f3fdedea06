import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Either } from "effect"
import { decodeRunRequest } from "../../../domain/RunRequest.ts"
import { BackgroundRuns } from "../../../application/BackgroundRuns.ts"
import { acceptTrigger } from "../../../application/Accumulate.ts"
import { executeNow, startInBackground } from "../../../application/Runs.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { eventStreamResponse } from "../sse.ts"
import { problems } from "../toProblem.ts"

export const RunsHandlers = HttpApiBuilder.group(AstApi, "runs", (handlers) =>
  handlers
    .handle("trigger", ({ path, payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(Effect.flatMap(runRequest(payload), (request) => acceptTrigger(org, path.id, request)))).pipe(
        Effect.map((answer) => (answer.status === "triggered" ? answer : HttpServerResponse.unsafeJson(answer, { status: 200 })))
      ))
    .handle("execute", ({ path, payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(Effect.flatMap(runRequest(payload), (request) => executeNow(org, path.id, request)))))
    .handle("stream", ({ path, payload, urlParams }) =>
      Effect.gen(function* () {
        const org = yield* CurrentOrganization
        const request = yield* problems(runRequest(payload))
        const executionId = yield* problems(startInBackground(org, path.id, request))
        const runs = yield* BackgroundRuns
        const onClientGone = urlParams.onDisconnect === "cancel"
          ? Effect.logInfo("the stream's client went away: cancelling the execution (onDisconnect=cancel)").pipe(Effect.zipRight(runs.cancel(executionId)), Effect.asVoid)
          : Effect.logInfo("the stream's client went away; the execution goes on")
        return yield* eventStreamResponse(executionId, undefined, onClientGone)
      }))
)

const runRequest = (payload: unknown) => Either.match(decodeRunRequest(payload), { onLeft: Effect.fail, onRight: Effect.succeed })
