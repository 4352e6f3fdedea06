import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { createThread, deleteThread, getThread, resumeThread, threadMessages } from "../../../application/Threads.ts"
import { AstApi } from "../Api.ts"
import { CurrentOrganization } from "../Authentication.ts"
import { problems } from "../toProblem.ts"

export const ThreadsHandlers = HttpApiBuilder.group(AstApi, "threads", (handlers) =>
  handlers
    .handle("create", ({ payload }) => Effect.flatMap(CurrentOrganization, (org) => problems(createThread(org, payload.threadId, payload.metadata))))
    .handle("get", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(getThread(org, path.threadId))))
    .handle("messages", ({ path }) =>
      Effect.flatMap(CurrentOrganization, (org) => problems(threadMessages(org, path.threadId))).pipe(Effect.map((items) => ({ items }))))
    .handle("delete", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(deleteThread(org, path.threadId))))
    .handle("resume", ({ path }) => Effect.flatMap(CurrentOrganization, (org) => problems(resumeThread(org, path.threadId))))
)
