import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Readiness } from "../Readiness.ts"
import { AstApi } from "../Api.ts"
import { unavailable } from "../problems.ts"
import { scrapeMetrics } from "../scrapeMetrics.ts"

export const SystemHandlers = HttpApiBuilder.group(AstApi, "system", (handlers) =>
  handlers
    .handle("health", () => Effect.succeed({ status: "ok" as const }))
    .handle("ready", () =>
      Effect.flatMap(Readiness, (readiness) => readiness.check).pipe(
        Effect.flatMap(({ isReady, checks }) =>
          isReady
            ? Effect.succeed({ status: "ready" as const, checks })
            : Effect.fail(unavailable(`not ready: ${Object.entries(checks).filter(([, v]) => v !== "ok").map(([k, v]) => `${k} ${v}`).join(", ")}`))
        )
      ))
    .handle("metrics", () => scrapeMetrics)
)
