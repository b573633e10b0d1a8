-- The ledger: users, accounts, append-only ledger entries, holds, Stars payments, jobs, free-quota
-- counters, settings history, audit log and processed Telegram updates.
--
-- Rules kept here, in the database, not only in Rust (ARCHITECTURE.md, "ledger"):
-- * Money is NUMERIC(14,2) rubles. available >= 0 and held >= 0 on every account.
-- * Every money movement is one call of a ledger_* function below. A single statement is a single
--   transaction: a client that is cancelled or loses its connection mid-call leaves nothing partial
--   and no transaction open on a pooled connection.
-- * Locks are always taken in the order account -> job -> hold -> payment -> free_usage, so two
--   money calls can wait for each other but never deadlock.
-- * ledger_entries and audit_log are append-only (triggers refuse UPDATE, DELETE and TRUNCATE).
-- * A hold ends exactly once: the holds trigger refuses any change to an ended hold, and a unique
--   index allows one ending entry per hold.
-- * No migration drops or rewrites data.

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$;

-- Users ----------------------------------------------------------------------------------------

CREATE TABLE users (
  id            BIGINT PRIMARY KEY,                -- the Telegram user id
  username      TEXT,
  first_name    TEXT NOT NULL DEFAULT '',
  last_name     TEXT,
  language      TEXT NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
  role          TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  banned        BOOLEAN NOT NULL DEFAULT false,
  ban_reason    TEXT,
  banned_by     BIGINT,
  banned_at     TIMESTAMPTZ,
  reachable     BOOLEAN NOT NULL DEFAULT true,     -- false once Telegram answered 403
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT users_ban_fields CHECK (banned OR (ban_reason IS NULL AND banned_by IS NULL AND banned_at IS NULL)),
  CONSTRAINT users_banned_at CHECK (NOT banned OR banned_at IS NOT NULL)
);

-- Accounts: one per user, opened by trigger, so a user without an account cannot exist.
CREATE TABLE accounts (
  user_id     BIGINT PRIMARY KEY REFERENCES users (id),
  available   NUMERIC(14,2) NOT NULL DEFAULT 0 CHECK (available >= 0),
  held        NUMERIC(14,2) NOT NULL DEFAULT 0 CHECK (held >= 0),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION open_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO accounts (user_id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER users_open_account AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION open_account();

-- Jobs -----------------------------------------------------------------------------------------

CREATE TABLE jobs (
  id                   BIGSERIAL PRIMARY KEY,
  user_id              BIGINT NOT NULL REFERENCES users (id),
  idempotency_key      TEXT NOT NULL UNIQUE,        -- a double tap on Run finds the same job
  model_id             TEXT NOT NULL,
  input                JSONB NOT NULL,              -- the validated input, as sent to Kie
  price                NUMERIC(14,2) NOT NULL CHECK (price >= 0),
  kie_credits          NUMERIC(16,4) NOT NULL CHECK (kie_credits >= 0),
  kie_cost_usd         NUMERIC(16,6) NOT NULL CHECK (kie_cost_usd >= 0),
  breakdown            JSONB NOT NULL,
  is_free              BOOLEAN NOT NULL,
  state                TEXT NOT NULL DEFAULT 'created' CHECK (state IN (
                         'created', 'held', 'submitting', 'submitted', 'running',
                         'succeeded', 'delivered', 'failed', 'cancelled', 'expired')),
  chat_id              BIGINT,
  progress_message_id  INTEGER,
  kie_task_id          TEXT UNIQUE,
  result               JSONB,                       -- result URLs and delivery flags
  failure_code         TEXT,
  failure_message      TEXT,
  free_consumed_at     TIMESTAMPTZ,                 -- the free-quota window this job used
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  held_at              TIMESTAMPTZ,
  submitted_at         TIMESTAMPTZ,
  finished_at          TIMESTAMPTZ,
  delivered_at         TIMESTAMPTZ,
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT jobs_free_means_zero_price CHECK (is_free = (price = 0)),
  CONSTRAINT jobs_free_consumed_only_free CHECK (is_free OR free_consumed_at IS NULL),
  CONSTRAINT jobs_finished_at CHECK (
    (state IN ('succeeded', 'delivered', 'failed', 'cancelled', 'expired')) = (finished_at IS NOT NULL))
);
CREATE INDEX jobs_user_recent ON jobs (user_id, id DESC);
CREATE INDEX jobs_unfinished ON jobs (id) WHERE state IN ('held', 'submitting', 'submitted', 'running');

-- Holds: money moved from available to held for one job, ended exactly once. --------------------

CREATE TABLE holds (
  id          BIGSERIAL PRIMARY KEY,
  user_id     BIGINT NOT NULL REFERENCES accounts (user_id),
  job_id      BIGINT NOT NULL UNIQUE REFERENCES jobs (id),
  amount      NUMERIC(14,2) NOT NULL CHECK (amount > 0),
  state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'committed', 'released', 'expired')),
  expires_at  TIMESTAMPTZ NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  ended_at    TIMESTAMPTZ,
  end_reason  TEXT,
  CONSTRAINT holds_ended_at CHECK ((state = 'open') = (ended_at IS NULL))
);
CREATE INDEX holds_open_due ON holds (expires_at) WHERE state = 'open';

CREATE FUNCTION holds_end_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state <> 'open' THEN
    RAISE EXCEPTION 'hold % already ended as %', OLD.id, OLD.state;
  END IF;
  IF NEW.amount <> OLD.amount OR NEW.user_id <> OLD.user_id OR NEW.job_id <> OLD.job_id THEN
    RAISE EXCEPTION 'hold %: amount, user and job never change', OLD.id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER holds_end_once BEFORE UPDATE ON holds FOR EACH ROW EXECUTE FUNCTION holds_end_once();
CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Telegram Stars payments ------------------------------------------------------------------------

CREATE TABLE payments (
  id                          BIGSERIAL PRIMARY KEY,
  user_id                     BIGINT NOT NULL REFERENCES accounts (user_id),
  telegram_payment_charge_id  TEXT NOT NULL UNIQUE,
  provider_payment_charge_id  TEXT,
  invoice_payload             TEXT NOT NULL,
  xtr_amount                  INTEGER NOT NULL CHECK (xtr_amount > 0),
  rub_credited                NUMERIC(14,2) NOT NULL CHECK (rub_credited > 0),
  state                       TEXT NOT NULL DEFAULT 'credited' CHECK (state IN ('credited', 'refunded')),
  created_at                  TIMESTAMPTZ NOT NULL DEFAULT now(),
  refunded_at                 TIMESTAMPTZ,
  refunded_by                 BIGINT,
  refund_reason               TEXT,
  CONSTRAINT payments_refunded_at CHECK ((state = 'refunded') = (refunded_at IS NOT NULL))
);
CREATE INDEX payments_user_recent ON payments (user_id, id DESC);

-- Ledger entries: every change of every account, append-only. ----------------------------------

CREATE TABLE ledger_entries (
  id               BIGSERIAL PRIMARY KEY,
  user_id          BIGINT NOT NULL REFERENCES accounts (user_id),
  kind             TEXT NOT NULL CHECK (kind IN (
                     'topup_stars', 'refund_stars', 'hold', 'commit', 'release', 'expire',
                     'adjust_credit', 'adjust_debit', 'bonus')),
  amount           NUMERIC(14,2) NOT NULL CHECK (amount > 0),
  -- What the entry did to the account, derived from kind and amount so it cannot disagree.
  available_delta  NUMERIC(14,2) NOT NULL GENERATED ALWAYS AS (CASE
                     WHEN kind IN ('topup_stars', 'adjust_credit', 'bonus', 'release', 'expire') THEN amount
                     WHEN kind IN ('refund_stars', 'adjust_debit', 'hold') THEN -amount
                     ELSE 0 END) STORED,
  held_delta       NUMERIC(14,2) NOT NULL GENERATED ALWAYS AS (CASE
                     WHEN kind = 'hold' THEN amount
                     WHEN kind IN ('commit', 'release', 'expire') THEN -amount
                     ELSE 0 END) STORED,
  available_after  NUMERIC(14,2) NOT NULL CHECK (available_after >= 0),
  held_after       NUMERIC(14,2) NOT NULL CHECK (held_after >= 0),
  idempotency_key  TEXT NOT NULL UNIQUE,
  hold_id          BIGINT REFERENCES holds (id),
  job_id           BIGINT REFERENCES jobs (id),
  payment_id       BIGINT REFERENCES payments (id),
  admin_id         BIGINT,
  reason           TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT entries_hold_ref CHECK ((kind IN ('hold', 'commit', 'release', 'expire')) = (hold_id IS NOT NULL AND job_id IS NOT NULL)),
  CONSTRAINT entries_payment_ref CHECK ((kind IN ('topup_stars', 'refund_stars')) = (payment_id IS NOT NULL)),
  CONSTRAINT entries_admin_ref CHECK (kind NOT IN ('adjust_credit', 'adjust_debit') OR (admin_id IS NOT NULL AND reason IS NOT NULL))
);
CREATE INDEX entries_user_recent ON ledger_entries (user_id, id DESC);
CREATE UNIQUE INDEX entries_one_hold_per_hold ON ledger_entries (hold_id) WHERE kind = 'hold';
CREATE UNIQUE INDEX entries_one_end_per_hold ON ledger_entries (hold_id) WHERE kind IN ('commit', 'release', 'expire');
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Free quota counters: fixed UTC day and hour windows per user and model. -----------------------

CREATE TABLE free_usage (
  user_id       BIGINT NOT NULL REFERENCES users (id),
  model_id      TEXT NOT NULL,
  window_kind   TEXT NOT NULL CHECK (window_kind IN ('day', 'hour')),
  window_start  TIMESTAMPTZ NOT NULL,
  used          INTEGER NOT NULL CHECK (used >= 0),
  PRIMARY KEY (user_id, model_id, window_kind, window_start)
);

-- Runtime settings: every change is a row; the newest row per key is in force. NULL = back to the file.

CREATE TABLE settings_history (
  id          BIGSERIAL PRIMARY KEY,
  key         TEXT NOT NULL,
  value       TEXT,
  changed_by  BIGINT NOT NULL,
  reason      TEXT NOT NULL,
  changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settings_history_key ON settings_history (key, id DESC);
CREATE TRIGGER settings_history_append_only BEFORE UPDATE OR DELETE ON settings_history FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Audit log: admin actions and notable system events, append-only. ------------------------------

CREATE TABLE audit_log (
  id              BIGSERIAL PRIMARY KEY,
  at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  actor_id        BIGINT,                          -- the admin; NULL for the system
  action          TEXT NOT NULL,
  target_user_id  BIGINT,
  details         JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_recent ON audit_log (id DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Telegram updates already handled (duplicates are dropped); pruned by age. ----------------------

CREATE TABLE processed_updates (
  update_id     BIGINT PRIMARY KEY,
  processed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX processed_updates_age ON processed_updates (processed_at);
