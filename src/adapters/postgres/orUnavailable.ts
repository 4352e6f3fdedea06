import type { SqlError } from "@effect/sql"
import { Context, Duration, Effect } from "effect"
import { Unavailable } from "../../domain/errors.ts"

/** How long one repository call may take before it fails as `Unavailable`. */
export class QueryTimeout extends Context.Reference<QueryTimeout>()("ast/QueryTimeout", {
  defaultValue: () => Duration.seconds(5)
}) {}

/**
 * The edge of every repository method: a driver error or a call slower than `QueryTimeout` becomes
 * the port's `Unavailable` (503 at the API), so no SqlError leaks and no caller hangs. Traced as `name`.
 */
export const orUnavailable = (name: string) => <A, R>(self: Effect.Effect<A, SqlError.SqlError, R>): Effect.Effect<A, Unavailable, R> =>
  Effect.flatMap(QueryTimeout, (timeout) =>
    self.pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new Unavailable({ dependency: "database", message: `the database did not answer within ${Duration.format(timeout)}` })
      }),
      Effect.catchTag("SqlError", (e) =>
        Effect.fail(new Unavailable({ dependency: "database", message: `the database failed: ${e.cause instanceof Error && e.cause.message !== "" ? e.cause.message : e.message}` }))
      )
    )
  ).pipe(Effect.withSpan(name))

/** ISO-8601 of a timestamp column (`null` stays `null`). */
export const iso = (value: Date | string | null): string | null =>
  value === null ? null : value instanceof Date ? value.toISOString() : new Date(value).toISOString()

/**
 * A value as JSON text for a `jsonb` parameter (`${asJson(v)}::jsonb`). The driver would send a bare
 * string as-is, which is not JSON; `undefined` is stored as JSON null.
 */
export const asJson = (value: unknown): string => JSON.stringify(value ?? null)
