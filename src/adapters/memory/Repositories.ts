import { Context, Effect, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { ApiKeyRepo } from "../../ports/ApiKeyRepo.ts"
import { Bursts } from "../../ports/Bursts.ts"
import { ExecutionRepo } from "../../ports/ExecutionRepo.ts"
import { KnowledgeBase } from "../../ports/KnowledgeBase.ts"
import { SecretBox } from "../../ports/SecretBox.ts"
import { Store } from "../../ports/Store.ts"
import { ThreadRepo } from "../../ports/ThreadRepo.ts"
import { WorkflowRepo } from "../../ports/WorkflowRepo.ts"
import { makeSecretBox } from "../crypto/SecretBox.ts"
import { CheckpointerMemory } from "../langgraph/Checkpointer.ts"
import { ThreadMemoryLangGraph } from "../langgraph/ThreadMemory.ts"
import { makeApiKeyRepoMemory } from "./ApiKeyRepo.ts"
import { makeBurstsMemory } from "./Bursts.ts"
import { CallbackOutbox, makeCallbackOutboxMemory } from "./CallbackOutbox.ts"
import { makeExecutionRepoMemory } from "./ExecutionRepo.ts"
import { makeKnowledgeBaseMemory } from "./KnowledgeBase.ts"
import { makeStoreMemory } from "./Store.ts"
import { makeThreadRepoMemory } from "./ThreadRepo.ts"
import { makeWorkflowRepoMemory } from "./WorkflowRepo.ts"

/** Agent memory in process: LangGraph's MemorySaver, read back as thread memory. */
const AgentMemoryInProcess = ThreadMemoryLangGraph.pipe(Layer.provideMerge(CheckpointerMemory))

/** Every repository in process memory, with a SecretBox under a key made for this process (tests, `ast run`). */
export const MemoryRepositories = Layer.merge(AgentMemoryInProcess, Layer.effectContext(
  Effect.sync(() => {
    const threads = makeThreadRepoMemory()
    const executions = makeExecutionRepoMemory(threads)
    return Context.make(ExecutionRepo, executions).pipe(
      Context.add(Bursts, makeBurstsMemory(executions)),
      Context.add(WorkflowRepo, makeWorkflowRepoMemory()),
      Context.add(ApiKeyRepo, makeApiKeyRepoMemory()),
      Context.add(ThreadRepo, threads),
      Context.add(Store, makeStoreMemory()),
      Context.add(SecretBox, makeSecretBox(randomBytes(32))),
      Context.add(CallbackOutbox, makeCallbackOutboxMemory()),
      Context.add(KnowledgeBase, makeKnowledgeBaseMemory())
    )
  })
))
