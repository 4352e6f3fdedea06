import { Context, type Effect } from "effect"

/** POSTs a signed callback to a receiver (§7); any answer is returned, a network failure is an error text. */
export class WebhookSender extends Context.Tag("ast/WebhookSender")<WebhookSender, {
  /** Sends `body` as is; answers the receiver's status, or fails with why nothing came back. */
  readonly post: (url: string, body: string, headers: Record<string, string>, timeoutMs: number) => Effect.Effect<{ readonly status: number }, string>
}>() {}
