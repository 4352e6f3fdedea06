import { Context, type Effect } from "effect"
import type { SendFailed } from "../domain/errors.ts"

export interface SendRequest {
  readonly phone: string
  readonly message: string
  readonly instanceId?: string
  /** `context.livchatApiKey` of the run; the adapter falls back to `LIVCHAT_API_KEY`. Never stored. */
  readonly apiKey?: string
  /** `<executionId>:<stepId>`, so a retried step never sends twice (§7). */
  readonly idempotencyKey: string
}

/** LivChat's side of WhatsApp (§7): send a message, read an instance's status. */
export class Messenger extends Context.Tag("ast/Messenger")<Messenger, {
  /** Sends one WhatsApp message; answers LivChat's message id. */
  readonly send: (request: SendRequest) => Effect.Effect<{ readonly messageId: string }, SendFailed>
  /** The status string of a WhatsApp instance. */
  readonly instanceStatus: (instanceId: string, apiKey?: string) => Effect.Effect<string, SendFailed>
}>() {}
