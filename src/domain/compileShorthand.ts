import type { AgentConfig } from "./Agent.ts"
import type { Graph } from "./Graph.ts"
import type { WorkflowDocument } from "./Workflow.ts"

/**
 * The seed's shorthand as a graph (§4): `trigger → agent` when the agent sends its own messages
 * (`send_whatsapp` tool), else `trigger → agent → send` replying to the sender.
 */
export const compileShorthand = (agent: AgentConfig, doc: Pick<WorkflowDocument, "trigger" | "memory">): Graph => {
  const accumulator = doc.trigger.type === "webhook" ? doc.trigger.accumulator : undefined
  const trigger = { id: "trigger", type: "trigger", config: accumulator ? { accumulator } : {} } as const
  const memory = agent.memory ?? doc.memory
  const agentNode = { id: "agent", type: "agent", config: memory ? { ...agent, memory } : agent } as const
  if (agent.tools.includes("send_whatsapp")) {
    return { nodes: [trigger, agentNode], edges: [{ from: "trigger", to: "agent" }] }
  }
  const send = { id: "send", type: "send", config: { message: "{{nodes.agent.output.reply}}" } } as const
  return {
    nodes: [trigger, agentNode, send],
    edges: [{ from: "trigger", to: "agent" }, { from: "agent", to: "send" }]
  }
}

/** The graph a document runs: its own `graph`, else the compiled shorthand. */
export const graphOf = (doc: WorkflowDocument): Graph | undefined =>
  doc.graph ?? (doc.agent ? compileShorthand(doc.agent, doc) : undefined)
