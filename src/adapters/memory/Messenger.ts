import { Effect, Layer } from "effect"
import { SendFailed } from "../../domain/errors.ts"
import { Messenger, type SendRequest } from "../../ports/Messenger.ts"

export interface SentMessage {
  readonly phone: string
  readonly message: string
  readonly instanceId?: string
  readonly idempotencyKey: string
}

/**
 * The log messenger (§1, no `LIVCHAT_API_URL`): a send is written to the log and kept here; nothing
 * leaves the process. `fail` lets a test refuse chosen sends.
 */
export const makeLogMessenger = (fail?: (request: SendRequest) => string | undefined) => {
  const sent: Array<SentMessage> = []
  const byKey = new Map<string, string>()
  const service: Messenger["Type"] & { readonly sent: ReadonlyArray<SentMessage> } = {
    sent,
    send: (request) =>
      Effect.suspend(() => {
        const refused = fail?.(request)
        if (refused !== undefined) return Effect.fail(new SendFailed({ message: refused }))
        const known = byKey.get(request.idempotencyKey)
        if (known !== undefined) return Effect.succeed({ messageId: known })
        const messageId = `log-${sent.length + 1}`
        byKey.set(request.idempotencyKey, messageId)
        const { apiKey: _never, ...visible } = request
        sent.push(visible)
        return Effect.logInfo("send (log messenger: nothing leaves the process)").pipe(
          Effect.annotateLogs({ phone: request.phone, message: request.message, idempotencyKey: request.idempotencyKey }),
          Effect.as({ messageId })
        )
      }),
    instanceStatus: (instanceId) => Effect.succeed(`unknown (log messenger: no LIVCHAT_API_URL; instance ${instanceId})`)
  }
  return service
}

export const MessengerLog = Layer.sync(Messenger, () => makeLogMessenger())
