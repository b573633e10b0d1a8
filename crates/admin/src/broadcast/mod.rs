//! Broadcasts (tables `broadcasts` and `broadcast_recipients`): one message from an owner to all
//! users or a [`Segment`], and the sender that delivers it within Telegram's limits.
//!
//! # How a broadcast goes
//! 1. `/broadcast <segment> <text>` proposes a pending action (`Plan::Broadcast`); its preview
//!    *is* the message (the owner's Telegram HTML, sent as is) plus the number of recipients,
//!    so Telegram's answer to the preview is the check that it will accept the text.
//! 2. Confirm runs [`create`]: one statement stores the broadcast, one recipient row per user
//!    of the segment who is reachable and not banned, and its audit record. The recipient set
//!    is fixed from then on; the primary key makes "at most once per user" the table's rule.
//! 3. The sender ([`run`], one per instance) claims a few pending rows of running broadcasts
//!    with `FOR UPDATE SKIP LOCKED` ([`claim`]: two instances never claim the same row), sends
//!    each through [`tg_kit::UiBot`] behind its **bulk** allowance (half the overall rate, so users'
//!    taps keep the other half), evenly spaced (no burst), and records the outcome with the
//!    counts in one statement:
//!    `sent`; `blocked` for a 403 (the user is marked unreachable); `failed` otherwise. A 429
//!    that outlasts `with_retry_after` puts the row back to pending (it was not delivered) and
//!    the sender waits as long as Telegram asked.
//! 4. Pause, Resume and Cancel ([`change`]) change the broadcast's state, audited in the same
//!    statement; the sender claims rows of running broadcasts only, so a change takes effect
//!    within the batch in flight. A broadcast whose rows are all ended is `done`.
//!
//! # At most once
//! A claimed row (`sending`) is ended exactly once. If its instance dies between the send and
//! the record, nobody knows whether Telegram delivered it, so after
//! [`WorkerConfig::stale_claim`] it is closed as `failed` — never sent again.
//!
//! # What this module must never do
//! Send a row it did not claim, claim a row of a broadcast that is not running, or hold a
//! database connection across a Telegram call.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ledger::UserId;
use serde::{Deserialize, Serialize};

mod sender;

pub use sender::{WorkerConfig, run};

/// The longest broadcast text, in characters: the preview adds the recipients line and the
/// confirmation's expiry, and must still fit Telegram's 4096.
pub const MAX_TEXT_CHARS: usize = 3800;

/// Whom a broadcast goes to (always only users who are reachable and not banned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    /// Everyone.
    All,
    /// Seen in the last 30 days.
    Active30,
    /// With at least one Stars payment still credited.
    Paying,
    /// Speaking Russian with the bot.
    Ru,
    /// Speaking English with the bot.
    En,
}

impl Segment {
    /// Every segment, in the order the usage line names them.
    pub const ALL: [Segment; 5] = [
        Segment::All,
        Segment::Active30,
        Segment::Paying,
        Segment::Ru,
        Segment::En,
    ];

    /// The command's (and the database's) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::All => "all",
            Segment::Active30 => "active30",
            Segment::Paying => "paying",
            Segment::Ru => "ru",
            Segment::En => "en",
        }
    }

    /// Parses a segment name (any ASCII case); `None` for anything else.
    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL
            .into_iter()
            .find(|seg| seg.as_str().eq_ignore_ascii_case(s))
    }

    /// The condition on `users u` (fixed text per segment: nothing from a caller is formatted
    /// into SQL).
    fn condition(self) -> &'static str {
        match self {
            Segment::All => "TRUE",
            Segment::Active30 => "u.last_seen_at > now() - interval '30 days'",
            Segment::Paying => {
                "EXISTS (SELECT 1 FROM payments p WHERE p.user_id = u.id AND p.state = 'credited')"
            }
            Segment::Ru => "u.language = 'ru'",
            Segment::En => "u.language = 'en'",
        }
    }

    /// The users of the segment who may get a broadcast, as SQL selecting `u.id`.
    fn recipients_sql(self) -> String {
        format!(
            "SELECT u.id FROM users u WHERE u.reachable AND NOT u.banned AND ({})",
            self.condition()
        )
    }
}

/// Where a broadcast is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Being sent.
    Running,
    /// Held by an owner; Resume goes on where it stopped.
    Paused,
    /// Stopped for good by an owner; what was not sent never will be.
    Cancelled,
    /// Every recipient's row has ended.
    Done,
}

impl State {
    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Paused => "paused",
            State::Cancelled => "cancelled",
            State::Done => "done",
        }
    }

    fn parse(s: &str) -> Option<State> {
        [State::Running, State::Paused, State::Cancelled, State::Done]
            .into_iter()
            .find(|st| st.as_str() == s)
    }
}

/// A broadcast with its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    /// Its id.
    pub id: i64,
    /// The owner who confirmed it.
    pub created_by: UserId,
    /// Whom it goes to.
    pub segment: Segment,
    /// The message (Telegram HTML).
    pub text: String,
    /// Where it is.
    pub state: State,
    /// Recipients fixed at creation.
    pub total: i64,
    /// Delivered.
    pub sent: i64,
    /// Refused by Telegram for another reason than a block (or interrupted).
    pub failed: i64,
    /// The user blocked the bot (403): now marked unreachable.
    pub blocked: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Done or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Broadcast {
    /// Recipients not yet ended (pending or being sent).
    pub fn pending(&self) -> i64 {
        self.total - self.sent - self.failed - self.blocked
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    created_by: i64,
    #[diesel(sql_type = Text)]
    segment: String,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Integer)]
    total: i32,
    #[diesel(sql_type = Integer)]
    sent: i32,
    #[diesel(sql_type = Integer)]
    failed: i32,
    #[diesel(sql_type = Integer)]
    blocked: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    finished_at: Option<DateTime<Utc>>,
}

impl Row {
    fn into_broadcast(self) -> anyhow::Result<Broadcast> {
        Ok(Broadcast {
            id: self.id,
            created_by: UserId(self.created_by),
            segment: Segment::parse(&self.segment).ok_or_else(|| {
                anyhow::anyhow!("broadcast {}: segment {:?}", self.id, self.segment)
            })?,
            text: self.text,
            state: State::parse(&self.state)
                .ok_or_else(|| anyhow::anyhow!("broadcast {}: state {:?}", self.id, self.state))?,
            total: self.total.into(),
            sent: self.sent.into(),
            failed: self.failed.into(),
            blocked: self.blocked.into(),
            created_at: self.created_at,
            finished_at: self.finished_at,
        })
    }
}

const COLUMNS: &str =
    "id, created_by, segment, text, state, total, sent, failed, blocked, created_at, finished_at";

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many users `segment` would reach now.
pub async fn count_recipients(
    conn: &mut AsyncPgConnection,
    segment: Segment,
) -> anyhow::Result<i64> {
    let row: Count = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM ({}) chosen",
        segment.recipients_sql()
    ))
    .get_result(conn)
    .await?;
    Ok(row.n)
}

/// Creates the broadcast of confirmed pending action `action`: the broadcast, its recipients
/// (the segment now) and the audit record, in one statement. Idempotent by `action`: a second
/// call returns the broadcast the first made.
pub async fn create(
    conn: &mut AsyncPgConnection,
    by: UserId,
    action: i64,
    segment: Segment,
    text: &str,
) -> anyhow::Result<Broadcast> {
    let made: Vec<Row> = diesel::sql_query(format!(
        "WITH chosen AS ({recipients}), \
         made AS (\
           INSERT INTO broadcasts (created_by, action_id, segment, text, total) \
           SELECT $1, $2, $3, $4, (SELECT count(*) FROM chosen)::INTEGER \
           ON CONFLICT (action_id) DO NOTHING RETURNING {COLUMNS}), \
         listed AS (\
           INSERT INTO broadcast_recipients (broadcast_id, user_id) \
           SELECT made.id, chosen.id FROM made, chosen), \
         audited AS (\
           INSERT INTO audit_log (actor_id, action, details) \
           SELECT $1, 'broadcast_create', jsonb_build_object('broadcast', id, 'segment', segment, \
             'recipients', total, 'action', $2::BIGINT) FROM made) \
         SELECT {COLUMNS} FROM made",
        recipients = segment.recipients_sql()
    ))
    .bind::<BigInt, _>(by.0)
    .bind::<BigInt, _>(action)
    .bind::<Text, _>(segment.as_str())
    .bind::<Text, _>(text)
    .load(conn)
    .await?;
    if let Some(row) = made.into_iter().next() {
        return row.into_broadcast();
    }
    let existing: Row = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM broadcasts WHERE action_id = $1"
    ))
    .bind::<BigInt, _>(action)
    .get_result(conn)
    .await?;
    existing.into_broadcast()
}

/// The newest broadcasts, newest first.
pub async fn recent(conn: &mut AsyncPgConnection, limit: i64) -> anyhow::Result<Vec<Broadcast>> {
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT $1"
    ))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    rows.into_iter().map(Row::into_broadcast).collect()
}

/// One broadcast.
pub async fn get(conn: &mut AsyncPgConnection, id: i64) -> anyhow::Result<Option<Broadcast>> {
    let rows: Vec<Row> =
        diesel::sql_query(format!("SELECT {COLUMNS} FROM broadcasts WHERE id = $1"))
            .bind::<BigInt, _>(id)
            .load(conn)
            .await?;
    rows.into_iter().next().map(Row::into_broadcast).transpose()
}

/// What an owner does to a broadcast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// running → paused.
    Pause,
    /// paused → running.
    Resume,
    /// running or paused → cancelled (for good).
    Cancel,
}

impl Change {
    fn action(self) -> &'static str {
        match self {
            Change::Pause => "broadcast_pause",
            Change::Resume => "broadcast_resume",
            Change::Cancel => "broadcast_cancel",
        }
    }

    fn applies_to(self) -> Vec<&'static str> {
        match self {
            Change::Pause => vec!["running"],
            Change::Resume => vec!["paused"],
            Change::Cancel => vec!["running", "paused"],
        }
    }

    fn leads_to(self) -> State {
        match self {
            Change::Pause => State::Paused,
            Change::Resume => State::Running,
            Change::Cancel => State::Cancelled,
        }
    }
}

/// Applies `change` to broadcast `id` with its audit record, in one statement; false when the
/// broadcast was not in a state it applies to (already done, cancelled, or unknown).
pub async fn change(
    conn: &mut AsyncPgConnection,
    by: UserId,
    id: i64,
    change: Change,
) -> anyhow::Result<bool> {
    let n = diesel::sql_query(
        "WITH changed AS (\
           UPDATE broadcasts SET state = $3, \
             finished_at = CASE WHEN $3 = 'cancelled' THEN now() ELSE finished_at END \
           WHERE id = $2 AND state = ANY($4) RETURNING id) \
         INSERT INTO audit_log (actor_id, action, details) \
         SELECT $1, $5, jsonb_build_object('broadcast', id) FROM changed",
    )
    .bind::<BigInt, _>(by.0)
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(change.leads_to().as_str())
    .bind::<Array<Text>, _>(change.applies_to())
    .bind::<Text, _>(change.action())
    .execute(conn)
    .await?;
    Ok(n > 0)
}

/// A recipient row claimed for sending.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct Claimed {
    /// The broadcast.
    #[diesel(sql_type = BigInt)]
    pub broadcast_id: i64,
    /// The user (and their private chat).
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    /// The message.
    #[diesel(sql_type = Text)]
    pub text: String,
    /// Banned since the broadcast was created (not sent: `failed`).
    #[diesel(sql_type = Bool)]
    pub banned: bool,
    /// False when they blocked the bot since (not sent: `blocked`).
    #[diesel(sql_type = Bool)]
    pub reachable: bool,
}

/// Claims up to `batch` pending rows of running broadcasts (oldest broadcast first) for
/// `instance`. Rows another instance is claiming are skipped, not waited for.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    instance: &str,
    batch: usize,
) -> anyhow::Result<Vec<Claimed>> {
    Ok(diesel::sql_query(
        "WITH picked AS (\
           SELECT r.broadcast_id, r.user_id FROM broadcast_recipients r \
           JOIN broadcasts b ON b.id = r.broadcast_id \
           WHERE r.state = 'pending' AND b.state = 'running' \
           ORDER BY r.broadcast_id, r.user_id LIMIT $2 \
           FOR UPDATE OF r SKIP LOCKED), \
         claimed AS (\
           UPDATE broadcast_recipients r SET state = 'sending', claimed_by = $1, claimed_at = now() \
           FROM picked WHERE r.broadcast_id = picked.broadcast_id AND r.user_id = picked.user_id \
           RETURNING r.broadcast_id, r.user_id) \
         SELECT c.broadcast_id, c.user_id, b.text, u.banned, u.reachable \
         FROM claimed c JOIN broadcasts b ON b.id = c.broadcast_id JOIN users u ON u.id = c.user_id \
         ORDER BY c.broadcast_id, c.user_id",
    )
    .bind::<Text, _>(instance)
    .bind::<BigInt, _>(i64::try_from(batch.max(1)).unwrap_or(i64::MAX))
    .load(conn)
    .await?)
}

/// How one recipient's send ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered.
    Sent,
    /// Not delivered, for this reason.
    Failed(String),
    /// The user blocked the bot.
    Blocked,
}

/// Ends a claimed row and counts it, in one statement (nothing happens for a row that is not
/// being sent: it was ended already).
pub async fn record(
    conn: &mut AsyncPgConnection,
    broadcast: i64,
    user: i64,
    outcome: &Outcome,
) -> anyhow::Result<()> {
    let (state, error) = match outcome {
        Outcome::Sent => ("sent", None),
        Outcome::Failed(why) => ("failed", Some(tg_kit::send::clip_to(why, 500))),
        Outcome::Blocked => ("blocked", None),
    };
    diesel::sql_query(
        "WITH ended AS (\
           UPDATE broadcast_recipients SET state = $3, done_at = now(), error = $4 \
           WHERE broadcast_id = $1 AND user_id = $2 AND state = 'sending' RETURNING broadcast_id) \
         UPDATE broadcasts b SET sent = sent + ($3 = 'sent')::INTEGER, \
           failed = failed + ($3 = 'failed')::INTEGER, blocked = blocked + ($3 = 'blocked')::INTEGER \
         FROM ended WHERE b.id = ended.broadcast_id",
    )
    .bind::<BigInt, _>(broadcast)
    .bind::<BigInt, _>(user)
    .bind::<Text, _>(state)
    .bind::<Nullable<Text>, _>(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a claimed row back to pending (Telegram refused it with 429: not delivered).
pub async fn release(
    conn: &mut AsyncPgConnection,
    broadcast: i64,
    user: i64,
) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE broadcast_recipients SET state = 'pending', claimed_by = NULL, claimed_at = NULL \
         WHERE broadcast_id = $1 AND user_id = $2 AND state = 'sending'",
    )
    .bind::<BigInt, _>(broadcast)
    .bind::<BigInt, _>(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks running broadcasts whose rows have all ended as done; returns how many.
pub async fn finish_done(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    Ok(diesel::sql_query(
        "UPDATE broadcasts b SET state = 'done', finished_at = now() \
         WHERE state = 'running' AND NOT EXISTS (\
           SELECT 1 FROM broadcast_recipients r \
           WHERE r.broadcast_id = b.id AND r.state IN ('pending', 'sending'))",
    )
    .execute(conn)
    .await?)
}

/// Closes claims older than `older_than` as failed (their instance died between the send and
/// the record: delivered or not, they are never sent again); returns how many.
pub async fn close_stale_claims(
    conn: &mut AsyncPgConnection,
    older_than: Duration,
) -> anyhow::Result<usize> {
    #[derive(diesel::QueryableByName)]
    struct Closed {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let closed: Closed = diesel::sql_query(
        "WITH stale AS (\
           UPDATE broadcast_recipients SET state = 'failed', done_at = now(), \
             error = 'interrupted: the sending instance stopped before recording the outcome' \
           WHERE state = 'sending' AND claimed_at < now() - make_interval(secs => $1) \
           RETURNING broadcast_id), \
         per AS (SELECT broadcast_id, count(*)::INTEGER AS n FROM stale GROUP BY broadcast_id), \
         counted AS (\
           UPDATE broadcasts b SET failed = failed + per.n FROM per WHERE b.id = per.broadcast_id) \
         SELECT count(*) AS n FROM stale",
    )
    .bind::<Double, _>(older_than.as_secs_f64())
    .get_result(conn)
    .await?;
    Ok(usize::try_from(closed.n).unwrap_or(0))
}
