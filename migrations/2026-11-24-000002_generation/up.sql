-- The generation pipeline's bookkeeping on jobs, user files waiting for Kie, service flags and
-- the events admins must see.
--
-- Rules kept here (ARCHITECTURE.md, "generation"):
-- * create_sent_at is written (and committed) immediately BEFORE createTask is sent. A job in
--   'submitting' without it never reached Kie and may be submitted again; a job with it and no
--   kie_task_id may have created a paid task and is never resubmitted blindly.
-- * Claiming work is one call of pipeline_claim: one statement, under one advisory lock, so the
--   per-user and global in-flight limits hold across several bot instances.

ALTER TABLE jobs ADD COLUMN create_sent_at      TIMESTAMPTZ;  -- createTask about to be sent
ALTER TABLE jobs ADD COLUMN deadline_at         TIMESTAMPTZ;  -- Kie must have finished by then
ALTER TABLE jobs ADD COLUMN next_check_at       TIMESTAMPTZ;  -- when a worker should look next (NULL: nothing to do)
ALTER TABLE jobs ADD COLUMN checks              INTEGER NOT NULL DEFAULT 0;  -- recordInfo calls made
ALTER TABLE jobs ADD COLUMN kie_state           TEXT;         -- the last state Kie reported
ALTER TABLE jobs ADD COLUMN running_at          TIMESTAMPTZ;  -- Kie first said it was generating
ALTER TABLE jobs ADD COLUMN kie_finished_at     TIMESTAMPTZ;  -- Kie reported success or fail
ALTER TABLE jobs ADD COLUMN delivery_attempts   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN late_success        BOOLEAN NOT NULL DEFAULT false;  -- Kie finished after we released
ALTER TABLE jobs ADD COLUMN leased_until        TIMESTAMPTZ;  -- a worker is on it until then
ALTER TABLE jobs ADD COLUMN failure_notified_at TIMESTAMPTZ;  -- the user was told it failed
ALTER TABLE jobs ADD CONSTRAINT jobs_task_after_send CHECK (kie_task_id IS NULL OR create_sent_at IS NOT NULL);

CREATE INDEX jobs_due ON jobs (next_check_at) WHERE next_check_at IS NOT NULL;
CREATE INDEX jobs_queue ON jobs (id) WHERE state = 'held';
CREATE INDEX jobs_in_flight ON jobs (user_id) WHERE state IN ('submitting', 'submitted', 'running');
CREATE INDEX jobs_model_done ON jobs (model_id, id DESC) WHERE kie_finished_at IS NOT NULL;

-- Files a user uploaded, kept until Kie has them (a crash before the upload loses nothing).
CREATE TABLE job_uploads (
  job_id     BIGINT NOT NULL REFERENCES jobs (id),
  param      TEXT NOT NULL,
  position   INTEGER NOT NULL CHECK (position >= 0),
  file_name  TEXT NOT NULL,
  mime       TEXT NOT NULL,
  size       BIGINT NOT NULL CHECK (size > 0),
  bytes      BYTEA,          -- set to NULL once Kie has the file
  kie_url    TEXT,           -- Kie's downloadUrl
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, param, position),
  CONSTRAINT job_uploads_kept_until_uploaded CHECK (bytes IS NOT NULL OR kie_url IS NOT NULL)
);

-- Service-wide switches shared by every instance ('kie_paused': new runs wait for Kie credit).
CREATE TABLE service_flags (
  name       TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  since      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What admins must see: a late success (Kie paid, user not charged), an ambiguous createTask,
-- Kie out of credit and back, a refused callback, a result that could not be delivered.
CREATE TABLE pipeline_events (
  id         BIGSERIAL PRIMARY KEY,
  job_id     BIGINT REFERENCES jobs (id),
  kind       TEXT NOT NULL CHECK (kind IN ('late_success', 'ambiguous_submit', 'kie_paused',
               'kie_resumed', 'kie_rejected', 'callback_refused', 'delivery_failed')),
  detail     TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX pipeline_events_recent ON pipeline_events (id DESC);
CREATE TRIGGER pipeline_events_append_only BEFORE UPDATE OR DELETE ON pipeline_events
  FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- Claims up to p_batch queued ('held') jobs for submission, oldest first, skipping rows other
-- workers hold, keeping at most p_per_user jobs of one user and p_global jobs in all in flight
-- (submitting, submitted, running). The claimed jobs move to 'submitting', leased to the
-- claimer; if it dies, the lease lapses and the job comes back through the due queue.
CREATE FUNCTION pipeline_claim(p_per_user INT, p_global INT, p_batch INT, p_lease INTERVAL)
RETURNS SETOF BIGINT LANGUAGE plpgsql AS $$
DECLARE
  room INT;
  busy INT;
  r RECORD;
BEGIN
  -- One claimer at a time (per database), so the counts below stay true until we return.
  PERFORM pg_advisory_xact_lock(hashtext('pipeline_claim'));
  SELECT count(*) INTO busy FROM jobs WHERE state IN ('submitting', 'submitted', 'running');
  room := least(p_batch, p_global - busy);
  IF room <= 0 THEN
    RETURN;
  END IF;
  FOR r IN
    SELECT j.id, j.user_id FROM jobs j
     WHERE j.state = 'held' AND (j.next_check_at IS NULL OR j.next_check_at <= now())
     ORDER BY j.id
     FOR UPDATE SKIP LOCKED
  LOOP
    EXIT WHEN room <= 0;
    SELECT count(*) INTO busy FROM jobs
     WHERE user_id = r.user_id AND state IN ('submitting', 'submitted', 'running');
    CONTINUE WHEN busy >= p_per_user;
    UPDATE jobs SET state = 'submitting', create_sent_at = NULL, next_check_at = now(),
                    leased_until = now() + p_lease, updated_at = now()
     WHERE id = r.id;
    room := room - 1;
    RETURN NEXT r.id;
  END LOOP;
END $$;

-- Cancels a job only while nothing can have reached Kie: queued ('held'), or claimed but with
-- createTask not yet marked as sent. Locks the job row first, so it serialises with the
-- worker's "create sent" mark: exactly one of the two wins. Returns whether it cancelled.
CREATE FUNCTION pipeline_cancel_queued(p_job BIGINT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
DECLARE
  uid BIGINT;
  j jobs%ROWTYPE;
BEGIN
  SELECT user_id INTO uid FROM jobs WHERE id = p_job;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- The ledger's lock order: account, then job.
  PERFORM 1 FROM accounts WHERE user_id = uid FOR UPDATE;
  SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
  IF NOT (j.state = 'held' OR (j.state = 'submitting' AND j.create_sent_at IS NULL)) THEN
    RETURN false;
  END IF;
  PERFORM ledger_finish_job(p_job, 'cancelled', 'cancelled', NULL, NULL);
  RETURN true;
END $$;
