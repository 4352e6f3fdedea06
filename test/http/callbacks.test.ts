import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schedule } from "effect"
import { createHmac } from "node:crypto"
import { newOrganization, testService } from "../support/server.ts"
import { startReceiver, verify } from "../support/receiver.ts"

const secret = "whsec-test-0123456789"

/** Talks to a human when asked ("humano"), else answers. */
const support = {
  name: "support",
  graph: {
    nodes: [
      { id: "trigger", type: "trigger" },
      { id: "wantsHuman", type: "condition", config: { if: { in: ["humano", { var: "input.aggregatedInput" }] } } },
      { id: "escalate", type: "escalate", config: { reason: "pediu um humano: {{input.aggregatedInput}}" } },
      { id: "answer", type: "send", config: { message: "Oi! Como posso ajudar?" } }
    ],
    edges: [
      { from: "trigger", to: "wantsHuman" },
      { from: "wantsHuman", to: "escalate", when: "true" },
      { from: "wantsHuman", to: "answer", when: "false" }
    ]
  }
} as const

const say = (content: string) => ({ threadId: "5511888", input: { messages: [{ content }], sender: { phone: "5511888" } } })

/** Polls until `done` (at most ~10 s). */
const eventually = <A>(read: () => A, done: (a: A) => boolean) =>
  Effect.sync(read).pipe(Effect.filterOrFail(done, () => "not yet"), Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") }))

describe("callbacks and escalation", () => {
  it.live("escalate → callback (signed) → later triggers skipped → resume → answered again", () =>
    Effect.gen(function* () {
      // The receiver fails the first two deliveries: they are retried with the same deliveryId.
      const receiver = yield* Effect.acquireRelease(Effect.promise(() => startReceiver(secret, (n) => (n < 2 ? 500 : 200))), (r) => Effect.promise(r.close))
      yield* Effect.gen(function* () {
        const { client } = yield* newOrganization
        const wf = yield* client.workflows.create({ payload: support })
        const escalated = yield* client.runs.execute({ path: { id: wf.id }, payload: say("quero falar com um humano") })
        expect(escalated).toMatchObject({ status: "completed", output: { escalate: { escalated: true } } })
        expect((yield* client.threads.get({ path: { threadId: "5511888" } })).status).toBe("escalated")

        const skipped = yield* client.runs.execute({ path: { id: wf.id }, payload: say("oi?") })
        expect(skipped.status).toBe("skipped")
        // A trigger on the escalated thread records its message and an execution that runs no agent.
        const triggered = yield* client.runs.trigger({ path: { id: wf.id }, payload: say("alô?") })
        const afterTrigger = yield* client.executions.get({ path: { id: triggered.executionId } }).pipe(
          Effect.filterOrFail((e) => e.status !== "pending" && e.status !== "running", () => "not yet"),
          Effect.retry({ times: 100, schedule: Schedule.spaced("100 millis") })
        )
        expect(afterTrigger.status).toBe("skipped")
        expect(afterTrigger.input).toMatchObject({ input: { aggregatedInput: "alô?" } })

        yield* client.threads.resume({ path: { threadId: "5511888" } })
        const answered = yield* client.runs.execute({ path: { id: wf.id }, payload: say("oi") })
        expect(answered).toMatchObject({ status: "completed", output: { answer: { messageId: expect.any(String) } } })

        // Callbacks: the escalation and every completed execution, each delivered once, all signed.
        yield* eventually(() => receiver.accepted.length, (n) => n >= 3)
        const events = receiver.accepted.map((r) => r.event)
        // Skipped executions send none; the escalated run and the answered one each complete.
        expect([...events].sort()).toEqual(["execution.completed", "execution.completed", "thread.escalated"])
        const escalation = receiver.accepted.find((r) => r.event === "thread.escalated")!
        expect(escalation.body).toMatchObject({
          event: "thread.escalated", threadId: "5511888", workflowId: wf.id, executionId: escalated.executionId,
          reason: "pediu um humano: quero falar com um humano", deliveryId: escalation.deliveryId
        })
        expect(receiver.accepted.every((r) => r.isSigned)).toBe(true)
        expect(new Set(receiver.accepted.map((r) => r.deliveryId)).size).toBe(receiver.accepted.length)
        // The failed attempts were retried with the delivery's own id.
        const failed = receiver.attempts.filter((a) => a.status === 500).map((a) => a.deliveryId)
        expect(failed.every((id) => receiver.accepted.some((r) => r.deliveryId === id))).toBe(true)
      }).pipe(Effect.provide(testService({ serviceOptions: { callbackUrl: receiver.url, webhookSecret: Redacted.make(secret) } })))
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it("a receiver verifies a signature in a few lines (the README's example)", () => {
    const body = JSON.stringify({ event: "execution.completed", deliveryId: "d-1" })
    const header = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`
    expect(verify(secret, body, header)).toBe(true)
    expect(verify(secret, `${body} `, header)).toBe(false)
    expect(verify("other", body, header)).toBe(false)
  })
})
