import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * A migration written as one SQL script: run statement by statement (the driver prepares each query, and
 * a prepared statement holds one command). Statements are separated by `;` at the end of a line.
 */
export const statements = (script: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.forEach(
      script.split(/;\s*$/m).map((s) => s.trim()).filter((s) => s.length > 0),
      (statement) => sql.unsafe(statement),
      { discard: true }
    )
  )
