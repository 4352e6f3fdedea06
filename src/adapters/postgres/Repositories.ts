import { Layer } from "effect"
import { ThreadMemoryLangGraph } from "../langgraph/ThreadMemory.ts"
import { ApiKeyRepoPg } from "./ApiKeyRepo.ts"
import { BurstsPg } from "./Bursts.ts"
import { CallbackOutboxPg } from "./CallbackOutbox.ts"
import { CheckpointerPg } from "./Checkpointer.ts"
import { ExecutionRepoPg } from "./ExecutionRepo.ts"
import { KnowledgeBasePg } from "./KnowledgeBase.ts"
import { StorePg } from "./Store.ts"
import { ThreadRepoPg } from "./ThreadRepo.ts"
import { WorkflowRepoPg } from "./WorkflowRepo.ts"

/** Every repository on the database in context (PostgreSQL or embedded PGlite: the same code). */
export const PostgresRepositories = Layer.mergeAll(
  ThreadMemoryLangGraph.pipe(Layer.provideMerge(CheckpointerPg)),
  WorkflowRepoPg, ExecutionRepoPg, ApiKeyRepoPg, ThreadRepoPg, StorePg, BurstsPg, CallbackOutboxPg, KnowledgeBasePg)
