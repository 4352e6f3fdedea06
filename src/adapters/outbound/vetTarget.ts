import { Effect } from "effect"
import type { LookupAddress } from "node:dns"
import { isIP, type LookupFunction } from "node:net"
import { HttpFailed } from "../../domain/errors.ts"
import { addressRefusal, type AllowList, normalizeHost } from "./addressPolicy.ts"

/** All the addresses of a host name (DNS in production). */
export type Resolve = (host: string) => Promise<ReadonlyArray<LookupAddress>>

const allowHint = "(set AST_HTTP_ALLOW to allow it)"
const fail = (message: string) => Effect.fail(new HttpFailed({ message }))

/**
 * The addresses `url` may be reached at, or why not; decided before any socket is opened. Every address of a name
 * must be public or allowed, unless the name itself is listed (then it is trusted whatever it resolves to).
 */
export const vetTarget = (url: URL, allow: AllowList, resolve: Resolve) =>
  Effect.gen(function* () {
    if (url.protocol !== "http:" && url.protocol !== "https:") return yield* fail(`refused: ${url.protocol} URLs are not allowed, only http and https`)
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1")
    if (isIP(host) !== 0) {
      const why = addressRefusal(host, allow)
      return why === undefined ? [{ address: host, family: isIP(host) }] : yield* fail(`refused: ${host} is ${why} ${allowHint}`)
    }
    const addresses = yield* Effect.tryPromise({
      try: () => resolve(host),
      catch: (e) => new HttpFailed({ message: `cannot resolve ${host}: ${e instanceof Error ? e.message : String(e)}` })
    })
    if (addresses.length === 0) return yield* fail(`cannot resolve ${host}: it has no address`)
    if (allow.hosts.has(normalizeHost(host))) return addresses
    for (const { address } of addresses) {
      const why = addressRefusal(address, allow)
      if (why !== undefined) return yield* fail(`refused: ${host} resolves to ${address}, ${why} ${allowHint}`)
    }
    return addresses
  })

/** Answers the socket's lookup with the vetted addresses only, so DNS cannot change between check and connect. */
export const pinnedLookup = (addresses: ReadonlyArray<LookupAddress>): LookupFunction => (_host, options, callback) => {
  const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : options.family
  const usable = addresses.filter((a) => !family || a.family === family)
  const [first] = usable
  if (first === undefined) callback(Object.assign(new Error(`no checked IPv${family} address`), { code: "ENOTFOUND" }), "")
  else if (options.all === true) callback(null, usable)
  else callback(null, first.address, first.family)
}
