import { Effect, Layer } from "effect"
import { WebhookSender } from "../../ports/WebhookSender.ts"

/** Callbacks go out with `fetch`; the receiver's body is read and dropped; redirects are not followed. */
export const WebhookSenderFetch = Layer.succeed(WebhookSender, {
  post: (url, body, headers, timeoutMs) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(url, {
          method: "POST", body, headers: { "content-type": "application/json", ...headers },
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: "manual"
        })
        await response.arrayBuffer().catch(() => undefined)
        return { status: response.status }
      },
      catch: (e) => (e instanceof Error ? `${e.name === "TimeoutError" ? "timed out" : e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ""}` : String(e))
    })
})
