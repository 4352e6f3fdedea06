/** A service URL for logs: `scheme://user@host:port/path`, never its password or query. */
export const describeUrl = (url: string): string => {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ""}${u.host}${u.pathname === "/" ? "" : u.pathname}`
  } catch {
    return "(an unparsable URL)"
  }
}
