import { Effect, Either, Redacted, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises"
import { join } from "node:path"

/** `AST_ENCRYPTION_KEY` is malformed, missing where it is required, or the embedded key file is unusable. */
export class EncryptionKeyInvalid extends Schema.TaggedError<EncryptionKeyInvalid>()("EncryptionKeyInvalid", {
  message: Schema.String
}) {}

const keyBytes = 32
const howToMakeOne = "make one with `openssl rand -base64 32` or " +
  "`node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`"
const acceptedForms = `${keyBytes} bytes written as 64 hex characters or as base64/base64url`

/** 64 hex characters, or base64/base64url (padded or not) of exactly 32 bytes; else why not (never the key). */
export const parseEncryptionKey = (text: string): Either.Either<Buffer, string> => {
  const trimmed = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Either.right(Buffer.from(trimmed, "hex"))
  const unpadded = trimmed.replace(/={1,2}$/, "")
  if (!/^[A-Za-z0-9+/_-]+$/.test(unpadded)) return Either.left("it is neither hex nor base64")
  const bytes = Buffer.from(unpadded, "base64")
  // Node's decoder is lenient; a key is accepted only when it is the canonical spelling of its bytes
  if (bytes.toString("base64url") !== unpadded.replaceAll("+", "-").replaceAll("/", "_")) return Either.left("it is not well-formed base64")
  return bytes.length === keyBytes ? Either.right(bytes) : Either.left(`it decodes to ${bytes.length} bytes, not ${keyBytes}`)
}

const fileError = (path: string, doing: string) => (e: unknown) =>
  new EncryptionKeyInvalid({
    message: `cannot ${doing} the encryption key file ${path}: ${e instanceof Error ? e.message : String(e)}`
  })

const errorCode = (e: unknown) => (e as { readonly code?: unknown } | undefined)?.code

/** The key in `path`, or `undefined` when there is no such file. */
const readKeyFile = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8").catch((e) => errorCode(e) === "ENOENT" ? undefined : Promise.reject(e)),
    catch: fileError(path, "read")
  }).pipe(
    Effect.flatMap((text) => {
      if (text === undefined) return Effect.succeed(undefined)
      return Either.match(parseEncryptionKey(text), {
        onRight: Effect.succeed,
        onLeft: (why) => Effect.fail(new EncryptionKeyInvalid({
          message: `the encryption key file ${path} does not hold a key (${why}); restore it from a backup: ` +
            "secrets sealed under the lost key cannot be opened, and deleting the file makes a new key"
        }))
      })
    })
  )

const warnIfReadableByOthers = (path: string) =>
  Effect.promise(() => stat(path).then((s) => s.mode & 0o077, () => 0)).pipe(
    Effect.flatMap((loose) => loose === 0 || process.platform === "win32" ? Effect.void :
      Effect.logWarning(`encryption: ${path} is readable by other users; run chmod 600 on it`))
  )

/**
 * Writes a fresh key to a private temporary file and links it into place: `link` never replaces an
 * existing file, so when processes race every one of them ends up with the first key written.
 */
const createKeyFile = (dataDir: string, path: string) =>
  Effect.gen(function* () {
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`
    const created = yield* Effect.tryPromise({
      try: async () => {
        await mkdir(dataDir, { recursive: true })
        const file = await open(temporary, "wx", 0o600)
        try {
          await file.chmod(0o600)
          await file.writeFile(`${randomBytes(keyBytes).toString("base64")}\n`)
          await file.sync()
        } finally {
          await file.close()
        }
        return link(temporary, path).then(() => true, (e) => errorCode(e) === "EEXIST" ? false : Promise.reject(e))
      },
      catch: fileError(path, "create")
    }).pipe(Effect.ensuring(Effect.promise(() => unlink(temporary).catch(() => undefined))))
    if (created) {
      yield* Effect.logInfo(`encryption: generated a key in ${path}; back it up, secrets sealed under it cannot be opened without it`)
    }
    const key = yield* readKeyFile(path)
    return key ?? (yield* Effect.fail(new EncryptionKeyInvalid({ message: `the encryption key file ${path} vanished while it was being created` })))
  })

/**
 * The 32-byte key for secrets kept at rest (CONTRACT §1, `AST_ENCRYPTION_KEY`): the configured key; else,
 * in embedded mode, `<dataDir>/encryption.key`, generated on first use; else (with `DATABASE_URL`) a
 * failure, since every instance must share the key. The key never appears in a log or an error.
 */
export const loadEncryptionKey = Effect.fn("loadEncryptionKey")(function* (options: {
  readonly configured: Redacted.Redacted<string> | undefined
  readonly dataDir: string
  readonly isEmbedded: boolean
}) {
  if (options.configured !== undefined) {
    const key = parseEncryptionKey(Redacted.value(options.configured))
    if (Either.isRight(key)) return key.right
    return yield* Effect.fail(new EncryptionKeyInvalid({
      message: `AST_ENCRYPTION_KEY must be ${acceptedForms}, but ${key.left}; ${howToMakeOne}`
    }))
  }
  if (!options.isEmbedded) {
    return yield* Effect.fail(new EncryptionKeyInvalid({
      message: "AST_ENCRYPTION_KEY is not set; it is required when DATABASE_URL is set, since every instance must " +
        `share the key that sealed the secrets in the database. Set it to ${acceptedForms}; ${howToMakeOne}`
    }))
  }
  const path = join(options.dataDir, "encryption.key")
  const existing = yield* readKeyFile(path)
  if (existing === undefined) return yield* createKeyFile(options.dataDir, path)
  yield* warnIfReadableByOthers(path)
  return existing
})
