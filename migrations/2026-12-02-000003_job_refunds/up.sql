-- An admin's refund of a job the user disputes: the job's charged price back to the user's
-- available money, exactly once per job, whoever asks and however often.
--
-- Rules kept here (ARCHITECTURE.md, "ledger"):
-- * Only a charged job can be refunded: a paid job whose hold was committed (it succeeded). A
--   failed, cancelled or expired job was never charged (its hold was released), and a free run
--   holds no money: both are refused ('not_charged') and nothing changes.
-- * The amount is the committed hold's, read under the account's lock in the same statement,
--   never the caller's: a refund is exactly what was charged.
-- * Once per job: the entry's idempotency key is 'job-refund:' || job id (unique in
--   ledger_entries), so two admins refunding the same job, or one Confirm replayed, credit once;
--   the second call returns 'already_refunded' with the first entry.
-- * The credit is an 'adjust_credit' entry (no new entry kind: the invariants and the balance
--   derivation stay as they are) that names the job, the admin and the reason, and the audit
--   record ('refund_job') is written by the same statement.
-- * Lock order, as everywhere: account -> job -> hold. A committed hold and its job's final
--   state never change again, so the account's lock alone serialises refunds of one job.

CREATE FUNCTION ledger_refund_job(p_job BIGINT, p_admin BIGINT, p_reason TEXT)
RETURNS TABLE (outcome TEXT, entry_id BIGINT, rub NUMERIC, available NUMERIC, held NUMERIC)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  uid BIGINT;
  acc accounts%ROWTYPE;
  j jobs%ROWTYPE;
  h holds%ROWTYPE;
  e ledger_entries%ROWTYPE;
  v_key TEXT := 'job-refund:' || p_job;
BEGIN
  IF p_admin IS NULL OR p_reason IS NULL OR btrim(p_reason) = '' THEN
    RAISE EXCEPTION 'ledger_refund_job: a refund needs an admin and a reason';
  END IF;
  SELECT jobs.user_id INTO uid FROM jobs WHERE jobs.id = p_job;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'not_found'::TEXT, NULL::BIGINT, NULL::NUMERIC, NULL::NUMERIC, NULL::NUMERIC;
    RETURN;
  END IF;
  SELECT * INTO acc FROM accounts a WHERE a.user_id = uid FOR UPDATE;
  SELECT * INTO j FROM jobs WHERE jobs.id = p_job;
  SELECT * INTO h FROM holds WHERE holds.job_id = p_job;
  SELECT * INTO e FROM ledger_entries le WHERE le.idempotency_key = v_key;
  IF FOUND THEN
    RETURN QUERY SELECT 'already_refunded'::TEXT, e.id, e.amount, acc.available, acc.held;
    RETURN;
  END IF;
  IF j.is_free OR h.id IS NULL OR h.state <> 'committed' THEN
    RETURN QUERY SELECT 'not_charged'::TEXT, NULL::BIGINT, j.price, acc.available, acc.held;
    RETURN;
  END IF;
  UPDATE accounts a SET available = a.available + h.amount, updated_at = now()
    WHERE a.user_id = uid RETURNING a.available, a.held INTO acc.available, acc.held;
  INSERT INTO ledger_entries (user_id, kind, amount, available_after, held_after, idempotency_key, job_id, admin_id, reason)
    VALUES (uid, 'adjust_credit', h.amount, acc.available, acc.held, v_key, p_job, p_admin, p_reason) RETURNING * INTO e;
  INSERT INTO audit_log (actor_id, action, target_user_id, details)
    VALUES (p_admin, 'refund_job', uid, jsonb_build_object(
      'job_id', p_job, 'model', j.model_id, 'rub', h.amount::TEXT, 'reason', p_reason, 'entry_id', e.id));
  RETURN QUERY SELECT 'refunded'::TEXT, e.id, h.amount, acc.available, acc.held;
END $$;
