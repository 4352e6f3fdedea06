import { Context, type Effect } from "effect"
import type { SecretUnreadable } from "../domain/errors.ts"

/** Seals secrets the service must keep for a while (a pending execution's `livchatApiKey`). */
export class SecretBox extends Context.Tag("ast/SecretBox")<SecretBox, {
  /** Encrypts and authenticates a secret. */
  readonly seal: (plaintext: string) => Effect.Effect<string>
  /** Opens a sealed secret; fails when it was tampered with or sealed under another key. */
  readonly open: (sealed: string) => Effect.Effect<string, SecretUnreadable>
}>() {}
