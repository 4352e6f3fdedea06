import { Config, ConfigError, Either, Redacted } from "effect"

/**
 * Builders for environment variables whose refusal reads as one clear line (CONTRACT §1):
 * `PORT: must be a port number from 0 to 65535 (got "abc")`. A message says what the value must be and,
 * unless the variable is a secret, what it was; a secret's value is never put in a message.
 */

/**
 * A refusal of the variable being read. The builders below read an unnamed value and name it with
 * `Config.nested(name)`, so that the provider puts the name in the error's path whatever the mapping.
 */
export const refuse = <A>(problem: string): Either.Either<A, ConfigError.ConfigError> => Either.left(ConfigError.InvalidData([], problem))

/** Several refusals of one variable, each its own line. */
export const refuseAll = <A>(problems: ReadonlyArray<string>): Either.Either<A, ConfigError.ConfigError> =>
  Either.left(problems.map((p) => ConfigError.InvalidData([], p)).reduce((a, b) => ConfigError.And(a, b)))

/** A problem of one named variable found by a rule over several (e.g. `AST_ROLE=api` needs `REDIS_URL`). */
export const refuseVariable = <A>(name: string, problem: string): Either.Either<A, ConfigError.ConfigError> =>
  Either.left(ConfigError.InvalidData([name], problem))

const got = (text: string) => `(got ${JSON.stringify(text)})`

const schemeOf = (text: string) => {
  try {
    return new URL(text).protocol
  } catch {
    return undefined
  }
}

/** What a secret URL was, without its value: its scheme only. */
const gotSecretUrl = (text: string) => {
  const scheme = schemeOf(text)
  return scheme === undefined ? "(got something that is not a URL; the value is not shown)" : `(got a ${JSON.stringify(scheme)} URL; the value is not shown)`
}

/** A whole number within `min`..`max`, `fallback` when unset. */
export const wholeNumber = (name: string, options: { readonly fallback: number; readonly min: number; readonly max?: number; readonly mustBe: string }) =>
  Config.string().pipe(
    Config.mapOrFail((text) => {
      const n = Number(text.trim())
      return /^[+-]?\d+$/.test(text.trim()) && n >= options.min && n <= (options.max ?? Number.MAX_SAFE_INTEGER)
        ? Either.right(n)
        : refuse<number>(`must be ${options.mustBe} ${got(text)}`)
    }),
    Config.nested(name),
    Config.withDefault(options.fallback)
  )

/** A number (fractions allowed) of at least `min`, `fallback` when unset. */
export const decimalNumber = (name: string, options: { readonly fallback: number; readonly min: number; readonly mustBe: string }) =>
  Config.string().pipe(
    Config.mapOrFail((text) => {
      const n = Number(text.trim())
      return text.trim() !== "" && Number.isFinite(n) && n >= options.min ? Either.right(n) : refuse<number>(`must be ${options.mustBe} ${got(text)}`)
    }),
    Config.nested(name),
    Config.withDefault(options.fallback)
  )

/** One of `choices` (case and surrounding spaces ignored), `fallback` when unset. */
export const oneOf = <const C extends string>(name: string, choices: ReadonlyArray<C>, fallback: NoInfer<C>) =>
  Config.string().pipe(
    Config.mapOrFail((text) => {
      const choice = choices.find((c) => c === text.trim().toLowerCase())
      return choice === undefined ? refuse<C>(`must be one of ${choices.join(", ")} ${got(text)}`) : Either.right(choice)
    }),
    Config.nested(name),
    Config.withDefault(fallback)
  )

/** A URL with one of `schemes` (e.g. `["http:", "https:"]`); none when unset. */
export const url = (name: string, schemes: ReadonlyArray<string>) =>
  Config.option(
    Config.string().pipe(
      Config.mapOrFail((text) =>
        schemes.includes(schemeOf(text.trim()) ?? "") ? Either.right(text.trim()) : refuse<string>(`must be ${urlKinds(schemes)} ${got(text)}`)),
      Config.nested(name)
    )
  )

/** A URL that may hold a password (`DATABASE_URL`, `REDIS_URL`): kept `Redacted`, only its scheme shown when refused. */
export const secretUrl = (name: string, schemes: ReadonlyArray<string>) =>
  Config.option(
    Config.redacted().pipe(
      Config.mapOrFail((secret) => {
        const text = Redacted.value(secret).trim()
        return schemes.includes(schemeOf(text) ?? "") ? Either.right(secret) : refuse<Redacted.Redacted<string>>(`must be ${urlKinds(schemes)} ${gotSecretUrl(text)}`)
      }),
      Config.nested(name)
    )
  )

/** A secret whose form is checked by `parse` (which says why not, never quoting the value). */
export const checkedSecret = (name: string, parse: (text: string) => Either.Either<unknown, string>, mustBe: string) =>
  Config.option(
    Config.redacted().pipe(
      Config.mapOrFail((secret) =>
        Either.match(parse(Redacted.value(secret)), {
          onLeft: (why) => refuse<Redacted.Redacted<string>>(`must be ${mustBe}, but ${why} (the value is not shown)`),
          onRight: () => Either.right(secret)
        })
      ),
      Config.nested(name)
    )
  )

const urlKinds = (schemes: ReadonlyArray<string>) => `${schemes[0]?.startsWith("h") ? "an" : "a"} ${schemes.map((s) => `${s}//`).join(" or ")} URL`
