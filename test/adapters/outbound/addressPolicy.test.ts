import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { addressRefusal, compileAllowList, parseAllowList } from "../../../src/adapters/outbound/addressPolicy.ts"

const nothingAllowed = compileAllowList([])

describe("parseAllowList (AST_HTTP_ALLOW)", () => {
  it("accepts host names, IPv4/IPv6 addresses and CIDRs; blanks and spaces around entries are ignored", () => {
    const text = " 127.0.0.1, 10.0.0.0/8 ,::1,[fd00::1], fd00::/8, 169.254.169.254/32, api.internal, Localhost., my_host.lan, , 0.0.0.0/0"
    expect(parseAllowList(text)).toEqual(Either.right([
      "127.0.0.1", "10.0.0.0/8", "::1", "[fd00::1]", "fd00::/8", "169.254.169.254/32", "api.internal", "Localhost.", "my_host.lan", "0.0.0.0/0"
    ]))
    expect(parseAllowList("")).toEqual(Either.right([]))
    expect(parseAllowList(" , ")).toEqual(Either.right([]))
  })

  it("refuses every malformed entry with one line naming it and AST_HTTP_ALLOW", () => {
    const bad = [
      "10.0.0.0/33", "::1/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "300.1.1.1", "10.0.0", "1.2.3.4.5/8", "http://api.internal",
      "api.internal/path", "127.0.0.1:8080", "api.internal:443", "*.example.com", "two words", "-leading.dash", "ação.example"
    ]
    const result = parseAllowList(["127.0.0.1", ...bad].join(","))
    expect(Either.isLeft(result)).toBe(true)
    const lines = Either.isLeft(result) ? result.left : []
    expect(lines).toHaveLength(bad.length)
    bad.forEach((entry, i) => {
      expect(lines[i]).toContain(`AST_HTTP_ALLOW entry "${entry}" is not usable: `)
    })
    expect(lines[0]).toContain("from 0 to 32")
    expect(lines[1]).toContain("from 0 to 128")
    expect(lines[6]).toContain("incomplete IP address")
    expect(lines[8]).toContain("without a scheme")
    expect(lines[10]).toContain("no port")
  })

  it("an entry parseAllowList refuses allows nothing when compiled", () => {
    const allow = compileAllowList(["10.0.0.0/33", "127.0.0.1:80", "*.internal"])
    expect(addressRefusal("10.0.0.1", allow)).toBe("a private address")
    expect(addressRefusal("127.0.0.1", allow)).toBe("a loopback address")
    expect(allow.hosts.size).toBe(0)
  })
})

describe("addressRefusal: only public unicast addresses are reachable unless allowed", () => {
  it("names why each non-public target is refused", () => {
    const refused: ReadonlyArray<readonly [string, string]> = [
      ["127.0.0.1", "a loopback address"],
      ["127.255.0.9", "a loopback address"],
      ["10.0.0.1", "a private address"],
      ["172.16.5.4", "a private address"],
      ["172.31.255.255", "a private address"],
      ["192.168.1.1", "a private address"],
      ["169.254.169.254", "a link-local address"],
      ["100.64.0.1", "a shared (carrier-grade NAT) address"],
      ["0.0.0.0", "an unspecified (this-network) address"],
      ["224.0.0.1", "a multicast address"],
      ["255.255.255.255", "a reserved address"],
      ["::1", "a loopback address"],
      ["::", "an unspecified address"],
      ["fd00::1", "a unique-local address"],
      ["fc12:3456::1", "a unique-local address"],
      ["fe80::1", "a link-local address"],
      ["fe80::1%eth0", "a link-local address"],
      ["ff02::1", "a multicast address"],
      ["::ffff:127.0.0.1", "an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address"],
      ["::ffff:7f00:1", "an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address"],
      ["::ffff:a9fe:a9fe", "an IPv4-mapped IPv6 address of 169.254.169.254, a link-local address"],
      ["::ffff:8.8.8.8", "an IPv4-mapped IPv6 address of 8.8.8.8"],
      ["64:ff9b::a00:1", "a NAT64 address of 10.0.0.1, a private address"],
      ["2002:7f00:1::1", "a 6to4 address of 127.0.0.1, a loopback address"],
      ["::a00:1", "an IPv4-compatible (deprecated) address"]
    ]
    for (const [address, why] of refused) expect([address, addressRefusal(address, nothingAllowed)]).toEqual([address, why])
  })

  it("lets public addresses through", () => {
    for (const address of ["8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::808:808"]) {
      expect([address, addressRefusal(address, nothingAllowed)]).toEqual([address, undefined])
    }
  })

  it("an allowed address or CIDR lets its targets through, its IPv4-mapped form too, and nothing beside", () => {
    const allow = compileAllowList(["127.0.0.1", "10.1.0.0/16", "fd00::/16", "[::1]"])
    for (const address of ["127.0.0.1", "::ffff:127.0.0.1", "10.1.200.3", "fd00::5", "::1"]) expect(addressRefusal(address, allow)).toBeUndefined()
    expect(addressRefusal("127.0.0.2", allow)).toBe("a loopback address")
    expect(addressRefusal("10.2.0.1", allow)).toBe("a private address")
    expect(addressRefusal("fd01::5", allow)).toBe("a unique-local address")
  })

  const octet = fc.integer({ min: 0, max: 255 })
  const privateIPv4 = fc.oneof(
    fc.tuple(fc.constant(10), octet, octet, octet),
    fc.tuple(fc.constant(127), octet, octet, octet),
    fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => [172, b, c, d] as const),
    fc.tuple(octet, octet).map(([c, d]) => [192, 168, c, d] as const),
    fc.tuple(octet, octet).map(([c, d]) => [169, 254, c, d] as const),
    fc.tuple(fc.integer({ min: 64, max: 127 }), octet, octet).map(([b, c, d]) => [100, b, c, d] as const)
  ).map((parts) => parts.join("."))

  it.prop("a private, loopback, link-local or shared IPv4 address is refused in every spelling", [privateIPv4], ([ipv4]) => {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4.split(".").map(Number)
    const hex = `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
    for (const spelling of [ipv4, `::ffff:${ipv4}`, `::ffff:${hex}`, `0:0:0:0:0:ffff:${hex}`, `64:ff9b::${hex}`, `2002:${hex}::1`]) {
      expect([spelling, addressRefusal(spelling, nothingAllowed)]).not.toEqual([spelling, undefined])
    }
  }, { fastCheck: { numRuns: 300 } })

  it.prop("every IPv4-mapped IPv6 address is refused unless its IPv4 address is allowed", [octet, octet, octet, octet], (parts) => {
    const ipv4 = parts.join(".")
    expect(addressRefusal(`::ffff:${ipv4}`, nothingAllowed)).toMatch(/^an IPv4-mapped IPv6 address of /)
    expect(addressRefusal(`::ffff:${ipv4}`, compileAllowList([ipv4]))).toBeUndefined()
  }, { fastCheck: { numRuns: 300 } })
})
