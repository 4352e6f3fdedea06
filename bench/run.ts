/**
 * `npm run bench`: runs every benchmark in bench/ (each file exporting `benchmark`), prints and rewrites
 * bench/RESULTS.md (notes under the marker are kept), and exits non-zero if a benchmark throws.
 * `node bench/run.ts interpreter accumulator` runs only those files and replaces only their sections.
 */
import { readdir, readFile, writeFile } from "node:fs/promises"
import os from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { type Benchmark, type Measurement, perSecond, ratioOf, type Secondary, secondaryRatioOf } from "./Benchmark.ts"

const resultsPath = path.join(import.meta.dirname, "RESULTS.md")
const notesMarker = "<!-- Notes below this line are kept when bench/run.ts rewrites this file. -->"

type Outcome =
  | { readonly benchmark: Benchmark; readonly measurements: ReadonlyArray<Measurement> }
  | { readonly benchmark: Benchmark; readonly failure: string }

const isBenchmark = (value: unknown): value is Benchmark =>
  value !== null && typeof value === "object" && typeof (value as Benchmark).run === "function"

/** Benchmark files named on the command line (without `.ts`); none means every one. */
const only = process.argv.slice(2)

const discover = async (): Promise<ReadonlyArray<Benchmark>> => {
  const files = (await readdir(import.meta.dirname))
    .filter((f) => f.endsWith(".ts") && f !== "run.ts" && (only.length === 0 || only.includes(f.slice(0, -3))))
    .sort()
  const found: Array<Benchmark> = []
  for (const file of files) {
    const module: { benchmark?: unknown } = await import(pathToFileURL(path.join(import.meta.dirname, file)).href)
    if (isBenchmark(module.benchmark)) found.push(module.benchmark)
  }
  return found
}

const grouped = (n: number) => Math.round(n).toLocaleString("en-US")

/** A target as a short number: 5 stays "5", 1/0.6 becomes "1.67". */
const targetText = (target: number) => String(Number(target.toFixed(2)))

const met = (ratio: number, target: number) =>
  Number.isFinite(target) ? `≤ ${targetText(target)}× | ${ratio <= target ? "yes" : "**no**"} |` : "informational | — |"

/** The label of the benchmark's secondary metric, if any measurement has one (extra columns then). */
const secondaryLabel = (measurements: ReadonlyArray<Measurement>) => measurements.find((m) => m.secondary !== undefined)?.secondary?.label

const secondaryCells = (s: Secondary | undefined) =>
  s === undefined
    ? " — | — | — | — | — |"
    : ` ${s.subject.toFixed(1)} | ${s.baseline.toFixed(1)} | ${secondaryRatioOf(s).toFixed(1)}× | ${met(secondaryRatioOf(s), s.targetRatio)}`

const table = (b: Benchmark, measurements: ReadonlyArray<Measurement>) => {
  const label = secondaryLabel(measurements)
  return [
    `| benchmark | ${b.subject} ${b.unit}/s | ${b.baseline} ${b.unit}/s | ${b.subject} ms | ${b.baseline} ms | ratio | target | met |` +
      (label === undefined ? "" : ` ${b.subject} ${label} | ${b.baseline} ${label} | ${label} ratio | ${label} target | met |`),
    "|---|--:|--:|--:|--:|--:|--:|:-:|" + (label === undefined ? "" : "--:|--:|--:|--:|:-:|"),
    ...measurements.map((m) => {
      const ratio = ratioOf(m)
      return `| ${m.name} | ${grouped(perSecond(m.units, m.subjectMs))} | ${grouped(perSecond(m.units, m.baselineMs))} | ` +
        `${m.subjectMs.toFixed(1)} | ${m.baselineMs.toFixed(2)} | ${ratio.toFixed(1)}× | ` + met(ratio, m.targetRatio) +
        (label === undefined ? "" : secondaryCells(m.secondary))
    })
  ]
}

const verdict = (b: Benchmark, measurements: ReadonlyArray<Measurement>) => {
  const secondaries = measurements.flatMap((m) => (m.secondary === undefined ? [] : [{ name: m.name, s: m.secondary }]))
  if (measurements.every((m) => !Number.isFinite(m.targetRatio)) && secondaries.every(({ s }) => !Number.isFinite(s.targetRatio))) {
    return "No target: the ratio is informational."
  }
  const missed = [
    ...measurements.filter((m) => ratioOf(m) > m.targetRatio)
      .map((m) => `${m.name} is ${ratioOf(m).toFixed(1)}× the ${b.baseline} (target ≤ ${targetText(m.targetRatio)}×)`),
    ...secondaries.filter(({ s }) => secondaryRatioOf(s) > s.targetRatio)
      .map(({ name, s }) => `${name}: ${s.label} is ${secondaryRatioOf(s).toFixed(1)}× the ${b.baseline}'s (target ≤ ${targetText(s.targetRatio)}×)`)
  ]
  if (missed.length === 0) return `Target met: the ${b.subject} is within its target of the ${b.baseline} in every case.`
  return `**Target missed**: ${missed.join("; ")}.`
}

const section = (outcome: Outcome) => [
  `## ${outcome.benchmark.title}`,
  "",
  outcome.benchmark.description,
  "",
  ...("failure" in outcome
    ? [`**FAILED**: the benchmark threw — ${outcome.failure}`]
    : [...table(outcome.benchmark, outcome.measurements), "", verdict(outcome.benchmark, outcome.measurements)]),
  ""
]

const machine = () => {
  const cpus = os.cpus()
  return `${os.type()} ${os.release()} (${os.arch()}); ${cpus[0]?.model.trim() ?? "unknown CPU"}; ` +
    `${os.availableParallelism()} cores; Node ${process.version}`
}

const keptNotes = async () => {
  const previous = await readFile(resultsPath, "utf8").catch(() => "")
  const at = previous.indexOf(notesMarker)
  return at === -1 ? "" : previous.slice(at + notesMarker.length).trim()
}

/** `previous` with the section titled `title` replaced by `text` (or `text` added before the notes). */
const replaceSection = (previous: string, title: string, text: string) => {
  const heading = `## ${title}\n`
  const at = previous.indexOf(heading)
  const marker = previous.indexOf(notesMarker)
  if (at !== -1 && (marker === -1 || at < marker)) {
    const nextHeading = previous.indexOf("\n## ", at + heading.length)
    const end = Math.min(nextHeading === -1 ? previous.length : nextHeading + 1, marker === -1 ? previous.length : marker)
    return previous.slice(0, at) + text + previous.slice(end)
  }
  return marker !== -1 ? previous.slice(0, marker) + text + previous.slice(marker) : `${previous.trimEnd()}\n\n${text}`
}

/** Only some benchmarks ran: their sections replace their previous ones, the rest of RESULTS.md is kept. */
const writeSome = async (outcomes: ReadonlyArray<Outcome>) => {
  let text = await readFile(resultsPath, "utf8").catch(() => `# Benchmark results\n\n${notesMarker}\n`)
  for (const outcome of outcomes) text = replaceSection(text, outcome.benchmark.title, section(outcome).join("\n"))
  const rerun = `- Re-run alone on ${new Date().toISOString()} (${machine()}): ${outcomes.map((o) => o.benchmark.title).join("; ")}`
  text = text.replace(/(- Date: .*\n)((?:- Re-run alone .*\n)*)/, (_, date: string, reruns: string) => `${date}${reruns}${rerun}\n`)
  await writeFile(resultsPath, text)
  console.log(`\n${outcomes.map((o) => section(o).join("\n")).join("\n")}\nwrote ${outcomes.length} section(s) of ${path.relative(process.cwd(), resultsPath)}`)
}

const main = async () => {
  const outcomes: Array<Outcome> = []
  for (const benchmark of await discover()) {
    console.log(`${benchmark.title}…`)
    try {
      outcomes.push({ benchmark, measurements: await benchmark.run() })
    } catch (e) {
      console.error(e)
      outcomes.push({ benchmark, failure: e instanceof Error ? e.message.split("\n")[0]! : String(e) })
    }
  }
  if (only.length > 0) {
    await writeSome(outcomes)
    if (outcomes.some((o) => "failure" in o)) process.exitCode = 1
    return
  }
  const notes = await keptNotes()
  const text = [
    "# Benchmark results",
    "",
    "Written by `npm run bench` (bench/run.ts); each ratio is measured within one run on one machine.",
    "",
    `- Machine: ${machine()}`,
    `- Date: ${new Date().toISOString()}`,
    "",
    ...outcomes.flatMap(section),
    notesMarker,
    "",
    ...(notes === "" ? [] : [notes, ""])
  ].join("\n")
  await writeFile(resultsPath, text)
  console.log(`\n${text.slice(0, text.indexOf(notesMarker)).trim()}\n\nwrote ${path.relative(process.cwd(), resultsPath)}`)
  if (outcomes.some((o) => "failure" in o)) process.exitCode = 1
}

await main()
