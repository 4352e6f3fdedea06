import { Either, Schema } from "effect"
import { graphOf } from "./compileShorthand.ts"
import type { Graph } from "./Graph.ts"
import { issue, issuesOfParseError, type Issue, maxIssues, ValidationFailed } from "./Issue.ts"
import { validateGraph, validateGraphStructure } from "./validateGraph.ts"
import { WorkflowDocument } from "./Workflow.ts"

/** A document that holds, with the graph it runs (its own or the compiled shorthand). */
export type CompiledWorkflow = WorkflowDocument & { readonly graph: Graph }

const strict = { errors: "all", onExcessProperty: "error" } as const
const decodeDocument = Schema.decodeUnknownEither(WorkflowDocument, strict)

/** Enough of a graph to check its structure while some node configs are still wrong. */
const Skeleton = Schema.Struct({
  graph: Schema.Struct({
    nodes: Schema.Array(Schema.Struct({ id: Schema.String, type: Schema.String })),
    edges: Schema.Array(Schema.Struct({ from: Schema.String, to: Schema.String, when: Schema.optional(Schema.String) }))
  })
})
const decodeSkeleton = Schema.decodeUnknownEither(Skeleton)

/**
 * Decodes a workflow document from untrusted JSON. Never throws: a bad document yields `ValidationFailed`
 * listing every problem with its path — schema problems and graph rules together.
 */
export const decodeWorkflow = (input: unknown): Either.Either<CompiledWorkflow, ValidationFailed> => {
  const decoded = decodeDocument(input)
  if (Either.isLeft(decoded)) {
    const skeleton = decodeSkeleton(input)
    const structural = Either.isRight(skeleton) ? validateGraphStructure(skeleton.right.graph) : []
    return Either.left(new ValidationFailed({ issues: unique([...issuesOfParseError(decoded.left), ...structural]).slice(0, maxIssues) }))
  }
  const doc = decoded.right
  const graph = graphOf(doc)
  if (graph === undefined) {
    return Either.left(new ValidationFailed({ issues: [issue([], "a workflow needs an 'agent' (shorthand) or a 'graph'")] }))
  }
  const issues = doc.graph ? validateGraph(graph) : validateGraph(graph).map(toShorthandPath)
  return issues.length > 0 ? Either.left(new ValidationFailed({ issues: issues.slice(0, maxIssues) })) : Either.right({ ...doc, graph })
}

const unique = (issues: ReadonlyArray<Issue>): ReadonlyArray<Issue> => {
  const seen = new Set<string>()
  return issues.filter((i) => {
    const key = JSON.stringify(i)
    return seen.has(key) ? false : (seen.add(key), true)
  })
}

/** A problem inside the compiled agent node is a problem of the document's `agent`. */
const toShorthandPath = (i: Issue): Issue => {
  const [, , , config, ...rest] = i.path
  return config === "config" ? { ...i, path: ["agent", ...rest] } : i
}
