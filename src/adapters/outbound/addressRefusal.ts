import { BlockList, isIP } from "node:net"
import type { AllowList } from "./allowList.ts"

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
