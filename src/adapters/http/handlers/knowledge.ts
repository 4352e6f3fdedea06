import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { addDocument, deleteDocument, listDocuments, searchKnowledge } from "../../../application/Knowledge.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { problems } from "../toProblem.ts"

/** How many chunks a search answers when it names no `k` (as many as the agent's `search_docs` gets). */
const defaultK = 5

export const KnowledgeHandlers = HttpApiBuilder.group(AstApi, "knowledge", (handlers) =>
  handlers
    .handle("addDocument", ({ payload }) => Effect.flatMap(CurrentOrganization, (org) => problems(addDocument(org, payload))))
    .handle("listDocuments", ({ urlParams }) =>
      // `?collection=` with nothing after it lists every collection, as if it were not there.
      Effect.flatMap(CurrentOrganization, (org) => problems(listDocuments(org, urlParams.collection || undefined))).pipe(Effect.map((items) => ({ items }))))
    .handle("deleteDocument", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(deleteDocument(org, path.id))))
    .handle("search", ({ payload }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(searchKnowledge(org, payload.query, payload.k ?? defaultK, payload.collection))).pipe(
        Effect.map((items) => ({ items }))
      ))
)
