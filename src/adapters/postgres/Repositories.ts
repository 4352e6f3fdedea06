import { Layer } from "effect"
import { ApiKeyRepoPg } from "./ApiKeyRepo.ts"
import { BurstsPg } from "./Bursts.ts"
import { CallbackOutboxPg } from "./CallbackOutbox.ts"
import { ExecutionRepoPg } from "./ExecutionRepo.ts"
import { StorePg } from "./Store.ts"
import { ThreadRepoPg } from "./ThreadRepo.ts"
import { WorkflowRepoPg } from "./WorkflowRepo.ts"

/** Every repository on the database in context (PostgreSQL or embedded PGlite: the same code). */
export const PostgresRepositories = Layer.mergeAll(WorkflowRepoPg, ExecutionRepoPg, ApiKeyRepoPg, ThreadRepoPg, StorePg, BurstsPg, CallbackOutboxPg)
