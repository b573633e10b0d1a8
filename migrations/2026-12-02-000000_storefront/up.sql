-- The storefront: an admin's disabling and enabling of models, and a global daily budget for
-- free runs, in US dollars of Kie's cost.
--
-- Rules kept here (ARCHITECTURE.md, "ledger" and "storefront"):
-- * A model is on sale when the registry enables it and no override disables it. An override
--   never puts a model the registry withholds on sale. One row per model (the latest change);
--   the history is in the audit log, written in the same statement (ledger::set_model_disabled).
-- * A free run takes its user's quota and its Kie cost from the UTC day's budget together, in one
--   statement (ledger_hold_free). The day's row only ever grows by a conditional upsert under
--   its row lock, so concurrent free runs can never take more than the budget.
-- * A free run that does not succeed gives back its quota and its budget with its ending, in the
--   same statement, exactly once (ledger_finish_job ends a job once, under the job's row lock).
-- * Lock order, extended: account -> job -> hold -> payment -> free_usage -> free_budget_days.

CREATE TABLE model_overrides (
  model_id    TEXT PRIMARY KEY,
  disabled    BOOLEAN NOT NULL,
  reason      TEXT,
  changed_by  BIGINT NOT NULL,
  changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT model_overrides_disabled_has_reason CHECK (NOT disabled OR (reason IS NOT NULL AND btrim(reason) <> ''))
);

-- What free runs cost Kie per UTC day (runs given back are subtracted again).
CREATE TABLE free_budget_days (
  day        DATE PRIMARY KEY,
  spent_usd  NUMERIC NOT NULL DEFAULT 0 CHECK (spent_usd >= 0)
);

-- The budget a free job took: the day it counts in and what it added (its kie_cost_usd), so a
-- failure gives back exactly that, to that day, even after midnight.
ALTER TABLE jobs ADD COLUMN free_budget_day DATE;
ALTER TABLE jobs ADD COLUMN free_budget_usd NUMERIC(16,6) CHECK (free_budget_usd >= 0);
ALTER TABLE jobs ADD CONSTRAINT jobs_free_budget_with_free_run CHECK (
  (free_budget_day IS NULL) = (free_budget_usd IS NULL)
  AND (free_budget_day IS NULL OR (is_free AND free_consumed_at IS NOT NULL)));

-- Starts a free job: takes a free run of the user's quota, adds the job's Kie cost to the UTC
-- day's free budget if the total stays within p_budget_usd (NULL: no budget, the cost is only
-- counted), and moves the job 'created' -> 'held', all together.
-- Outcomes: 'held', 'already_held', 'quota_exceeded' (with resets_at), 'budget_spent' (with
-- resets_at, the next UTC midnight; the user's quota is left as it was).
DROP FUNCTION ledger_hold_free(BIGINT, TIMESTAMPTZ, INTEGER, INTEGER);
CREATE FUNCTION ledger_hold_free(p_job BIGINT, p_now TIMESTAMPTZ, p_per_day INTEGER, p_per_hour INTEGER,
                                 p_budget_usd NUMERIC)
RETURNS TABLE (outcome TEXT, resets_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  j jobs%ROWTYPE;
  q RECORD;
  budget_day DATE := (p_now AT TIME ZONE 'UTC')::DATE;
  spent NUMERIC;
BEGIN
  IF p_budget_usd IS NOT NULL AND p_budget_usd < 0 THEN
    RAISE EXCEPTION 'ledger_hold_free: the budget must not be negative, got %', p_budget_usd;
  END IF;
  SELECT * INTO j FROM jobs WHERE jobs.id = p_job FOR UPDATE;
  IF NOT FOUND OR NOT j.is_free THEN
    RAISE EXCEPTION 'ledger_hold_free: job % is not a free job', p_job;
  END IF;
  IF j.free_consumed_at IS NOT NULL THEN
    RETURN QUERY SELECT 'already_held'::TEXT, NULL::TIMESTAMPTZ;
    RETURN;
  END IF;
  IF j.state <> 'created' THEN
    RAISE EXCEPTION 'ledger_hold_free: job % is %, not created', p_job, j.state;
  END IF;
  SELECT * INTO q FROM ledger_consume_free(j.user_id, j.model_id, p_now, p_per_day, p_per_hour);
  IF NOT q.ok THEN
    RETURN QUERY SELECT 'quota_exceeded'::TEXT, q.resets_at;
    RETURN;
  END IF;
  -- The day's row is locked by the upsert (inserted or not), and its WHERE is evaluated on the
  -- newest committed total: of concurrent runs, only as many pass as fit.
  INSERT INTO free_budget_days AS b (day, spent_usd)
    SELECT budget_day, j.kie_cost_usd WHERE p_budget_usd IS NULL OR j.kie_cost_usd <= p_budget_usd
    ON CONFLICT (day) DO UPDATE SET spent_usd = b.spent_usd + EXCLUDED.spent_usd
      WHERE p_budget_usd IS NULL OR b.spent_usd + EXCLUDED.spent_usd <= p_budget_usd
    RETURNING b.spent_usd INTO spent;
  IF NOT FOUND THEN
    -- The run just taken goes back: its quota rows are locked by this statement, so nobody saw it.
    PERFORM ledger_restore_free(j.user_id, j.model_id, p_now);
    RETURN QUERY SELECT 'budget_spent'::TEXT, date_trunc('day', p_now, 'UTC') + interval '1 day';
    RETURN;
  END IF;
  UPDATE jobs SET state = 'held', held_at = now(), free_consumed_at = p_now,
                  free_budget_day = budget_day, free_budget_usd = j.kie_cost_usd, updated_at = now()
    WHERE jobs.id = p_job;
  RETURN QUERY SELECT 'held'::TEXT, NULL::TIMESTAMPTZ;
END $$;

-- As before (…_money_functions), and a free job that does not succeed gives back its budget
-- too. A job ends once (a final state returns early, under the job's lock), so the budget comes
-- back at most once.
CREATE OR REPLACE FUNCTION ledger_finish_job(p_job BIGINT, p_outcome TEXT, p_code TEXT, p_message TEXT, p_due_at TIMESTAMPTZ)
RETURNS TABLE (changed BOOLEAN, job_state TEXT, hold_state TEXT, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  uid BIGINT;
  acc accounts%ROWTYPE;
  j jobs%ROWTYPE;
  h holds%ROWTYPE;
  has_hold BOOLEAN;
  hold_end TEXT;
  entry_kind TEXT;
BEGIN
  IF p_outcome IS NULL OR p_outcome NOT IN ('succeeded', 'failed', 'cancelled', 'expired') THEN
    RAISE EXCEPTION 'ledger_finish_job: unknown outcome %', p_outcome;
  END IF;
  SELECT jobs.user_id INTO uid FROM jobs WHERE jobs.id = p_job;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger_finish_job: no job %', p_job;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = uid FOR UPDATE;
  SELECT * INTO j FROM jobs WHERE jobs.id = p_job FOR UPDATE;
  SELECT * INTO h FROM holds WHERE holds.job_id = p_job FOR UPDATE;
  has_hold := FOUND;

  IF j.state IN ('succeeded', 'delivered', 'failed', 'cancelled', 'expired') THEN
    RETURN QUERY SELECT false, j.state, h.state, acc.available, acc.held;
    RETURN;
  END IF;
  IF p_due_at IS NOT NULL AND (NOT has_hold OR h.state <> 'open' OR h.expires_at > p_due_at) THEN
    RETURN QUERY SELECT false, j.state, h.state, acc.available, acc.held;
    RETURN;
  END IF;
  IF j.state = 'created' AND p_outcome = 'succeeded' THEN
    RAISE EXCEPTION 'ledger_finish_job: job % was never held or started, it cannot succeed', p_job;
  END IF;

  IF NOT j.is_free AND j.state <> 'created' THEN
    IF NOT has_hold OR h.state <> 'open' THEN
      RAISE EXCEPTION 'ledger_finish_job: job % is % but its hold is %', p_job, j.state, coalesce(h.state, 'missing');
    END IF;
    hold_end := CASE p_outcome WHEN 'succeeded' THEN 'committed' WHEN 'expired' THEN 'expired' ELSE 'released' END;
    entry_kind := CASE hold_end WHEN 'committed' THEN 'commit' WHEN 'expired' THEN 'expire' ELSE 'release' END;
    UPDATE holds SET state = hold_end, ended_at = now(), end_reason = coalesce(p_code, p_outcome) WHERE holds.id = h.id;
    UPDATE accounts a
      SET held = a.held - h.amount,
          available = a.available + CASE WHEN hold_end = 'committed' THEN 0 ELSE h.amount END,
          updated_at = now()
      WHERE a.user_id = uid RETURNING a.available, a.held INTO acc.available, acc.held;
    INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, hold_id, job_id, reason)
      VALUES (uid, entry_kind, h.amount, acc.available, acc.held, entry_kind || ':' || h.id, h.id, p_job, p_code);
  ELSIF j.is_free AND p_outcome <> 'succeeded' AND j.free_consumed_at IS NOT NULL THEN
    PERFORM ledger_restore_free(uid, j.model_id, j.free_consumed_at);
    IF j.free_budget_day IS NOT NULL THEN
      UPDATE free_budget_days b SET spent_usd = b.spent_usd - j.free_budget_usd WHERE b.day = j.free_budget_day;
    END IF;
  END IF;

  UPDATE jobs SET
      state = p_outcome,
      finished_at = now(),
      failure_code = CASE WHEN p_outcome = 'succeeded' THEN NULL ELSE coalesce(p_code, p_outcome) END,
      failure_message = CASE WHEN p_outcome = 'succeeded' THEN NULL ELSE p_message END,
      updated_at = now()
    WHERE jobs.id = p_job;
  RETURN QUERY SELECT true, p_outcome, hold_end, acc.available, acc.held;
END $$;
