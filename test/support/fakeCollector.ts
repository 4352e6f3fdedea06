import { createServer, type Server } from "node:http"

/** One span as the collector received it (OTLP/HTTP JSON: ids in hex). */
export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  /** Absent (or empty) for a root span. */
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly kind: number
  readonly attributes: Record<string, unknown>
  readonly serviceName: string | undefined
}

interface KeyValue {
  readonly key: string
  readonly value: Record<string, unknown>
}

const valueOf = (value: Record<string, unknown>): unknown => {
  if ("stringValue" in value) return value.stringValue
  if ("intValue" in value) return Number(value.intValue)
  if ("doubleValue" in value) return value.doubleValue
  if ("boolValue" in value) return value.boolValue
  return value
}

const attributesOf = (list: ReadonlyArray<KeyValue> | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]))

/**
 * An OpenTelemetry collector on loopback that accepts OTLP/HTTP JSON at `POST /v1/traces` and keeps the
 * spans; anything else is refused, so a wrong path or encoding fails the test that expects spans.
 */
export const startFakeCollector = async () => {
  const spans: Array<ReceivedSpan> = []
  const refused: Array<string> = []
  const server: Server = createServer((request, response) => {
    let raw = ""
    request.on("data", (c) => (raw += c))
    request.on("end", () => {
      if (request.method !== "POST" || request.url !== "/v1/traces" || !String(request.headers["content-type"]).startsWith("application/json")) {
        refused.push(`${request.method} ${request.url} ${request.headers["content-type"]}`)
        return response.writeHead(404).end()
      }
      const body = JSON.parse(raw) as {
        resourceSpans: ReadonlyArray<{
          resource?: { attributes?: ReadonlyArray<KeyValue> }
          scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: ReadonlyArray<KeyValue> }> }>
        }>
      }
      for (const resource of body.resourceSpans) {
        const serviceName = attributesOf(resource.resource?.attributes)["service.name"] as string | undefined
        for (const scope of resource.scopeSpans) {
          for (const span of scope.spans) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId === "" ? undefined : span.parentSpanId,
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              serviceName
            })
          }
        }
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}")
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no port")
  return {
    /** The base URL to give as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
    url: `http://127.0.0.1:${address.port}`,
    spans,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
