-- The production runtime: the poller lease (owned by crates/lock) and the update inbox (owned by
-- crates/inbox). Neither holds money; both only add.

-- One row per singleton (today: "telegram-poller:<bot id>"). Whoever holds an unexpired row may
-- poll; every acquisition bumps `epoch`, the fencing token that writes made under the lease
-- carry, so a holder that lost the lease (paused, cut off) can no longer write as the holder.
-- All times are the database's clock: instances' clocks never decide who holds it.
CREATE TABLE poller_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL CHECK (epoch > 0),
    acquired_at TIMESTAMPTZ NOT NULL,
    renewed_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- Every Telegram update, stored before Telegram is told we have it (the next getUpdates
-- offset, or the webhook's 200). `lane` is the chat (else the user, else the update itself):
-- a lane's updates are handled one at a time in update_id order, lanes in parallel.
CREATE TABLE inbox_updates (
    update_id   BIGINT PRIMARY KEY,
    lane        BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    payload     JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- pending → working (claimed under a lease) → done | failed; a lapsed lease → claimed again.
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'working', 'done', 'failed')),
    attempts    INT NOT NULL DEFAULT 0,
    worker      TEXT,
    leased_until TIMESTAMPTZ,
    handled_at  TIMESTAMPTZ,
    CHECK ((state = 'working') = (worker IS NOT NULL AND leased_until IS NOT NULL))
);
-- The claim reads only unfinished rows, lane by lane.
CREATE INDEX inbox_unfinished ON inbox_updates (lane, update_id) WHERE state IN ('pending', 'working');
CREATE INDEX inbox_received ON inbox_updates (received_at);

-- Stores polled updates only while `p_epoch` still holds the lease `p_name` (checked under a
-- row lock, so a takeover waits for this insert and this insert fails after a takeover).
-- Returns the number of new rows, or -1 when the lease is lost (nothing stored).
CREATE FUNCTION inbox_store_polled(p_name TEXT, p_holder TEXT, p_epoch BIGINT,
                                   p_ids BIGINT[], p_lanes BIGINT[], p_kinds TEXT[], p_payloads JSONB[])
RETURNS INT LANGUAGE plpgsql AS $$
DECLARE
    stored INT;
BEGIN
    PERFORM 1 FROM poller_leases
     WHERE name = p_name AND holder = p_holder AND epoch = p_epoch AND expires_at > clock_timestamp()
       FOR SHARE;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    INSERT INTO inbox_updates (update_id, lane, kind, payload)
    SELECT * FROM unnest(p_ids, p_lanes, p_kinds, p_payloads)
    ON CONFLICT (update_id) DO NOTHING;
    GET DIAGNOSTICS stored = ROW_COUNT;
    RETURN stored;
END $$;

-- One round trip per worker cycle: marks the worker's finished updates done or failed, renews
-- the leases of those still running, then claims up to `p_max` lane heads — the oldest
-- unfinished update of each lane that no live worker holds. Claims are serialised by one
-- transaction-scoped advisory lock, so two workers never take the same lane at once.
-- An update whose lease lapsed three times (it crashed its workers) is set aside as failed.
-- Its commit does not wait for the disk: a claim or a done mark lost in a database crash (only
-- the last few milliseconds before it; WAL keeps them in order, so no later commit survives
-- without them) means the update is handled again — never lost. Stores stay synchronous.
CREATE FUNCTION inbox_claim(p_worker TEXT, p_done BIGINT[], p_failed BIGINT[], p_renew BIGINT[],
                            p_max INT, p_lease_ms INT)
RETURNS TABLE (update_id BIGINT, lane BIGINT, kind TEXT, payload JSONB, attempts INT, received_at TIMESTAMPTZ)
LANGUAGE plpgsql SET synchronous_commit = off AS $$
DECLARE
    lease INTERVAL := make_interval(secs => p_lease_ms / 1000.0);
BEGIN
    UPDATE inbox_updates u
       SET state = CASE WHEN u.update_id = ANY (p_failed) THEN 'failed' ELSE 'done' END,
           handled_at = clock_timestamp(), worker = NULL, leased_until = NULL
     WHERE (u.update_id = ANY (p_done) OR u.update_id = ANY (p_failed))
       AND u.state = 'working' AND u.worker = p_worker;
    UPDATE inbox_updates u SET leased_until = clock_timestamp() + lease
     WHERE u.update_id = ANY (p_renew) AND u.state = 'working' AND u.worker = p_worker;
    IF p_max <= 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(7235937140551233281);  -- 'inbox' claim lock
    UPDATE inbox_updates u
       SET state = 'failed', handled_at = clock_timestamp(), worker = NULL, leased_until = NULL
     WHERE u.state = 'working' AND u.leased_until < clock_timestamp() AND u.attempts >= 3;
    RETURN QUERY
    WITH heads AS (
        SELECT DISTINCT ON (i.lane) i.update_id AS id, i.state AS st, i.leased_until AS until
          FROM inbox_updates i
         WHERE i.state IN ('pending', 'working')
         ORDER BY i.lane, i.update_id
    ), picked AS (
        SELECT h.id FROM heads h
         WHERE h.st = 'pending' OR h.until < clock_timestamp()
         ORDER BY h.id
         LIMIT p_max
    )
    UPDATE inbox_updates i
       SET state = 'working', worker = p_worker, leased_until = clock_timestamp() + lease,
           attempts = i.attempts + 1
      FROM picked
     WHERE i.update_id = picked.id
    RETURNING i.update_id, i.lane, i.kind, i.payload, i.attempts, i.received_at;
END $$;

-- Who is alive (owned by crates/lock): every instance heartbeats its row every few seconds.
-- Limits that belong to the bot token and the Kie key (Telegram's 30 messages/s, Kie's create
-- and status windows) are split between the live instances, so the deployment as a whole
-- stays within them however many instances run.
CREATE TABLE instances (
    name       TEXT PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    last_seen  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
