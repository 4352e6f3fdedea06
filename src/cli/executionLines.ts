import type { Execution, Step } from "../domain/Execution.ts"

const marks: Record<Step["status"], string> = { completed: "✓", error: "✗", skipped: "-", running: "…" }

/**
 * An execution for a terminal: one line per step (`✓ agent:1  agent  completed  12ms`), then
 * `status: …`, the execution's error unless a step line already says it, and the output as JSON.
 */
export const executionLines = (execution: Execution): ReadonlyArray<string> => {
  const rows = execution.steps.map((step) => [
    `${marks[step.status]} ${step.id}`,
    step.stepName,
    step.status,
    step.durationMs === null || step.status === "skipped" ? "" : `${Math.round(step.durationMs)}ms`,
    step.error ?? ""
  ])
  const widths = [0, 1, 2, 3].map((column) => Math.max(0, ...rows.map((row) => row[column]!.length)))
  const steps = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd())
  const error = execution.error
  const isShownInSteps = error !== undefined && execution.steps.some((step) => step.error === error.message)
  return [
    ...steps,
    `status: ${execution.status}`,
    ...(error === undefined || isShownInSteps ? [] : [`error: ${error.nodeId === undefined ? "" : `${error.nodeId}: `}${error.message}`]),
    JSON.stringify(execution.output, null, 2)
  ]
}
