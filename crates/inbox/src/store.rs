//! The inbox's statements. Each is one statement (the two that need several steps are SQL
//! functions in the `runtime` migration), so no transaction is ever held open from Rust.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Jsonb, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// A database error: nothing was stored or claimed; try again.
    #[error("inbox query failed: {0}")]
    Db(#[from] diesel::result::Error),
}

/// An update as it arrived, with what the inbox needs to know of it.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    /// Telegram's `update_id`.
    pub update_id: i64,
    /// The chat (or user) whose updates are handled in order.
    pub lane: i64,
    /// `message`, `callback_query`, `pre_checkout_query`, … (the update's field name).
    pub kind: String,
    /// The update exactly as Telegram sent it.
    pub payload: Value,
}

/// Reads `update_id`, lane and kind from a raw update. `None` if it has no integer
/// `update_id` (not an update at all).
///
/// A `pre_checkout_query` gets a lane of its own: Telegram wants its answer within 10 s, so it
/// must never wait behind the user's other updates (its answer depends on none of them; the
/// payment itself arrives later as a message, in the chat's lane).
pub fn describe(payload: Value) -> Option<Incoming> {
    let update_id = payload.get("update_id")?.as_i64()?;
    let object = payload.as_object()?;
    let (kind, body) = object
        .iter()
        .find(|(key, value)| *key != "update_id" && value.is_object())
        .map(|(key, value)| (key.clone(), value.clone()))
        .unwrap_or_else(|| ("unknown".to_string(), Value::Null));
    let id_at = |path: &[&str]| {
        path.iter()
            .try_fold(&body, |v, key| v.get(*key))
            .and_then(Value::as_i64)
    };
    let own_lane = i64::MIN + update_id;
    if kind == "pre_checkout_query" {
        return Some(Incoming {
            update_id,
            lane: own_lane,
            kind,
            payload,
        });
    }
    let lane = id_at(&["chat", "id"])
        .or_else(|| id_at(&["message", "chat", "id"]))
        .or_else(|| id_at(&["from", "id"]))
        .or_else(|| id_at(&["user", "id"]))
        // Its own lane, away from every chat id (chat ids are never below -10^13).
        .unwrap_or(own_lane);
    Some(Incoming {
        update_id,
        lane,
        kind,
        payload,
    })
}

/// What [`store_polled`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOutcome {
    /// Stored; this many were new (the rest were duplicates).
    Stored(usize),
    /// The lease is no longer held by this fence: nothing was stored.
    Fenced,
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = Integer)]
    stored: i32,
}

/// Stores a polled batch if `fence` still holds the poller lease (checked in the same
/// statement). Only after `Stored` may the poller ask Telegram for the next offset.
pub async fn store_polled(
    conn: &mut AsyncPgConnection,
    fence: &lock::Fence,
    batch: &[Incoming],
) -> Result<StoreOutcome, InboxError> {
    let ids: Vec<i64> = batch.iter().map(|u| u.update_id).collect();
    let lanes: Vec<i64> = batch.iter().map(|u| u.lane).collect();
    let kinds: Vec<String> = batch.iter().map(|u| u.kind.clone()).collect();
    let payloads: Vec<Value> = batch.iter().map(|u| u.payload.clone()).collect();
    let row: Stored =
        diesel::sql_query("SELECT inbox_store_polled($1, $2, $3, $4, $5, $6, $7) AS stored")
            .bind::<Text, _>(&fence.name)
            .bind::<Text, _>(&fence.holder)
            .bind::<BigInt, _>(fence.epoch)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<BigInt>, _>(lanes)
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<Jsonb>, _>(payloads)
            .get_result(conn)
            .await?;
    Ok(match usize::try_from(row.stored) {
        Ok(n) => StoreOutcome::Stored(n),
        Err(_) => StoreOutcome::Fenced,
    })
}

/// Stores one update (webhook mode: any instance, no lease). `true` if it was new.
pub async fn store(conn: &mut AsyncPgConnection, update: &Incoming) -> Result<bool, InboxError> {
    let n = diesel::sql_query(
        "INSERT INTO inbox_updates (update_id, lane, kind, payload) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (update_id) DO NOTHING",
    )
    .bind::<BigInt, _>(update.update_id)
    .bind::<BigInt, _>(update.lane)
    .bind::<Text, _>(&update.kind)
    .bind::<Jsonb, _>(&update.payload)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// An update handed to a worker.
#[derive(Clone, Debug, PartialEq, diesel::QueryableByName)]
pub struct Claimed {
    /// Telegram's `update_id`.
    #[diesel(sql_type = BigInt)]
    pub update_id: i64,
    /// Its lane (chat).
    #[diesel(sql_type = BigInt)]
    pub lane: i64,
    /// Its kind, as [`describe`] found it.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The update as Telegram sent it.
    #[diesel(sql_type = Jsonb)]
    pub payload: Value,
    /// 1 on the first claim; more after workers died holding it.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    /// When it was stored.
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
}

/// One worker cycle in one round trip: marks `done` and `failed` (this worker's) finished,
/// renews the leases of `running`, and claims up to `max` lane heads for `worker` under a
/// lease of `lease`. Returned oldest first.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    done: &[i64],
    failed: &[i64],
    running: &[i64],
    max: usize,
    lease: Duration,
) -> Result<Vec<Claimed>, InboxError> {
    let mut claimed: Vec<Claimed> =
        diesel::sql_query("SELECT * FROM inbox_claim($1, $2, $3, $4, $5, $6)")
            .bind::<Text, _>(worker)
            .bind::<Array<BigInt>, _>(done)
            .bind::<Array<BigInt>, _>(failed)
            .bind::<Array<BigInt>, _>(running)
            .bind::<Integer, _>(i32::try_from(max).unwrap_or(i32::MAX))
            .bind::<Integer, _>(i32::try_from(lease.as_millis()).unwrap_or(i32::MAX))
            .load(conn)
            .await?;
    claimed.sort_by_key(|c| c.update_id);
    Ok(claimed)
}

/// Hands claimed updates back (a stop whose deadline passed): pending again at once, for any
/// worker, without counting the attempt.
pub async fn release(
    conn: &mut AsyncPgConnection,
    worker: &str,
    ids: &[i64],
) -> Result<usize, InboxError> {
    Ok(diesel::sql_query(
        "UPDATE inbox_updates SET state = 'pending', worker = NULL, leased_until = NULL, \
                attempts = greatest(attempts - 1, 0) \
          WHERE update_id = ANY($2) AND worker = $1 AND state = 'working'",
    )
    .bind::<Text, _>(worker)
    .bind::<Array<BigInt>, _>(ids)
    .execute(conn)
    .await?)
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Updates stored but not yet handled (pending or being handled).
pub async fn depth(conn: &mut AsyncPgConnection) -> Result<i64, InboxError> {
    let row: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM inbox_updates WHERE state IN ('pending', 'working')",
    )
    .get_result(conn)
    .await?;
    Ok(row.n)
}

/// Forgets handled updates stored before `before` (Telegram never redelivers one that old).
pub async fn prune(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> Result<usize, InboxError> {
    Ok(diesel::sql_query(
        "DELETE FROM inbox_updates WHERE received_at < $1 AND state IN ('done', 'failed')",
    )
    .bind::<Timestamptz, _>(before)
    .execute(conn)
    .await?)
}
