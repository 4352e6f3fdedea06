import { Clock, Deferred, Effect, Exit, Schedule } from "effect"
import type { ExecutionError, ExecutionStatus } from "../domain/Execution.ts"
import type { Graph } from "../domain/Graph.ts"
import { publicContext, type RunRequest, withAggregatedInput } from "../domain/RunRequest.ts"
import { effectiveAccumulator, type Trigger } from "../domain/Workflow.ts"
import { planOf } from "../interpreter/plan.ts"
import { runGraph, type RunOptions } from "../interpreter/runGraph.ts"
import type { GraphPorts } from "../interpreter/nodes/index.ts"
import { AgentModel } from "../ports/AgentModel.ts"
import { Callbacks } from "../ports/Callbacks.ts"
import { EventBus } from "../ports/EventBus.ts"
import { ExecutionRepo } from "../ports/ExecutionRepo.ts"
import { Store, type StoredValues } from "../ports/Store.ts"
import type { Thread } from "../domain/Thread.ts"
import type { Unavailable } from "../domain/errors.ts"
import { countOne, executionDuration, executions as executionsEnded, observe, secondsSince } from "../domain/metrics.ts"

/** The parts of a workflow a run needs. */
export interface RunnableWorkflow {
  readonly id: string
  readonly organizationId: string
  readonly version: number
  readonly trigger: Trigger
  readonly graph: Graph
  readonly callbackUrl?: string
}

export interface ExecutionOutcome {
  readonly executionId: string
  readonly status: ExecutionStatus
  readonly output: unknown
  readonly error?: ExecutionError
}

/**
 * Runs a workflow now (`/execute`, `/stream`, a flushed burst, `ast run`): records the execution, runs
 * its graph, records the outcome, publishes execution events and sends the callback. An escalated thread
 * runs no graph: the execution is recorded `skipped`. The run's `livchatApiKey` goes to sends only.
 * Every log line of the run carries `executionId`, `threadId` and `organizationId`.
 */
export const executeWorkflow = (workflow: RunnableWorkflow, request: RunRequest, options: Parameters<typeof runExecution>[2] = {}) =>
  Effect.suspend(() => {
    const executionId = options.executionId ?? crypto.randomUUID()
    return runExecution(workflow, request, { ...options, executionId }).pipe(
      Effect.annotateLogs({ executionId, threadId: request.threadId, organizationId: workflow.organizationId })
    )
  })

const runExecution = Effect.fn("ExecuteWorkflow.execute")(function* (
  workflow: RunnableWorkflow,
  request: RunRequest,
  options: RunOptions & {
    readonly executionId?: string
    /** The execution was already recorded `pending` (by `/trigger`): it moves to `running` here. */
    readonly recorded?: "pending"
    /**
     * Completed when the execution is recorded `running` (or failed if it could not be): `/stream`
     * answers then, while the run goes on (its first round trip is not waited for twice).
     */
    readonly begun?: Deferred.Deferred<void, Unavailable>
  } = {}
): Effect.fn.Return<ExecutionOutcome, Unavailable, GraphPorts> {
  const executions = yield* ExecutionRepo
  const bus = yield* EventBus
  const executionId = options.executionId ?? crypto.randomUUID()
  const separator = effectiveAccumulator(workflow)?.separator
  const input = withAggregatedInput(request.input, separator)
  const context = publicContext(request.context)
  const key = { organizationId: workflow.organizationId, threadId: request.threadId }
  const ref = { organizationId: workflow.organizationId, executionId }
  yield* Effect.annotateCurrentSpan({ executionId, threadId: request.threadId, organizationId: workflow.organizationId })
  const startedNanos = yield* Clock.currentTimeNanos
  /** `ast_executions_total` and `ast_execution_duration_seconds` for the status the execution ended with. */
  const recordEnd = (status: ExecutionStatus) =>
    Effect.flatMap(secondsSince(startedNanos), (seconds) =>
      Effect.zipRight(countOne(executionsEnded, { status }), observe(executionDuration, { status }, seconds)))

  // The bookkeeping before the graph, at once: the execution recorded running and the thread touched
  // (one write), the stored values read if the graph may read them.
  const start = options.recorded === "pending"
    ? { pending: ref, threadId: request.threadId }
    : { execution: pendingExecution(workflow, request, executionId) }
  // An agent with memory will read the thread's: that read starts now too, instead of after all this.
  if (usesAgentMemory(workflow.graph)) yield* Effect.flatMap(AgentModel, (model) => model.prefetch?.(key) ?? Effect.void)
  const begin = planOf(workflow.graph).readsStore
    ? Effect.all([
      executions.begin(start),
      Effect.flatMap(Store, (s) => s.load({ organizationId: workflow.organizationId, workflowId: workflow.id, threadId: request.threadId }))
    ], { concurrency: "unbounded" })
    : Effect.map(executions.begin(start), (thread): [Thread, StoredValues] => [thread, noStoredValues])
  const begun = options.begun
  const [thread, store] = yield* (begun === undefined ? begin : begin.pipe(Effect.onExit((exit) => Deferred.done(begun, Exit.asVoid(exit)))))
  if (thread.status === "escalated") {
    yield* executions.setStatus(ref, "skipped", { output: { reason: "thread is escalated to a human" }, steps: options.precedingSteps ?? [] })
    yield* bus.publish(executionId, { type: "execution", executionId, status: "skipped" })
    yield* recordEnd("skipped")
    return { executionId, status: "skipped", output: { reason: "thread is escalated to a human" } } satisfies ExecutionOutcome
  }
  yield* bus.publish(executionId, { type: "execution", executionId, status: "running" })
  const apiKey = request.context.livchatApiKey
  const result = yield* runGraph(workflow.graph, {
    executionId,
    organizationId: workflow.organizationId,
    workflowId: workflow.id,
    threadId: request.threadId,
    ...(workflow.callbackUrl === undefined ? {} : { callbackUrl: workflow.callbackUrl }),
    input,
    context,
    secrets: apiKey === undefined ? {} : { livchatApiKey: apiKey },
    thread: { threadId: thread.threadId, status: thread.status, metadata: thread.metadata },
    store
  }, options).pipe(
    Effect.onInterrupt(() =>
      Effect.ignore(executions.setStatus(ref, "error", { error: { code: "interrupted", message: "the execution was stopped" } })).pipe(
        // Subscribers of its events must see it end.
        Effect.zipRight(bus.publish(executionId, { type: "error", content: "the execution was stopped" })),
        Effect.zipRight(bus.publish(executionId, { type: "execution", executionId, status: "error" })),
        Effect.zipRight(recordEnd("error"))
      )
    )
  )
  // The run is over: its outcome must be recorded, so a database that is briefly busy or away is tried
  // again for a few seconds rather than leaving the execution `running` for ever.
  yield* executions.setStatus(ref, result.status, {
    output: result.output,
    steps: result.steps,
    ...(result.error === undefined ? {} : { error: result.error })
  }).pipe(Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.intersect(Schedule.recurs(5)))))
  if (result.error !== undefined) yield* bus.publish(executionId, { type: "error", content: result.error.message })
  yield* bus.publish(executionId, { type: "execution", executionId, status: result.status })
  yield* recordEnd(result.status)
  yield* (yield* Callbacks).notify({
    event: result.status === "completed" ? "execution.completed" : "execution.failed",
    organizationId: workflow.organizationId,
    workflowId: workflow.id,
    executionId,
    threadId: request.threadId,
    status: result.status,
    output: result.output,
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(workflow.callbackUrl === undefined ? {} : { callbackUrl: workflow.callbackUrl })
  })
  return { executionId, status: result.status, output: result.output, ...(result.error ? { error: result.error } : {}) } satisfies ExecutionOutcome
})

const noStoredValues: StoredValues = { thread: {}, workflow: {} }

/** Whether any agent of the graph keeps memory (`memory.enabled`, on by default). */
const usesAgentMemory = (graph: Graph) => graph.nodes.some((node) => node.type === "agent" && node.config.memory?.enabled !== false)

/** The execution record of a run request: its stored input never holds `livchatApiKey`. */
export const pendingExecution = (
  workflow: RunnableWorkflow,
  request: RunRequest,
  executionId: string,
  status: "pending" | "running" = "pending"
) => ({
  id: executionId,
  organizationId: workflow.organizationId,
  workflowId: workflow.id,
  workflowVersion: workflow.version,
  threadId: request.threadId,
  status,
  input: {
    threadId: request.threadId,
    input: withAggregatedInput(request.input, effectiveAccumulator(workflow)?.separator),
    context: publicContext(request.context)
  }
})
