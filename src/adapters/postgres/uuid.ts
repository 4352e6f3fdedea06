/**
 * Whether `id` can be a `uuid` column's value. Ids come from URL paths: one that is not a UUID names
 * nothing (404), and must not reach a `uuid` comparison, which PostgreSQL would refuse as an error (503).
 */
export const isUuid = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
