import { statements } from "./statements.ts"

/** Callbacks waiting to be delivered (an outbox): they survive restarts and are retried with backoff. */
export default statements(`
  CREATE TABLE callback_deliveries (
    delivery_id uuid PRIMARY KEY,
    organization_id text NOT NULL,
    event text NOT NULL,
    url text NOT NULL,
    body text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz
  );
  CREATE INDEX callback_deliveries_pending ON callback_deliveries (next_attempt_at) WHERE status = 'pending';
`)
