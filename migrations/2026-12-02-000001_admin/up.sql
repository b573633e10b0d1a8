-- The admin panel's own tables (owned by the `admin` crate, which uses its own SQL; the
-- ledger's schema.rs leaves them out).

-- Who may open /admin, and with what role. The ids in ADMIN_IDS are seeded as owners at every
-- start; an owner adds and removes the others from Telegram.
CREATE TABLE admins (
  user_id BIGINT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('owner', 'support')),
  -- NULL: seeded from ADMIN_IDS.
  added_by BIGINT,
  added_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Dangerous actions are two-step: the first tap stores what, to whom, how much and why; the
-- Confirm button names the row. A row is taken from 'pending' exactly once, by the admin who
-- made it and before it expires, so a replayed or double-tapped Confirm does nothing more.
CREATE TABLE admin_actions (
  id BIGSERIAL PRIMARY KEY,
  admin_id BIGINT NOT NULL,
  kind TEXT NOT NULL,
  target_user_id BIGINT,
  details JSONB NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL,
  taken_at TIMESTAMPTZ,
  ended_at TIMESTAMPTZ,
  outcome JSONB,
  CHECK (expires_at > created_at)
);
CREATE INDEX admin_actions_pending ON admin_actions (admin_id) WHERE state = 'pending';
