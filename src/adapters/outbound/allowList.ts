import { Either } from "effect"
import { BlockList, isIP } from "node:net"

/** What `AST_HTTP_ALLOW` lets through although private: exact host names, and addresses inside listed CIDRs. */
export interface AllowList {
  readonly hosts: ReadonlySet<string>
  readonly addresses: BlockList
}

type Entry =
  | { readonly kind: "host"; readonly host: string }
  | { readonly kind: "subnet"; readonly address: string; readonly prefix: number; readonly family: "ipv4" | "ipv6" }

const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/
// The URL parser reads a name whose last label is numeric (or 0x…) as an IPv4 address: `10.0.0` is 10.0.0.0
const numericLastLabel = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/

/** A host name without its trailing dot, lower-cased, as the URL parser gives it. */
export const normalizeHost = (host: string) => host.toLowerCase().replace(/\.$/, "")

const parseEntry = (text: string): Either.Either<Entry, string> => {
  if (text.includes("://")) return Either.left("write the host alone, without a scheme or path")
  const slash = text.indexOf("/")
  const ip = (slash === -1 ? text : text.slice(0, slash)).replace(/^\[(.*)\]$/, "$1")
  const version = isIP(ip)
  if (version !== 0) {
    const max = version === 4 ? 32 : 128
    const prefixText = slash === -1 ? String(max) : text.slice(slash + 1)
    const prefix = Number(prefixText)
    return /^\d{1,3}$/.test(prefixText) && prefix <= max
      ? Either.right({ kind: "subnet", address: ip, prefix, family: version === 4 ? "ipv4" : "ipv6" })
      : Either.left(`the prefix length must be a whole number from 0 to ${max}`)
  }
  if (slash !== -1) return Either.left("a CIDR is an IPv4 or IPv6 address, a slash and a prefix length (10.0.0.0/8, fd00::/8)")
  if (/:\d+$/.test(text)) return Either.left("an entry has no port: write the host or address alone")
  const host = normalizeHost(text)
  if (!host.split(".").every((part) => label.test(part))) {
    return Either.left("it is neither an IP address, a CIDR nor a host name (write international names in punycode)")
  }
  if (numericLastLabel.test(host)) return Either.left("it looks like an incomplete IP address; write all four numbers")
  return Either.right({ kind: "host", host })
}

/**
 * `AST_HTTP_ALLOW`: comma-separated host names, IP addresses and CIDRs (blank entries are ignored).
 * Right: the entries, trimmed; Left: one line per bad entry, to refuse startup with.
 */
export const parseAllowList = (text: string): Either.Either<ReadonlyArray<string>, ReadonlyArray<string>> => {
  const entries = text.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  const problems = entries.flatMap((entry) =>
    Either.match(parseEntry(entry), {
      onLeft: (why) => [`AST_HTTP_ALLOW entry "${entry}" is not usable: ${why}`],
      onRight: () => []
    })
  )
  return problems.length === 0 ? Either.right(entries) : Either.left(problems)
}

/** The allow list of the given entries; an entry `parseAllowList` would refuse allows nothing. */
export const compileAllowList = (entries: ReadonlyArray<string>): AllowList => {
  const hosts = new Set<string>()
  const addresses = new BlockList()
  for (const text of entries) {
    const entry = parseEntry(text.trim())
    if (Either.isLeft(entry)) continue
    if (entry.right.kind === "host") hosts.add(entry.right.host)
    else addresses.addSubnet(entry.right.address, entry.right.prefix, entry.right.family)
  }
  return { hosts, addresses }
}
