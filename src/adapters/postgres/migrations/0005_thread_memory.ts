import { statements } from "./statements.ts"

/**
 * When each thread's agent memory expires (`memory.ttlHours` after its last turn). The memory itself is
 * in LangGraph's checkpoint tables, which its PostgresSaver creates and migrates (`setupCheckpointer`).
 */
export default statements(`
  CREATE TABLE thread_memory (
    organization_id text NOT NULL,
    thread_id text NOT NULL,
    used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, thread_id)
  );
  CREATE INDEX thread_memory_expiry ON thread_memory (expires_at);
`)
