import { Inspectable, Logger } from "effect"

const isErrorLike = (part: unknown): part is { readonly name: string; readonly message: string } =>
  typeof part === "object" && part !== null && "name" in part && "message" in part && typeof part.message === "string"

/** A message part as text: strings as they are, an error by its message, anything else as JSON. */
const asText = (part: unknown): string =>
  typeof part === "string" ? part : isErrorLike(part) ? part.message : Inspectable.stringifyCircular(part)

const isEmpty = (o: object) => Object.keys(o).length === 0

/**
 * Logs as JSON lines on stdout (CONTRACT §8), one object per line:
 * `{"timestamp", "level": "debug"|"info"|"warn"|"error"|"fatal", "message", "annotations"?, "spans"?, "cause"?}`.
 * Effect's structured form, with `level` named as `LOG_LEVEL` names it, the message always one string,
 * and annotations (`executionId`, `correlationId`, ...) kept apart so they never clash with those keys.
 */
export const jsonLinesLogger = Logger.map(Logger.structuredLogger, (entry) => {
  const parts = Array.isArray(entry.message) ? entry.message : [entry.message]
  process.stdout.write(`${Inspectable.stringifyCircular({
    timestamp: entry.timestamp,
    level: entry.logLevel.toLowerCase(),
    message: parts.map(asText).join(" "),
    ...(isEmpty(entry.annotations) ? {} : { annotations: entry.annotations }),
    ...(isEmpty(entry.spans) ? {} : { spans: entry.spans }),
    ...(entry.cause === undefined ? {} : { cause: entry.cause })
  })}\n`)
})

/** The process's logger: JSON lines instead of Effect's default. */
export const JsonLines = Logger.replace(Logger.defaultLogger, jsonLinesLogger)
