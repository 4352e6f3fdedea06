import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { deleteExecution, getExecution, listExecutions } from "../../../application/Executions.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { eventStreamResponse } from "../sse.ts"
import { problems } from "../toProblem.ts"

export const ExecutionsHandlers = HttpApiBuilder.group(AstApi, "executions", (handlers) =>
  handlers
    .handle("list", ({ urlParams }) =>
      Effect.flatMap(CurrentOrganization, (organizationId) => problems(listExecutions({ organizationId, limit: urlParams.limit ?? 20, ...withoutLimit(urlParams) }))))
    .handle("get", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(getExecution(org, path.id))))
    .handle("delete", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(deleteExecution(org, path.id))))
    .handle("events", ({ path, headers }) =>
      Effect.flatMap(CurrentOrganization, (org) =>
        problems(getExecution(org, path.id)).pipe(
          Effect.flatMap(() => eventStreamResponse(path.id, lastEventId(headers["last-event-id"])))
        )))
)

const withoutLimit = <T extends { readonly limit?: number }>({ limit: _limit, ...rest }: T) => rest

/** `Last-Event-ID` as a sequence number; anything else replays from the start. */
const lastEventId = (header: string | undefined): number | undefined => {
  const n = header === undefined ? NaN : Number(header)
  return Number.isInteger(n) && n >= 0 ? n : undefined
}
