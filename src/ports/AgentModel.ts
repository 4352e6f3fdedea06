import { Context, type Effect } from "effect"
import type { AgentConfig, ToolName } from "../domain/Agent.ts"
import type { AgentFailed } from "../domain/errors.ts"
import type { ThreadKey } from "../domain/Thread.ts"

export interface ToolCall {
  readonly name: ToolName
  readonly args: Record<string, unknown>
  readonly result: string
}

export interface AgentTurn {
  readonly config: AgentConfig
  /** The system prompt with its templates rendered. */
  readonly systemPrompt?: string
  /** The same for every attempt of one node run (`<executionId>:<nodeId>`): a retry replaces, not repeats, the turn in memory. */
  readonly turnId?: string
  /** What the user said in this turn (the burst's `aggregatedInput`). */
  readonly userMessage: string
  /** Whose memory the turn reads and extends (when `config.memory.enabled`). */
  readonly thread: ThreadKey
  /** Runs a tool through the service's ports and logs it as a step; a failure comes back as text. */
  readonly callTool: (name: ToolName, args: Record<string, unknown>) => Effect.Effect<string>
  /** Called with each token as the model writes. */
  readonly onToken: (token: string) => Effect.Effect<void>
}

export interface AgentReply {
  readonly reply: string
  /** The object matching `config.output`, when it is set. */
  readonly structured?: unknown
  readonly toolCalls: ReadonlyArray<ToolCall>
}

/** One agent turn: the model ↔ tools loop, streaming tokens. */
export class AgentModel extends Context.Tag("ast/AgentModel")<AgentModel, {
  /** Runs the turn until the model answers without calling a tool. */
  readonly run: (turn: AgentTurn) => Effect.Effect<AgentReply, AgentFailed>
  /**
   * Starts reading the memory of `thread` now, for an agent turn about to run on it (an execution's
   * bookkeeping is still going on): that turn then does not wait for the read. Never fails, never waits.
   */
  readonly prefetch?: (thread: ThreadKey) => Effect.Effect<void>
}>() {}
