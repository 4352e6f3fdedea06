/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: it throws on anything a
 * Prometheus server would refuse or misread — a malformed line, a bad name, an unescaped label value, a
 * TYPE after its samples, a family split in two, a duplicate series, a histogram whose buckets are not
 * cumulative or whose `+Inf` bucket is not its `_count`.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

export interface Family {
  readonly name: string
  readonly type: string
  readonly help: string | undefined
  readonly samples: ReadonlyArray<Sample>
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const types = ["counter", "gauge", "histogram", "summary", "untyped"]

const parseValue = (text: string, line: string) => {
  if (text === "+Inf") return Infinity
  if (text === "-Inf") return -Infinity
  if (text === "NaN") return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`not a number '${text}': ${line}`)
  return Number(text)
}

/** Reads `{a="x",b="y"}` starting at `text[0] === "{"`; returns the labels and what follows. */
const parseLabels = (text: string, line: string): [Record<string, string>, string] => {
  const labels: Record<string, string> = {}
  let i = 1
  for (;;) {
    if (text[i] === "}") return [labels, text.slice(i + 1)]
    const eq = text.indexOf("=", i)
    const name = text.slice(i, eq)
    if (eq < 0 || !labelName.test(name)) throw new Error(`bad label name '${name}': ${line}`)
    if (name in labels) throw new Error(`label '${name}' twice: ${line}`)
    if (text[eq + 1] !== "\"") throw new Error(`label value not quoted: ${line}`)
    let value = ""
    let j = eq + 2
    for (; j < text.length && text[j] !== "\""; j++) {
      if (text[j] === "\n") throw new Error(`raw newline in a label value: ${line}`)
      if (text[j] === "\\") {
        const next = text[++j]
        if (next === "\\") value += "\\"
        else if (next === "\"") value += "\""
        else if (next === "n") value += "\n"
        else throw new Error(`bad escape '\\${next}': ${line}`)
      } else value += text[j]
    }
    if (j >= text.length) throw new Error(`unterminated label value: ${line}`)
    labels[name] = value
    i = j + 1
    if (text[i] === ",") i++
    else if (text[i] !== "}") throw new Error(`expected , or } after a label: ${line}`)
  }
}

const familyOf = (sample: string, declared: ReadonlyMap<string, string>) => {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = sample.slice(0, -suffix.length)
    if (sample.endsWith(suffix) && ["histogram", "summary"].includes(declared.get(base) ?? "")) return base
  }
  return sample
}

export const parsePrometheusText = (text: string): ReadonlyMap<string, Family> => {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the text does not end with a newline")
  const declared = new Map<string, string>()
  const helps = new Map<string, string>()
  const samples = new Map<string, Array<Sample>>()
  const seriesSeen = new Set<string>()
  let current: string | undefined
  for (const line of text.split("\n").slice(0, -1)) {
    if (line.trim() === "") continue
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line)
      if (match === null) continue // a plain comment
      const [, kind, name, rest] = match as unknown as [string, string, string, string]
      if (!metricName.test(name)) throw new Error(`bad metric name in ${kind}: ${line}`)
      if (kind === "TYPE") {
        if (!types.includes(rest)) throw new Error(`unknown type '${rest}': ${line}`)
        if (declared.has(name)) throw new Error(`TYPE twice for ${name}`)
        if (samples.has(name)) throw new Error(`TYPE after the samples of ${name}`)
        declared.set(name, rest)
      } else {
        if (helps.has(name)) throw new Error(`HELP twice for ${name}`)
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ""))) throw new Error(`bad escape in HELP: ${line}`)
        helps.set(name, rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\"))
      }
      continue
    }
    const name = /^[^{\s]+/.exec(line)?.[0] ?? ""
    if (!metricName.test(name)) throw new Error(`bad metric name '${name}': ${line}`)
    let rest = line.slice(name.length)
    let labels: Record<string, string> = {}
    if (rest.startsWith("{")) [labels, rest] = parseLabels(rest, line)
    const parts = rest.trim().split(/\s+/)
    if (!rest.startsWith(" ") || parts.length < 1 || parts.length > 2) throw new Error(`expected ' value [timestamp]': ${line}`)
    const value = parseValue(parts[0]!, line)
    if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`bad timestamp: ${line}`)
    const family = familyOf(name, declared)
    if (family !== current && samples.has(family)) throw new Error(`the samples of ${family} are not together`)
    current = family
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (seriesSeen.has(series)) throw new Error(`duplicate series: ${line}`)
    seriesSeen.add(series)
    samples.set(family, [...(samples.get(family) ?? []), { name, labels, value }])
  }
  const families = new Map<string, Family>()
  for (const [name, list] of samples) {
    const type = declared.get(name) ?? "untyped"
    if (type === "histogram") checkHistogram(name, list)
    families.set(name, { name, type, help: helps.get(name), samples: list })
  }
  return families
}

const withoutLe = (labels: Readonly<Record<string, string>>) =>
  JSON.stringify(Object.entries(labels).filter(([k]) => k !== "le").sort())

const checkHistogram = (name: string, list: ReadonlyArray<Sample>) => {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>()
  for (const s of list) {
    const key = withoutLe(s.labels)
    const entry = series.get(key) ?? { buckets: [] }
    series.set(key, entry)
    if (s.name === `${name}_bucket`) {
      if (s.labels.le === undefined) throw new Error(`${name}_bucket without le`)
      entry.buckets.push([parseValue(s.labels.le, s.name), s.value])
    } else if (s.name === `${name}_count`) entry.count = s.value
    else if (s.name === `${name}_sum`) entry.sum = s.value
    else throw new Error(`${s.name} in histogram ${name}`)
  }
  for (const [key, { buckets, count, sum }] of series) {
    if (count === undefined || sum === undefined) throw new Error(`${name}${key}: _count or _sum missing`)
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0]) || buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${name}${key}: buckets not in order or not cumulative`)
    }
    if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) throw new Error(`${name}${key}: the +Inf bucket is not the _count`)
  }
}

/** The value of the one sample of `family` whose labels include `labels` (undefined if none; throws if several). */
export const valueOf = (families: ReadonlyMap<string, Family>, sample: string, labels: Readonly<Record<string, string>> = {}) => {
  const family = families.get(sample.replace(/_(bucket|sum|count)$/, "")) ?? families.get(sample)
  const matching = (family?.samples ?? []).filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${sample} match ${JSON.stringify(labels)}`)
  return matching[0]?.value
}
