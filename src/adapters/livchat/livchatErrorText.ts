const maxLength = 300

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The reason in a LivChat JSON body: `{error}`, `{error: {message}}` or `{message}`. */
export const reasonIn = (body: unknown): string | undefined => {
  if (!isRecord(body)) return undefined
  const { error, message } = body
  if (typeof error === "string" && error.trim() !== "") return error
  if (isRecord(error) && typeof error.message === "string" && error.message.trim() !== "") return error.message
  if (typeof message === "string" && message.trim() !== "") return message
  return undefined
}

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * LivChat's reason for refusing a call, short and on one line: its JSON `{error|message}` (or JSON string) if any, else the
 * body text; an HTML page (a proxy's error page) or an empty body gives the status text.
 */
export const livchatErrorText = (body: string, statusText: string): string => {
  const parsed = parseJson(body)
  const fromJson = typeof parsed === "string" ? parsed : reasonIn(parsed)
  const raw = fromJson ?? (body.trimStart().startsWith("<") ? "" : body)
  const text = raw.replace(/\s+/g, " ").trim()
  const chosen = text === "" ? statusText.trim() : text
  return chosen.length > maxLength ? `${chosen.slice(0, maxLength)}…` : chosen
}
