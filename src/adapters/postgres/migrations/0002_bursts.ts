import { statements } from "./statements.ts"

/** The accumulator's durable truth: bursts, their windows and leases, and accepted message ids. */
export default statements(`
  CREATE TABLE bursts (
    execution_id uuid PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    organization_id text NOT NULL,
    workflow_id uuid NOT NULL,
    thread_id text NOT NULL,
    workflow_version integer NOT NULL,
    status text NOT NULL CHECK (status IN ('open', 'closed', 'running', 'done')),
    messages jsonb NOT NULL DEFAULT '[]',
    message_count integer NOT NULL DEFAULT 0,
    sender jsonb,
    context jsonb NOT NULL DEFAULT '{}',
    sealed_secret text,
    separator text NOT NULL,
    aggregated_input text,
    timeout_ms double precision NOT NULL,
    max_wait_ms double precision NOT NULL,
    max_messages integer NOT NULL,
    is_reset_on_new_message boolean NOT NULL,
    first_at timestamptz NOT NULL,
    last_at timestamptz NOT NULL,
    flush_at timestamptz NOT NULL,
    closed_at timestamptz,
    lease_owner text,
    lease_until timestamptz
  );
  CREATE UNIQUE INDEX bursts_one_open ON bursts (organization_id, workflow_id, thread_id) WHERE status = 'open';
  CREATE INDEX bursts_by_thread ON bursts (organization_id, thread_id, seq) WHERE status <> 'done';
  CREATE INDEX bursts_pending ON bursts (status, flush_at) WHERE status <> 'done';

  CREATE TABLE accepted_messages (
    organization_id text NOT NULL,
    workflow_id uuid NOT NULL,
    message_id text NOT NULL,
    execution_id uuid NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, workflow_id, message_id)
  );
  CREATE INDEX accepted_messages_by_age ON accepted_messages (accepted_at);
`)
