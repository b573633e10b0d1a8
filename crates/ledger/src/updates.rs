//! Telegram updates already handled, so a redelivered update (same `update_id`) is handled once;
//! and pruning of that record and of old free-quota windows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::schema::{free_usage, processed_updates};

/// Records `update_id` and returns true if and only if it had not been recorded before: the
/// caller handles the update only then.
pub async fn first_time_seen(
    conn: &mut AsyncPgConnection,
    update_id: i64,
) -> Result<bool, LedgerError> {
    let n = diesel::insert_into(processed_updates::table)
        .values(processed_updates::update_id.eq(update_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(n == 1)
}

/// Forgets updates recorded before `updates_before` (Telegram redelivers for at most a day) and
/// free-quota windows that started before `free_before` (they no longer count). Returns how many
/// rows went.
pub async fn prune(
    conn: &mut AsyncPgConnection,
    updates_before: DateTime<Utc>,
    free_before: DateTime<Utc>,
) -> Result<usize, LedgerError> {
    let updates = diesel::delete(
        processed_updates::table.filter(processed_updates::processed_at.lt(updates_before)),
    )
    .execute(conn)
    .await?;
    let windows =
        diesel::delete(free_usage::table.filter(free_usage::window_start.lt(free_before)))
            .execute(conn)
            .await?;
    Ok(updates + windows)
}
