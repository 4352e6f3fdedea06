import { type MetricPair, MetricState, Option } from "effect"

/**
 * Effect's metric registry in the Prometheus text exposition format (0.0.4): one `# HELP` and `# TYPE`
 * per metric name, then a sample per tag set; histograms as cumulative `_bucket{le=...}`, `_sum` and
 * `_count`. Written here rather than through a client library: the format is a few lines of text, and
 * a library would keep a second registry beside Effect's.
 */
export const prometheusText = (snapshot: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, { readonly type: string; readonly help: string; readonly samples: Array<string> }>()
  const samplesOf = (name: string, type: string, help: string) => {
    const known = families.get(name)
    if (known !== undefined) return known.type === type ? known.samples : undefined
    const samples: Array<string> = []
    families.set(name, { type, help, samples })
    return samples
  }
  for (const { metricKey, metricState: state } of snapshot) {
    const name = metricName(metricKey.name)
    const help = Option.getOrElse(metricKey.description, () => name)
    const tags = metricKey.tags.map((t) => [t.key, t.value] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (MetricState.isCounterState(state)) {
      // Only a counter that cannot go down is a Prometheus counter.
      const isMonotonic = (metricKey.keyType as { readonly incremental?: boolean }).incremental === true
      samplesOf(name, isMonotonic ? "counter" : "gauge", help)?.push(`${name}${labels(tags)} ${number(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      samplesOf(name, "gauge", help)?.push(`${name}${labels(tags)} ${number(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const samples = samplesOf(name, "histogram", help)
      if (samples === undefined) continue
      for (const [le, count] of state.buckets) samples.push(`${name}_bucket${labels([...tags, ["le", number(le)]])} ${count}`)
      if (state.buckets.at(-1)?.[0] !== Infinity) samples.push(`${name}_bucket${labels([...tags, ["le", "+Inf"]])} ${state.count}`)
      samples.push(`${name}_sum${labels(tags)} ${number(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
    } else if (MetricState.isSummaryState(state)) {
      const samples = samplesOf(name, "summary", help)
      if (samples === undefined) continue
      for (const [q, value] of state.quantiles) samples.push(`${name}${labels([...tags, ["quantile", number(q)]])} ${number(Option.getOrElse(value, () => NaN))}`)
      samples.push(`${name}_sum${labels(tags)} ${number(state.sum)}`, `${name}_count${labels(tags)} ${state.count}`)
    } else if (MetricState.isFrequencyState(state)) {
      const samples = samplesOf(name, "counter", help)
      for (const [word, count] of state.occurrences) samples?.push(`${name}${labels([...tags, ["key", word]])} ${count}`)
    }
  }
  return [...families.entries()]
    .filter(([, f]) => f.samples.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, f]) => `# HELP ${name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}\n# TYPE ${name} ${f.type}\n${f.samples.join("\n")}\n`)
    .join("")
}

/** The media type of the text format, as Prometheus asks for it. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

const metricName = (name: string) => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^(?=[0-9])/, "_")
const labelName = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^(?=[0-9])/, "_")

const labels = (pairs: ReadonlyArray<readonly [string, string]>) =>
  pairs.length === 0
    ? ""
    : `{${pairs.map(([k, v]) => `${labelName(k)}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")}"`).join(",")}}`

const number = (n: number | bigint) =>
  typeof n === "bigint" ? n.toString() : Number.isNaN(n) ? "NaN" : n === Infinity ? "+Inf" : n === -Infinity ? "-Inf" : String(n)
