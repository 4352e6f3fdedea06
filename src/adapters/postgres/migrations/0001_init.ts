import { statements } from "./statements.ts"

/** Keys, workflows, the two-table executions with their steps, threads and stored values. */
export default statements(`
  CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    organization_id text NOT NULL,
    name text,
    prefix text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at timestamptz
  );
  CREATE INDEX api_keys_by_organization ON api_keys (organization_id, created_at DESC);

  CREATE TABLE workflows (
    id uuid PRIMARY KEY,
    organization_id text NOT NULL,
    name text NOT NULL,
    document jsonb NOT NULL,
    graph jsonb NOT NULL,
    version integer NOT NULL,
    is_active boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz
  );
  CREATE INDEX workflows_page ON workflows (organization_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;

  CREATE TABLE executions (
    id uuid PRIMARY KEY,
    organization_id text NOT NULL,
    workflow_id uuid NOT NULL,
    workflow_version integer NOT NULL,
    thread_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'error', 'skipped')),
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    error_code text,
    error_message text,
    error_node_id text,
    deleted_at timestamptz
  );
  CREATE INDEX executions_page ON executions (organization_id, started_at DESC, id DESC) WHERE deleted_at IS NULL;
  CREATE INDEX executions_by_workflow ON executions (organization_id, workflow_id, started_at DESC) WHERE deleted_at IS NULL;
  CREATE INDEX executions_by_thread ON executions (organization_id, thread_id, started_at DESC) WHERE deleted_at IS NULL;
  CREATE INDEX executions_by_status ON executions (organization_id, status, started_at DESC) WHERE deleted_at IS NULL;
  CREATE INDEX executions_purge ON executions (started_at);

  CREATE TABLE execution_data (
    execution_id uuid PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
    organization_id text NOT NULL,
    input jsonb,
    output jsonb
  );

  CREATE TABLE execution_steps (
    execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    step_id text NOT NULL,
    organization_id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    node_id text NOT NULL,
    step_name text NOT NULL,
    attempt integer NOT NULL,
    status text NOT NULL CHECK (status IN ('running', 'completed', 'error', 'skipped')),
    input jsonb,
    output jsonb,
    error text,
    duration_ms double precision,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    PRIMARY KEY (execution_id, step_id)
  );

  CREATE TABLE threads (
    organization_id text NOT NULL,
    thread_id text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'escalated')),
    metadata jsonb NOT NULL DEFAULT '{}',
    store jsonb NOT NULL DEFAULT '{}',
    message_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, thread_id)
  );
  CREATE INDEX threads_idle ON threads (last_activity_at);

  CREATE TABLE workflow_store (
    organization_id text NOT NULL,
    workflow_id uuid NOT NULL,
    store jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (organization_id, workflow_id)
  );
`)
