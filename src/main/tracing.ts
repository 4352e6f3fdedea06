import { Config, Effect, Either, Layer, Option } from "effect"
import { TracePureNodes } from "../interpreter/nodeTelemetry.ts"
import { refuse } from "./settingRules.ts"

const isHttpUrl = (text: string) => {
  try {
    return ["http:", "https:"].includes(new URL(text).protocol)
  } catch {
    return false
  }
}

/**
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (CONTRACT §1): the collector's OTLP/HTTP base URL, as OpenTelemetry's own
 * variable means it (spans go to `<endpoint>/v1/traces`); unset or empty, no tracing.
 * `OTEL_SERVICE_NAME` names the service in the traces (default `ast`).
 */
export const TracingSettings = Config.all({
  endpoint: Config.option(
    Config.string().pipe(
      Config.mapOrFail((text) =>
        text.trim() === ""
          ? Either.right(Option.none<string>())
          : isHttpUrl(text.trim())
          ? Either.right(Option.some(text.trim()))
          : refuse<Option.Option<string>>(`must be an http:// or https:// URL, the collector's OTLP/HTTP base such as http://localhost:4318 (got ${JSON.stringify(text)})`)),
      Config.nested("OTEL_EXPORTER_OTLP_ENDPOINT")
    )
  ).pipe(Config.map(Option.flatten)),
  serviceName: Config.string("OTEL_SERVICE_NAME").pipe(Config.map((name) => name.trim()), Config.withDefault("ast"), Config.map((name) => name === "" ? "ast" : name))
})

/**
 * Tracing as configured: with an endpoint, the OpenTelemetry SDK (loaded only then) exports every span;
 * without, nothing is loaded and spans are not even made (Effect's tracer is switched off: a span
 * nobody reads costs CPU on every request, query and node).
 */
export const TracingFromSettings = Layer.unwrapEffect(
  Effect.flatMap(TracingSettings, ({ endpoint, serviceName }) =>
    Option.match(endpoint, {
      onNone: () => Effect.succeed(Layer.setTracerEnabled(false)),
      onSome: (url) => Effect.promise(() => import("../adapters/opentelemetry/Tracing.ts")).pipe(
        // Exported traces show every node, the pure ones too.
        Effect.map(({ TracingOtlp }) => Layer.merge(TracingOtlp({ endpoint: url, serviceName }), Layer.succeed(TracePureNodes, true)))
      )
    }))
)
