import { Context, Duration, Effect, Layer } from "effect"

/** One dependency `/ready` checks: answers when it is reachable, fails (or times out) when not. */
export type ReadinessCheck = Effect.Effect<void, unknown>

/** The dependencies this instance needs (database, Redis when configured), checked with a short timeout. */
export class Readiness extends Context.Tag("ast/Readiness")<Readiness, {
  readonly check: Effect.Effect<{ readonly isReady: boolean; readonly checks: Record<string, string> }>
}>() {}

export const makeReadiness = (checks: Record<string, ReadinessCheck>, timeout: Duration.DurationInput = "2 seconds") =>
  Layer.succeed(Readiness, {
    check: Effect.forEach(Object.entries(checks), ([name, check]) =>
      check.pipe(
        Effect.timeoutFail({ duration: timeout, onTimeout: () => "timed out" }),
        Effect.as("ok"),
        Effect.catchAll(() => Effect.succeed("unreachable")),
        Effect.map((state) => [name, state] as const)
      ), { concurrency: "unbounded" }).pipe(
      Effect.map((results) => ({ isReady: results.every(([, state]) => state === "ok"), checks: Object.fromEntries(results) }))
    )
  })
