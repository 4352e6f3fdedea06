/** Opaque keyset cursors: the sort key and the id of the last item of a page. */
export const encodeCursor = (at: string, id: string): string => Buffer.from(JSON.stringify([at, id])).toString("base64url")

export const decodeCursor = (cursor: string): { at: string; id: string } | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString())
    return Array.isArray(value) && typeof value[0] === "string" && typeof value[1] === "string"
      ? { at: value[0], id: value[1] }
      : undefined
  } catch {
    return undefined
  }
}
