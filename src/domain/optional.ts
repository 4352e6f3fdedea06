import { Schema } from "effect"

/** An optional field that is absent or holds a value (never `undefined`), so errors name only the value's problem. */
export const optional = <S extends Schema.Schema.All>(schema: S) => Schema.optionalWith(schema, { exact: true })
