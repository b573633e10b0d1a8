//! A user's history: ledger entries (receipts) and jobs, newest first, paged by keyset (the id
//! of the last row shown), so pages stay stable while new rows arrive.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::Money;
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::jobs::Job;
use crate::schema::{jobs, ledger_entries};
use crate::types::{EntryId, EntryKind, JobId, UserId};

/// One ledger entry: a receipt.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = ledger_entries, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    /// The entry.
    #[diesel(deserialize_as = i64)]
    pub id: EntryId,
    /// Whose account.
    #[diesel(deserialize_as = i64)]
    pub user_id: crate::types::UserId,
    /// What it did.
    #[diesel(deserialize_as = String)]
    pub kind: EntryKind,
    /// How much (always positive; `kind` gives the direction).
    #[diesel(deserialize_as = Decimal)]
    pub amount: Money,
    /// Available after it.
    #[diesel(deserialize_as = Decimal)]
    pub available_after: Money,
    /// Held after it.
    #[diesel(deserialize_as = Decimal)]
    pub held_after: Money,
    /// The job it belongs to, for holds and their endings.
    pub job_id: Option<i64>,
    /// The payment, for Stars top-ups and refunds.
    pub payment_id: Option<i64>,
    /// The admin, for adjustments.
    pub admin_id: Option<i64>,
    /// Why (adjustments, failures).
    pub reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

fn page_size(limit: i64) -> i64 {
    limit.clamp(1, 100)
}

/// Up to `limit` (1–100) entries of `user` older than `before` (all when `None`), newest first.
pub async fn entries_page(
    conn: &mut AsyncPgConnection,
    user: UserId,
    before: Option<EntryId>,
    limit: i64,
) -> Result<Vec<Entry>, LedgerError> {
    let mut q = ledger_entries::table
        .filter(ledger_entries::user_id.eq(user.0))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(ledger_entries::id.lt(before.0));
    }
    Ok(q.order(ledger_entries::id.desc())
        .limit(page_size(limit))
        .select(Entry::as_select())
        .load(conn)
        .await?)
}

/// Up to `limit` (1–100) jobs of `user` older than `before` (all when `None`), newest first.
pub async fn jobs_page(
    conn: &mut AsyncPgConnection,
    user: UserId,
    before: Option<JobId>,
    limit: i64,
) -> Result<Vec<Job>, LedgerError> {
    let mut q = jobs::table.filter(jobs::user_id.eq(user.0)).into_boxed();
    if let Some(before) = before {
        q = q.filter(jobs::id.lt(before.0));
    }
    Ok(q.order(jobs::id.desc())
        .limit(page_size(limit))
        .select(Job::as_select())
        .load(conn)
        .await?)
}
