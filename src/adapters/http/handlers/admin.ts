import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { createApiKey, listApiKeys, revokeApiKey } from "../../../application/ApiKeys.ts"
import { AstApi } from "../Api.ts"
import { problems } from "../toProblem.ts"

export const AdminHandlers = HttpApiBuilder.group(AstApi, "admin", (handlers) =>
  handlers
    .handle("createApiKey", ({ payload }) => problems(createApiKey(payload.organizationId, payload.name ?? null)))
    .handle("listApiKeys", ({ urlParams }) => problems(listApiKeys(urlParams.organizationId)).pipe(Effect.map((items) => ({ items }))))
    .handle("revokeApiKey", ({ path }) => problems(revokeApiKey(path.id)))
)
