/** What `bench/run.ts` finds in a benchmark file: a subject timed against a baseline in the same run. */
export interface Benchmark {
  readonly title: string
  /** One paragraph for RESULTS.md: what runs and what it is compared with. */
  readonly description: string
  readonly subject: string
  readonly baseline: string
  /** What one unit of work is, e.g. "nodes". */
  readonly unit: string
  readonly run: () => Promise<ReadonlyArray<Measurement>>
}

/** One case of a benchmark: medians of several timed repetitions of the subject and its baseline. */
export interface Measurement {
  readonly name: string
  /** Units of work one repetition does (the same for subject and baseline). */
  readonly units: number
  readonly repetitions: number
  readonly subjectMs: number
  readonly baselineMs: number
  /** The subject's time over the baseline's: at most this many times slower meets the target. */
  readonly targetRatio: number
  /** A second comparison of the same runs with a target of its own, e.g. p99 latency (extra table columns). */
  readonly secondary?: Secondary
}

/** Subject and baseline values of a second metric where lower is better; its ratio is subject / baseline. */
export interface Secondary {
  /** The column label, e.g. "p99 ms". */
  readonly label: string
  readonly subject: number
  readonly baseline: number
  readonly targetRatio: number
}

/**
 * `targetRatio` of a comparison that has no target (informational): never missed, so the table shows
 * "≤ Infinity×" and "yes". A benchmark using it says so in its description.
 */
export const noTarget: number = Number.POSITIVE_INFINITY

export const ratioOf = (m: Measurement): number => m.subjectMs / m.baselineMs

export const secondaryRatioOf = (s: Secondary): number => s.subject / s.baseline

export const perSecond = (units: number, ms: number): number => (units * 1000) / ms

export const median = (samples: ReadonlyArray<number>): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}
