import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * The accumulator's two hot paths as server-side functions, one round trip each instead of eight and
 * six: `ast_burst_append` (what `/trigger` records) and `ast_burst_take` (close a due burst and claim
 * it). They keep the locks and rules the statement-by-statement versions had (src/adapters/postgres/
 * Bursts.ts says which); the window rule is burstWindow.ts's `flushAt`, and the Bursts contract tests
 * run the same cases on the in-memory twin, PostgreSQL and PGlite.
 */
const append = `
CREATE OR REPLACE FUNCTION ast_burst_append(
  p_org text, p_workflow uuid, p_thread text, p_version integer, p_ids jsonb, p_messages jsonb, p_count integer,
  p_sender jsonb, p_context jsonb, p_sealed text, p_accumulating boolean, p_separator text, p_aggregated text,
  p_timeout_ms double precision, p_max_wait_ms double precision, p_max_messages integer, p_reset boolean,
  p_now timestamptz, p_new_id uuid, p_new_flush_at timestamptz, p_input jsonb
) RETURNS TABLE (outcome text, execution_id uuid, flush_at timestamptz, is_new boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_seen uuid;
  v_open bursts%ROWTYPE;
  v_has_open boolean := false;
  v_count integer;
  v_due timestamptz;
  v_id uuid;
  v_ids text[] := ARRAY(SELECT DISTINCT jsonb_array_elements_text(p_ids));
  v_one text;
BEGIN
  -- Appends to one burst key one at a time (the same key as the statement-by-statement version).
  PERFORM pg_advisory_xact_lock(hashtext(concat_ws(chr(31), 'burst', p_org, p_workflow::text, p_thread)));
  -- One primary-key lookup per id: with "= ANY (ids)" the planner may scan the workflow's every
  -- accepted id (it did, on fresh statistics, making each append as slow as the table was large).
  FOREACH v_one IN ARRAY v_ids LOOP
    SELECT a.execution_id INTO v_seen FROM accepted_messages a
    WHERE a.organization_id = p_org AND a.workflow_id = p_workflow AND a.message_id = v_one
      AND a.accepted_at > p_now - interval '24 hours';
    IF FOUND THEN
      RETURN QUERY SELECT 'duplicate'::text, v_seen, NULL::timestamptz, false;
      RETURN;
    END IF;
  END LOOP;
  IF p_accumulating THEN
    SELECT * INTO v_open FROM bursts b
    WHERE b.organization_id = p_org AND b.workflow_id = p_workflow AND b.thread_id = p_thread AND b.status = 'open'
    FOR UPDATE;
    v_has_open := FOUND;
  END IF;
  IF v_has_open THEN
    v_id := v_open.execution_id;
    v_count := v_open.message_count + p_count;
    -- burstWindow.ts flushAt: at once when full; else timeout after the last (reset) or first message, capped by maxWait.
    v_due := CASE
      WHEN v_count >= v_open.max_messages THEN p_now
      WHEN v_open.is_reset_on_new_message THEN LEAST(p_now + v_open.timeout_ms * interval '1 millisecond', v_open.first_at + v_open.max_wait_ms * interval '1 millisecond')
      ELSE LEAST(v_open.first_at + v_open.timeout_ms * interval '1 millisecond', v_open.first_at + v_open.max_wait_ms * interval '1 millisecond')
    END;
    UPDATE bursts SET messages = bursts.messages || p_messages, message_count = v_count, last_at = p_now, flush_at = v_due,
      sender = COALESCE(p_sender, bursts.sender), context = p_context, sealed_secret = COALESCE(p_sealed, bursts.sealed_secret)
    WHERE bursts.execution_id = v_id;
  ELSE
    v_id := p_new_id;
    v_due := p_new_flush_at;
    INSERT INTO executions (id, organization_id, workflow_id, workflow_version, thread_id, status, started_at)
    VALUES (v_id, p_org, p_workflow, p_version, p_thread, 'pending', p_now);
    INSERT INTO execution_data (execution_id, organization_id, input) VALUES (v_id, p_org, p_input);
    INSERT INTO bursts (execution_id, organization_id, workflow_id, thread_id, workflow_version, status, messages, message_count,
      sender, context, sealed_secret, separator, aggregated_input, timeout_ms, max_wait_ms, max_messages, is_reset_on_new_message,
      first_at, last_at, flush_at, closed_at)
    VALUES (v_id, p_org, p_workflow, p_thread, p_version, CASE WHEN p_accumulating THEN 'open' ELSE 'closed' END, p_messages, p_count,
      p_sender, p_context, p_sealed, p_separator, CASE WHEN p_accumulating THEN NULL ELSE p_aggregated END, p_timeout_ms, p_max_wait_ms,
      p_max_messages, p_reset, p_now, p_now, v_due, CASE WHEN p_accumulating THEN NULL ELSE p_now END);
  END IF;
  INSERT INTO accepted_messages (organization_id, workflow_id, message_id, execution_id, accepted_at)
  SELECT p_org, p_workflow, id, v_id, p_now FROM unnest(v_ids) AS id
  ON CONFLICT (organization_id, workflow_id, message_id) DO UPDATE SET execution_id = EXCLUDED.execution_id, accepted_at = EXCLUDED.accepted_at;
  RETURN QUERY SELECT 'accepted'::text, v_id, v_due, NOT v_has_open;
END
$fn$`

const take = `
CREATE OR REPLACE FUNCTION ast_burst_take(p_id uuid, p_owner text, p_lease_ms integer, p_now timestamptz)
RETURNS TABLE (outcome text, flush_at timestamptz, burst jsonb)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_row bursts%ROWTYPE;
BEGIN
  -- Close it if it is open and due, recording the execution's input as the burst gathered it.
  UPDATE bursts SET status = 'closed', closed_at = p_now
  WHERE bursts.execution_id = p_id AND bursts.status = 'open' AND bursts.flush_at <= p_now
  RETURNING * INTO v_row;
  IF FOUND THEN
    UPDATE execution_data SET input = jsonb_build_object(
      'threadId', v_row.thread_id,
      'input', jsonb_build_object(
        'messages', v_row.messages,
        'aggregatedInput', COALESCE(v_row.aggregated_input,
          (SELECT COALESCE(string_agg(COALESCE(m.value->>'content', ''), v_row.separator ORDER BY m.ordinality), '')
           FROM jsonb_array_elements(v_row.messages) WITH ORDINALITY AS m))
      ) || CASE WHEN v_row.sender IS NULL OR jsonb_typeof(v_row.sender) = 'null' THEN '{}'::jsonb ELSE jsonb_build_object('sender', v_row.sender) END,
      'context', v_row.context)
    WHERE execution_data.execution_id = p_id;
  ELSE
    SELECT * INTO v_row FROM bursts WHERE bursts.execution_id = p_id;
    IF NOT FOUND OR v_row.status = 'done' THEN
      RETURN QUERY SELECT 'done'::text, NULL::timestamptz, NULL::jsonb;
      RETURN;
    END IF;
    IF v_row.status = 'open' THEN
      RETURN QUERY SELECT 'not_due'::text, v_row.flush_at, NULL::jsonb;
      RETURN;
    END IF;
  END IF;
  -- Claim it: one holder per thread, its bursts in order (the same lock as the statement-by-statement claim).
  PERFORM pg_advisory_xact_lock(hashtext(concat_ws(chr(31), 'thread', v_row.organization_id, v_row.thread_id)));
  IF EXISTS (
    SELECT 1 FROM bursts b
    WHERE b.organization_id = v_row.organization_id AND b.thread_id = v_row.thread_id AND b.execution_id <> p_id
      AND ((b.status = 'running' AND b.lease_until > now()) OR (b.status IN ('closed', 'running') AND b.seq < v_row.seq))
  ) THEN
    RETURN QUERY SELECT 'busy'::text, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;
  UPDATE bursts SET status = 'running', lease_owner = p_owner, lease_until = now() + p_lease_ms * interval '1 millisecond'
  WHERE bursts.execution_id = p_id
    AND (bursts.status = 'closed' OR (bursts.status = 'running' AND (bursts.lease_until < now() OR bursts.lease_owner = p_owner)))
  RETURNING * INTO v_row;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'busy'::text, NULL::timestamptz, NULL::jsonb;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'claimed'::text, v_row.flush_at, to_jsonb(v_row);
END
$fn$`

export default Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.zipRight(sql.unsafe(append), sql.unsafe(take)))
