import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { describeUrl } from "../describeUrl.ts"

export interface TracingOptions {
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string
  /** `OTEL_SERVICE_NAME`: the `service.name` of every span. */
  readonly serviceName: string
}

/** Where OTLP/HTTP traces go under a collector's base URL. */
export const tracesUrl = (endpoint: string) => `${endpoint.replace(/\/+$/, "")}/v1/traces`

/**
 * Every Effect span (HTTP request → execution → node → model and tool calls) exported to an OpenTelemetry
 * collector as OTLP/HTTP JSON, in batches (the `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_HEADERS` variables
 * apply). What is still batched is sent when the layer closes, within 3 s.
 */
export const TracingOtlp = (options: TracingOptions) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: options.serviceName },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(options.endpoint) })),
    shutdownTimeout: "3 seconds"
  })).pipe(
    Layer.tap(() => Effect.logInfo(`tracing: spans exported to ${describeUrl(tracesUrl(options.endpoint))} as service ${options.serviceName}`))
  )
