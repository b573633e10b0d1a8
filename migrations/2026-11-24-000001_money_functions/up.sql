-- The money functions: every movement of money is one call of one of these.
--
-- Each runs as one statement, so as one transaction. Expected outcomes (insufficient funds, an
-- already ended hold, a repeated key) are returned as an `outcome` value and change nothing;
-- RAISE is kept for calls that can only come from a bug (a missing account, a job of another user),
-- which roll everything back.
--
-- Lock order, everywhere: account -> job -> hold -> payment -> free_usage.

-- Opens the hold of a paid job: available -> held, job 'created' -> 'held'.
-- Outcomes: 'held' (new hold), 'already_held' (the job's existing hold), 'insufficient'.
CREATE FUNCTION ledger_hold(p_user BIGINT, p_job BIGINT, p_amount NUMERIC, p_ttl_seconds BIGINT)
RETURNS TABLE (outcome TEXT, hold_id BIGINT, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  acc accounts%ROWTYPE;
  j jobs%ROWTYPE;
  h_id BIGINT;
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 OR p_amount <> round(p_amount, 2) THEN
    RAISE EXCEPTION 'ledger_hold: amount must be a positive number of kopecks, got %', p_amount;
  END IF;
  IF p_ttl_seconds IS NULL OR p_ttl_seconds <= 0 THEN
    RAISE EXCEPTION 'ledger_hold: ttl must be positive, got %', p_ttl_seconds;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger_hold: user % has no account', p_user;
  END IF;
  SELECT * INTO j FROM jobs WHERE jobs.id = p_job FOR UPDATE;
  IF NOT FOUND OR j.user_id <> p_user THEN
    RAISE EXCEPTION 'ledger_hold: job % is not a job of user %', p_job, p_user;
  END IF;
  IF j.is_free OR j.price <> p_amount THEN
    RAISE EXCEPTION 'ledger_hold: job % costs % (free: %), not %', p_job, j.price, j.is_free, p_amount;
  END IF;
  SELECT h.id INTO h_id FROM holds h WHERE h.job_id = p_job;
  IF FOUND THEN
    RETURN QUERY SELECT 'already_held'::TEXT, h_id, acc.available, acc.held;
    RETURN;
  END IF;
  IF j.state <> 'created' THEN
    RAISE EXCEPTION 'ledger_hold: job % is %, not created', p_job, j.state;
  END IF;
  IF acc.available < p_amount THEN
    RETURN QUERY SELECT 'insufficient'::TEXT, NULL::BIGINT, acc.available, acc.held;
    RETURN;
  END IF;
  UPDATE accounts a SET available = a.available - p_amount, held = a.held + p_amount, updated_at = now()
    WHERE a.user_id = p_user RETURNING a.available, a.held INTO acc.available, acc.held;
  INSERT INTO holds (user_id, job_id, amount, expires_at)
    VALUES (p_user, p_job, p_amount, now() + make_interval(secs => p_ttl_seconds)) RETURNING holds.id INTO h_id;
  INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, hold_id, job_id)
    VALUES (p_user, 'hold', p_amount, acc.available, acc.held, 'hold:' || h_id, h_id, p_job);
  UPDATE jobs SET state = 'held', held_at = now(), updated_at = now() WHERE jobs.id = p_job;
  RETURN QUERY SELECT 'held'::TEXT, h_id, acc.available, acc.held;
END $$;

-- Ends a job: 'succeeded' commits its hold (the charge); 'failed', 'cancelled' release it;
-- 'expired' expires it (a release too). A free job gets its free run back unless it succeeded.
-- With p_due_at set, only a job whose open hold expires at or before it is ended (expire_due).
-- Outcomes: changed = false when the job had already ended (its final states are returned) or
-- was not due.
CREATE FUNCTION ledger_finish_job(p_job BIGINT, p_outcome TEXT, p_code TEXT, p_message TEXT, p_due_at TIMESTAMPTZ)
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

-- Takes one free run of a model for a user in the UTC day and hour windows containing p_now.
-- Outcome ok = false with resets_at when the tighter window is used up; nothing changes then.
CREATE FUNCTION ledger_consume_free(p_user BIGINT, p_model TEXT, p_now TIMESTAMPTZ, p_per_day INTEGER, p_per_hour INTEGER)
RETURNS TABLE (ok BOOLEAN, resets_at TIMESTAMPTZ, used_today INTEGER, used_this_hour INTEGER)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  day_start TIMESTAMPTZ := date_trunc('day', p_now, 'UTC');
  hour_start TIMESTAMPTZ := date_trunc('hour', p_now, 'UTC');
  day_used INTEGER;
  hour_used INTEGER;
BEGIN
  INSERT INTO free_usage (user_id, model_id, window_kind, window_start, used)
    VALUES (p_user, p_model, 'day', day_start, 0), (p_user, p_model, 'hour', hour_start, 0)
    ON CONFLICT DO NOTHING;
  SELECT f.used INTO day_used FROM free_usage f
    WHERE f.user_id = p_user AND f.model_id = p_model AND f.window_kind = 'day' AND f.window_start = day_start FOR UPDATE;
  SELECT f.used INTO hour_used FROM free_usage f
    WHERE f.user_id = p_user AND f.model_id = p_model AND f.window_kind = 'hour' AND f.window_start = hour_start FOR UPDATE;
  IF day_used >= p_per_day THEN
    RETURN QUERY SELECT false, day_start + interval '1 day', day_used, hour_used;
    RETURN;
  END IF;
  IF hour_used >= p_per_hour THEN
    RETURN QUERY SELECT false, hour_start + interval '1 hour', day_used, hour_used;
    RETURN;
  END IF;
  UPDATE free_usage f SET used = f.used + 1
    WHERE f.user_id = p_user AND f.model_id = p_model
      AND ((f.window_kind = 'day' AND f.window_start = day_start) OR (f.window_kind = 'hour' AND f.window_start = hour_start));
  RETURN QUERY SELECT true, NULL::TIMESTAMPTZ, day_used + 1, hour_used + 1;
END $$;

-- Gives back a free run taken at p_consumed_at (its windows may have passed: then it is harmless).
CREATE FUNCTION ledger_restore_free(p_user BIGINT, p_model TEXT, p_consumed_at TIMESTAMPTZ)
RETURNS VOID LANGUAGE sql AS $$
  UPDATE free_usage SET used = used - 1
    WHERE user_id = p_user AND model_id = p_model AND used > 0
      AND ((window_kind = 'day' AND window_start = date_trunc('day', p_consumed_at, 'UTC'))
        OR (window_kind = 'hour' AND window_start = date_trunc('hour', p_consumed_at, 'UTC')));
$$;

-- Starts a free job: takes a free run and moves the job 'created' -> 'held' together.
-- Outcomes: 'held', 'already_held', 'quota_exceeded' (with resets_at).
CREATE FUNCTION ledger_hold_free(p_job BIGINT, p_now TIMESTAMPTZ, p_per_day INTEGER, p_per_hour INTEGER)
RETURNS TABLE (outcome TEXT, resets_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  j jobs%ROWTYPE;
  q RECORD;
BEGIN
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
  UPDATE jobs SET state = 'held', held_at = now(), free_consumed_at = p_now, updated_at = now() WHERE jobs.id = p_job;
  RETURN QUERY SELECT 'held'::TEXT, NULL::TIMESTAMPTZ;
END $$;

-- Credits a Telegram Stars payment exactly once per telegram_payment_charge_id.
-- Outcomes: 'credited', 'already_credited'.
CREATE FUNCTION ledger_top_up_stars(p_user BIGINT, p_charge_id TEXT, p_provider_charge_id TEXT, p_payload TEXT,
                                    p_xtr INTEGER, p_rub NUMERIC)
RETURNS TABLE (outcome TEXT, payment_id BIGINT, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  acc accounts%ROWTYPE;
  p payments%ROWTYPE;
BEGIN
  IF p_rub IS NULL OR p_rub <= 0 OR p_rub <> round(p_rub, 2) OR p_xtr IS NULL OR p_xtr <= 0 THEN
    RAISE EXCEPTION 'ledger_top_up_stars: bad amounts % XTR, % RUB', p_xtr, p_rub;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger_top_up_stars: user % has no account', p_user;
  END IF;
  SELECT * INTO p FROM payments WHERE payments.telegram_payment_charge_id = p_charge_id;
  IF FOUND THEN
    IF p.user_id <> p_user THEN
      RAISE EXCEPTION 'ledger_top_up_stars: charge % belongs to another user', p_charge_id;
    END IF;
    RETURN QUERY SELECT 'already_credited'::TEXT, p.id, acc.available, acc.held;
    RETURN;
  END IF;
  INSERT INTO payments (user_id, telegram_payment_charge_id, provider_payment_charge_id, invoice_payload, xtr_amount, rub_credited)
    VALUES (p_user, p_charge_id, p_provider_charge_id, p_payload, p_xtr, p_rub) RETURNING * INTO p;
  UPDATE accounts a SET available = a.available + p_rub, updated_at = now()
    WHERE a.user_id = p_user RETURNING a.available, a.held INTO acc.available, acc.held;
  INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, payment_id)
    VALUES (p_user, 'topup_stars', p_rub, acc.available, acc.held, 'stars:' || p_charge_id, p.id);
  RETURN QUERY SELECT 'credited'::TEXT, p.id, acc.available, acc.held;
END $$;

-- Marks a Stars payment refunded and debits what it credited, only if that money is still
-- available. Outcomes: 'refunded', 'already_refunded', 'insufficient', 'not_found'.
CREATE FUNCTION ledger_refund_stars(p_charge_id TEXT, p_by BIGINT, p_reason TEXT)
RETURNS TABLE (outcome TEXT, payment_id BIGINT, rub NUMERIC, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  uid BIGINT;
  acc accounts%ROWTYPE;
  p payments%ROWTYPE;
BEGIN
  SELECT payments.user_id INTO uid FROM payments WHERE payments.telegram_payment_charge_id = p_charge_id;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::TEXT, NULL::BIGINT, NULL::NUMERIC, NULL::NUMERIC, NULL::NUMERIC;
    RETURN;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = uid FOR UPDATE;
  SELECT * INTO p FROM payments WHERE payments.telegram_payment_charge_id = p_charge_id FOR UPDATE;
  IF p.state = 'refunded' THEN
    RETURN QUERY SELECT 'already_refunded'::TEXT, p.id, p.rub_credited, acc.available, acc.held;
    RETURN;
  END IF;
  IF acc.available < p.rub_credited THEN
    RETURN QUERY SELECT 'insufficient'::TEXT, p.id, p.rub_credited, acc.available, acc.held;
    RETURN;
  END IF;
  UPDATE payments SET state = 'refunded', refunded_at = now(), refunded_by = p_by, refund_reason = p_reason
    WHERE payments.id = p.id;
  UPDATE accounts a SET available = a.available - p.rub_credited, updated_at = now()
    WHERE a.user_id = uid RETURNING a.available, a.held INTO acc.available, acc.held;
  INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, payment_id, admin_id, reason)
    VALUES (uid, 'refund_stars', p.rub_credited, acc.available, acc.held, 'stars-refund:' || p_charge_id, p.id, p_by, p_reason);
  INSERT INTO audit_log (actor_id, action, target_user_id, details)
    VALUES (p_by, 'refund_stars', uid, jsonb_build_object(
      'charge_id', p_charge_id, 'xtr', p.xtr_amount, 'rub', p.rub_credited::TEXT, 'reason', p_reason));
  RETURN QUERY SELECT 'refunded'::TEXT, p.id, p.rub_credited, acc.available, acc.held;
END $$;

-- Credits or debits available money: admin adjustments ('adjust_credit', 'adjust_debit', with an
-- audit record) and promo credits ('bonus'). Exactly once per key.
-- Outcomes: 'applied', 'already_applied', 'insufficient', 'key_reused' (the key was used for a
-- different movement; nothing changes).
CREATE FUNCTION ledger_move(p_user BIGINT, p_kind TEXT, p_amount NUMERIC, p_key TEXT, p_admin BIGINT, p_reason TEXT)
RETURNS TABLE (outcome TEXT, entry_id BIGINT, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  acc accounts%ROWTYPE;
  e ledger_entries%ROWTYPE;
  v_key TEXT := p_kind || ':' || p_key;
BEGIN
  IF p_kind NOT IN ('adjust_credit', 'adjust_debit', 'bonus') THEN
    RAISE EXCEPTION 'ledger_move: % is not a plain movement', p_kind;
  END IF;
  IF p_amount IS NULL OR p_amount <= 0 OR p_amount <> round(p_amount, 2) THEN
    RAISE EXCEPTION 'ledger_move: amount must be a positive number of kopecks, got %', p_amount;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = p_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger_move: user % has no account', p_user;
  END IF;
  SELECT * INTO e FROM ledger_entries le WHERE le.idempotency_key = v_key;
  IF FOUND THEN
    IF e.user_id = p_user AND e.amount = p_amount THEN
      RETURN QUERY SELECT 'already_applied'::TEXT, e.id, acc.available, acc.held;
    ELSE
      RETURN QUERY SELECT 'key_reused'::TEXT, e.id, acc.available, acc.held;
    END IF;
    RETURN;
  END IF;
  IF p_kind = 'adjust_debit' AND acc.available < p_amount THEN
    RETURN QUERY SELECT 'insufficient'::TEXT, NULL::BIGINT, acc.available, acc.held;
    RETURN;
  END IF;
  UPDATE accounts a
    SET available = a.available + CASE WHEN p_kind = 'adjust_debit' THEN -p_amount ELSE p_amount END,
        updated_at = now()
    WHERE a.user_id = p_user RETURNING a.available, a.held INTO acc.available, acc.held;
  INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, admin_id, reason)
    VALUES (p_user, p_kind, p_amount, acc.available, acc.held, v_key, p_admin, p_reason) RETURNING * INTO e;
  IF p_admin IS NOT NULL THEN
    INSERT INTO audit_log (actor_id, action, target_user_id, details)
      VALUES (p_admin, p_kind, p_user, jsonb_build_object('rub', p_amount::TEXT, 'reason', p_reason, 'entry_id', e.id));
  END IF;
  RETURN QUERY SELECT 'applied'::TEXT, e.id, acc.available, acc.held;
END $$;
