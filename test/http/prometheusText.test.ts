import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries } from "effect"
import { prometheusText } from "../../src/adapters/http/prometheusText.ts"
import { parsePrometheusText, valueOf } from "../support/prometheusText.ts"

describe("Effect metrics as Prometheus text", () => {
  it.effect("label values with quotes, backslashes and newlines are escaped; histograms are cumulative with +Inf; a counter that may go down is a gauge", () =>
    Effect.gen(function* () {
      const name = `test_${crypto.randomUUID().replaceAll("-", "")}`
      const tricky = "a \"quoted\" \\path\\\nnext line"
      const requests = Metric.counter(`${name}_total`, { description: "help with a \\ and a\nnewline", incremental: true })
      const level = Metric.counter(`${name}_level`)
      const latency = Metric.histogram(`${name}_seconds`, MetricBoundaries.fromIterable([0.1, 1]), "latency")
      yield* Metric.incrementBy(Metric.tagged(requests, "route", tricky), 3)
      yield* Metric.increment(Metric.tagged(requests, "route", "/plain"))
      yield* Metric.incrementBy(level, 5)
      yield* Metric.incrementBy(level, -2)
      for (const v of [0.05, 0.5, 0.7, 5]) yield* Metric.update(Metric.tagged(latency, "kind", "x"), v)

      const text = prometheusText((yield* Metric.snapshot).filter((p) => p.metricKey.name.startsWith(name)))
      const metrics = parsePrometheusText(text)
      expect(metrics.get(`${name}_total`)).toMatchObject({ type: "counter", help: "help with a \\ and a\nnewline" })
      expect(valueOf(metrics, `${name}_total`, { route: tricky })).toBe(3)
      expect(valueOf(metrics, `${name}_total`, { route: "/plain" })).toBe(1)
      expect(metrics.get(`${name}_level`)?.type).toBe("gauge")
      expect(valueOf(metrics, `${name}_level`)).toBe(3)
      expect(metrics.get(`${name}_seconds`)?.type).toBe("histogram")
      expect(["0.1", "1", "+Inf"].map((le) => valueOf(metrics, `${name}_seconds_bucket`, { kind: "x", le }))).toEqual([1, 3, 4])
      expect(valueOf(metrics, `${name}_seconds_count`, { kind: "x" })).toBe(4)
      expect(valueOf(metrics, `${name}_seconds_sum`, { kind: "x" })).toBeCloseTo(6.25)
    }))

  it("the test's reader refuses what Prometheus would refuse", () => {
    const bad = [
      "# TYPE a counter\na{x=\"1} 1\n", // unterminated label value
      "# TYPE a counter\na{x=\"\\t\"} 1\n", // unknown escape
      "# TYPE a counter\na 1\nb 1\na 2\n", // a family split, and a duplicate series
      "a 1\n# TYPE a counter\n", // TYPE after samples
      "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", // not cumulative
      "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", // no +Inf bucket
      "1a 1\n", // bad name
      "a one\n", // not a number
      "a 1" // no final newline
    ]
    for (const text of bad) expect(() => parsePrometheusText(text), text).toThrow()
  })
})
