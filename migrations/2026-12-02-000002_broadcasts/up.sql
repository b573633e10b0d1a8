-- Broadcasts: one message from an owner to all users or a segment (owned by the `admin` crate,
-- which uses its own SQL; the ledger's schema.rs leaves these tables out).
--
-- Rules kept here:
-- * The recipients are fixed when the broadcast is created (one row per user, from the segment,
--   reachable and not banned at that moment): the primary key makes "at most once per user" a
--   property of the table, whatever restarts or how many instances send.
-- * A recipient row leaves 'pending' only by being claimed ('sending', by one instance, under
--   FOR UPDATE SKIP LOCKED), and leaves 'sending' exactly once: 'sent', 'failed' or 'blocked'
--   (a claim whose instance died is closed as 'failed', never sent again), or back to 'pending'
--   when Telegram answered 429 (it was not delivered).
-- * The counts on `broadcasts` are changed by the same statement as the recipient row, so
--   sent + failed + blocked is always the number of recipient rows in those states.
-- * No migration drops or rewrites data.

CREATE TABLE broadcasts (
  id           BIGSERIAL PRIMARY KEY,
  created_by   BIGINT NOT NULL,
  -- The Confirm that created it (its pending action): a broadcast per confirmation at most.
  action_id    BIGINT UNIQUE,
  segment      TEXT NOT NULL CHECK (segment IN ('all', 'active30', 'paying', 'ru', 'en')),
  -- Telegram HTML as the owner wrote it, sent as is (the preview proved Telegram accepts it).
  text         TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 4096),
  state        TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'cancelled', 'done')),
  total        INTEGER NOT NULL CHECK (total >= 0),
  sent         INTEGER NOT NULL DEFAULT 0 CHECK (sent >= 0),
  failed       INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),
  blocked      INTEGER NOT NULL DEFAULT 0 CHECK (blocked >= 0),
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at  TIMESTAMPTZ,
  CHECK (sent + failed + blocked <= total),
  CHECK ((state IN ('cancelled', 'done')) = (finished_at IS NOT NULL))
);
CREATE INDEX broadcasts_recent ON broadcasts (id DESC);

CREATE TABLE broadcast_recipients (
  broadcast_id  BIGINT NOT NULL REFERENCES broadcasts (id),
  user_id       BIGINT NOT NULL REFERENCES users (id),
  state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'blocked')),
  -- The instance that claimed it, and when (NULL while pending).
  claimed_by    TEXT,
  claimed_at    TIMESTAMPTZ,
  -- When it ended, and why it failed.
  done_at       TIMESTAMPTZ,
  error         TEXT,
  PRIMARY KEY (broadcast_id, user_id),
  CHECK (state <> 'sending' OR claimed_at IS NOT NULL),
  CHECK ((state IN ('sent', 'failed', 'blocked')) = (done_at IS NOT NULL))
);
-- What the senders look for: the open rows, oldest broadcast first.
CREATE INDEX broadcast_recipients_open ON broadcast_recipients (broadcast_id, user_id)
  WHERE state IN ('pending', 'sending');
