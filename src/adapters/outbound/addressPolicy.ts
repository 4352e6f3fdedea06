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

/** Ranges an outbound request must not reach: this host, the private network, cloud metadata, non-unicast. */
const specialRanges: ReadonlyArray<readonly [subnet: string, prefix: number, what: string]> = [
  ["0.0.0.0", 8, "an unspecified (this-network) address"],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a shared (carrier-grade NAT) address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "a reserved (IETF protocol) address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved address"],
  ["::", 128, "an unspecified address"],
  ["::1", 128, "a loopback address"],
  ["::", 96, "an IPv4-compatible (deprecated) address"],
  ["64:ff9b:1::", 48, "a local-use NAT64 address"],
  ["100::", 64, "a discard address"],
  ["2001:db8::", 32, "a documentation address"],
  ["fc00::", 7, "a unique-local address"],
  ["fe80::", 10, "a link-local address"],
  ["fec0::", 10, "a site-local address"],
  ["ff00::", 8, "a multicast address"]
]

// One list per range, to say which one matched. (An IPv4 rule also matches its IPv4-mapped IPv6 form.)
const rules = specialRanges.map(([subnet, prefix, what]) => {
  const list = new BlockList()
  list.addSubnet(subnet, prefix, isIP(subnet) === 4 ? "ipv4" : "ipv6")
  return { list, what }
})

const familyOf = (address: string) => (isIP(address) === 4 ? "ipv4" : "ipv6")

const specialRange = (address: string) => rules.find((rule) => rule.list.check(address, familyOf(address)))?.what

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail included). */
const groupsOf = (address: string): ReadonlyArray<number> => {
  const hex = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`)
  const [head = "", tail] = hex.split("::")
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)))
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back]
}

const ipv4Of = (high = 0, low = 0) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`

/** The IPv4 address an IPv6 address stands for: IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96), 6to4 (2002::/16). */
const embeddedIPv4 = (address: string) => {
  const [g0, g1, g2, g3, g4, g5, g6, g7] = groupsOf(address)
  const zeroUpTo4 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0
  if (zeroUpTo4 && g5 === 0xffff) return { how: "an IPv4-mapped IPv6 address", isMapped: true, ipv4: ipv4Of(g6, g7) }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return { how: "a NAT64 address", isMapped: false, ipv4: ipv4Of(g6, g7) }
  if (g0 === 0x2002) return { how: "a 6to4 address", isMapped: false, ipv4: ipv4Of(g1, g2) }
  return undefined
}

/**
 * Why `address` must not be reached, as a phrase ("a loopback address"); `undefined` when it may be:
 * a public unicast address, or one inside an allowed CIDR. IPv4-mapped IPv6 addresses are refused unless their
 * IPv4 address is allowed; NAT64 and 6to4 addresses are judged by the IPv4 address they carry.
 */
export const addressRefusal = (address: string, allow: AllowList): string | undefined => {
  const bare = address.replace(/%.*$/, "")
  if (isIP(bare) === 0) return "not an IP address"
  if (allow.addresses.check(bare, familyOf(bare))) return undefined
  const embedded = isIP(bare) === 6 ? embeddedIPv4(bare) : undefined
  if (embedded === undefined) return specialRange(bare)
  if (allow.addresses.check(embedded.ipv4, "ipv4")) return undefined
  const inner = specialRange(embedded.ipv4)
  if (embedded.isMapped || inner !== undefined) return `${embedded.how} of ${embedded.ipv4}${inner === undefined ? "" : `, ${inner}`}`
  return specialRange(bare)
}
