import { Effect, Either, Layer, Option } from "effect"
import { makeMemoryWorld } from "../src/adapters/memory/World.ts"
import { decodeWorkflow } from "../src/domain/decodeWorkflow.ts"
import type { Graph } from "../src/domain/Graph.ts"
import { formatIssue } from "../src/domain/Issue.ts"
import { publicContext, withAggregatedInput } from "../src/domain/RunRequest.ts"
import type { RunSpec } from "../src/interpreter/NodeContext.ts"
import { runGraph } from "../src/interpreter/runGraph.ts"
import { type Benchmark, type Measurement, median } from "./Benchmark.ts"
import { chainDocument, randomDagDocument } from "./documents.ts"
import { loopPlanOf, plainLoop } from "./plainLoop.ts"

const ORG = "org-bench"
const WORKFLOW_ID = "00000000-0000-4000-8000-000000000001"
const THREAD_ID = "5511999999999"
const TARGET_RATIO = 5

const specFor = (executionId: string): RunSpec => ({
  executionId,
  organizationId: ORG,
  workflowId: WORKFLOW_ID,
  threadId: THREAD_ID,
  input: withAggregatedInput({
    messages: [{ content: "oi, tudo bem?", type: "text" }],
    sender: { phone: THREAD_ID, name: "João" }
  }),
  context: publicContext({ instanceId: "inst-1" }),
  secrets: {},
  thread: { threadId: THREAD_ID, status: "active", metadata: {} },
  store: { thread: {}, workflow: {} }
})

const graphOf = (doc: unknown): Graph => {
  const decoded = decodeWorkflow(doc)
  if (Either.isLeft(decoded)) {
    throw new Error(`a benchmark document is invalid:\n${decoded.left.issues.map(formatIssue).join("\n")}`)
  }
  return decoded.right.graph
}

/** One execution in a fresh memory world (steps and events kept as in production); only `runGraph` and its final `setStatus` (which stores the steps the journal had not written yet) are timed. */
const interpreterRun = async (graph: Graph) => {
  const world = await Effect.runPromise(makeMemoryWorld())
  const context = await Effect.runPromise(Effect.scoped(Layer.build(world.layer)))
  const spec = specFor(crypto.randomUUID())
  await Effect.runPromise(world.executions.create({
    id: spec.executionId, organizationId: ORG, workflowId: WORKFLOW_ID, workflowVersion: 1, threadId: THREAD_ID,
    status: "running", input: {}
  }))
  const started = performance.now()
  // As an execution ends: the steps the journal had not written yet go with the outcome.
  const result = await Effect.runPromise(Effect.provide(runGraph(graph, spec).pipe(
    Effect.tap((r) => world.executions.setStatus({ organizationId: ORG, executionId: spec.executionId }, r.status, { output: r.output, steps: r.steps }))
  ), context))
  const ms = performance.now() - started
  if (result.status !== "completed") throw new Error(`the interpreter ended '${result.status}': ${result.error?.message}`)
  const execution = Option.getOrThrow(await Effect.runPromise(world.executions.get(ORG, spec.executionId)))
  return { ms, steps: execution.steps }
}

/** Both sides must have done the same work: one completed step per node, with the plain loop's output. */
const checkSameOutputs = (
  steps: ReadonlyArray<{ nodeId: string; status: string; output: unknown }>,
  expected: Record<string, { output: unknown }>
) => {
  const count = Object.keys(expected).length
  if (steps.length !== count) throw new Error(`the interpreter recorded ${steps.length} steps; the plain loop ran ${count} nodes`)
  for (const step of steps) {
    const want = JSON.stringify(expected[step.nodeId]?.output)
    const got = JSON.stringify(step.output)
    if (step.status !== "completed" || got !== want) {
      throw new Error(`node '${step.nodeId}': interpreter ${step.status} ${got}, plain loop ${want}`)
    }
  }
}

const compare = async (name: string, doc: unknown, warmups: number, repetitions: number): Promise<Measurement> => {
  const graph = graphOf(doc)
  const plan = loopPlanOf(graph)
  const spec = specFor("plain-loop")
  const timedLoop = () => {
    const started = performance.now()
    plainLoop(plan, spec)
    return performance.now() - started
  }
  for (let i = 0; i < warmups; i++) {
    await interpreterRun(graph)
    timedLoop()
  }
  const subject: Array<number> = []
  const baseline: Array<number> = []
  let steps: ReadonlyArray<{ nodeId: string; status: string; output: unknown }> = []
  // Interleaved, so drift (GC, CPU frequency, a noisy neighbour) falls on both sides alike.
  for (let i = 0; i < repetitions; i++) {
    const run = await interpreterRun(graph)
    subject.push(run.ms)
    steps = run.steps
    baseline.push(timedLoop())
  }
  checkSameOutputs(steps, plainLoop(plan, spec))
  const measurement = {
    name,
    units: graph.nodes.length - 1,
    repetitions,
    subjectMs: median(subject),
    baselineMs: median(baseline),
    targetRatio: TARGET_RATIO
  }
  const spread = (samples: ReadonlyArray<number>, digits: number) =>
    `${median(samples).toFixed(digits)} ms (min ${Math.min(...samples).toFixed(digits)}, max ${Math.max(...samples).toFixed(digits)})`
  console.log(`  ${name}, ${repetitions} runs: interpreter ${spread(subject, 1)}, plain loop ${spread(baseline, 2)}`)
  return measurement
}

export const benchmark: Benchmark = {
  title: "Interpreter",
  description:
    "`runGraph` (src/interpreter/runGraph.ts) on a decoded graph in a fresh memory world — steps journaled in the " +
    "in-memory ExecutionRepo, events on the in-memory EventBus, default concurrency — against the same JsonLogic " +
    "expressions evaluated by the same json-logic-engine in a plain `for` loop over an equivalent scope " +
    "(bench/plainLoop.ts), in topological order, in the same process. Each side is warmed up, then timed in " +
    "interleaved repetitions; the table shows medians. After timing, every step's output is checked against the " +
    "plain loop's. Nodes/s counts the nodes after the trigger. The chain is trigger → t1 → … → t1000 (five " +
    "expressions per node); the DAG has 10,000 nodes (seed 42), each with 1–3 incoming edges from the 200 nodes " +
    "before it, four expressions per transform, about 2% conditions with a true and a false edge.",
  subject: "interpreter",
  baseline: "plain loop",
  unit: "nodes",
  run: async () => [
    await compare("1,000-node transform chain", chainDocument(1000), 30, 30),
    await compare("10,000-node random DAG", randomDagDocument(10_000, 42), 3, 7)
  ]
}
