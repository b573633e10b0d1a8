//! Two-step actions (table `admin_actions`). The first tap (or command) stores a pending action
//! — what, to whom, how much, why — and shows its effect in plain words; Confirm names the row
//! by id. [`take`] moves a row from `pending` to `running` in one statement, only for the admin
//! who made it and only before it expires, so a replayed, double-tapped or forged Confirm
//! (another admin's id, an old one) does nothing more. The effect itself carries the row's id
//! as its idempotency key, so even a crash between the effect and [`finish`] cannot repeat it.
//!
//! This module must never run an action: `ops` does, after [`take`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ledger::UserId;
use serde::{Deserialize, Serialize};

/// What a pending action will do (stored as JSON in `details`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Plan {
    /// Add rubles to a user's balance.
    Credit {
        /// Amount in rubles (a decimal string, kopecks exact).
        rub: pricing::Money,
        /// Why (shown in the user's receipts and the audit log).
        reason: String,
    },
    /// Take rubles from a user's available balance (never below zero).
    Debit {
        /// Amount in rubles.
        rub: pricing::Money,
        /// Why.
        reason: String,
    },
    /// Ban a user.
    Ban {
        /// Why.
        reason: String,
    },
    /// Lift a ban.
    Unban,
    /// Take a model off sale.
    DisableModel {
        /// Which.
        model: String,
        /// Why (shown to admins).
        reason: String,
    },
    /// Put a model back on sale.
    EnableModel {
        /// Which.
        model: String,
    },
    /// Make a user an admin.
    Grant {
        /// With this role (`owner` or `support`).
        role: String,
    },
    /// Take a user's admin role away.
    Revoke,
    /// Refund a Telegram Stars payment: the ledger marks it refunded and debits what it
    /// credited (only if still available), then Telegram returns the Stars
    /// (`ops::refunds` documents the order and what a refusal leaves).
    RefundStars {
        /// The payment (`payments.id`, as the user card shows it).
        payment: i64,
        /// Why (in the user's receipts and the audit log).
        reason: String,
        /// The ledger had already debited it when this was proposed, and Telegram had not
        /// confirmed returning the Stars: Confirm only asks Telegram again.
        #[serde(default)]
        retry: bool,
    },
    /// Credit back a succeeded (charged) job's price, once per job.
    RefundJob {
        /// The job.
        job: i64,
        /// Why.
        reason: String,
    },
    /// Change one runtime setting (`ledger::SETTING_KEYS`) through `ledger::set_setting`.
    SetSetting {
        /// Which (`pricing.markup`, `free.models`, …).
        key: String,
        /// The new value, as `/set` takes it.
        value: String,
        /// Why (in the settings history and the audit log).
        reason: String,
    },
    /// Send a message to all users or a segment (its run only creates the broadcast with its
    /// recipients; `crate::broadcast::run` sends it).
    Broadcast {
        /// Whom.
        segment: crate::broadcast::Segment,
        /// The message (Telegram HTML, as the preview showed it).
        text: String,
    },
}

impl Plan {
    /// The `kind` column (and the audit log's action names start from it).
    pub fn kind(&self) -> &'static str {
        match self {
            Plan::Credit { .. } => "credit",
            Plan::Debit { .. } => "debit",
            Plan::Ban { .. } => "ban",
            Plan::Unban => "unban",
            Plan::DisableModel { .. } => "disable_model",
            Plan::EnableModel { .. } => "enable_model",
            Plan::Grant { .. } => "grant",
            Plan::Revoke => "revoke",
            Plan::RefundStars { .. } => "refund_stars",
            Plan::RefundJob { .. } => "refund_job",
            Plan::SetSetting { .. } => "set_setting",
            Plan::Broadcast { .. } => "broadcast",
        }
    }
}

/// A stored action.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    /// Its id (what the Confirm button carries).
    pub id: i64,
    /// The admin who proposed it (the only one who may confirm it).
    pub admin: UserId,
    /// The user it concerns, if any.
    pub target: Option<UserId>,
    /// What it does.
    pub plan: Plan,
    /// When it stops being confirmable.
    pub expires_at: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    admin_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    target_user_id: Option<i64>,
    #[diesel(sql_type = Jsonb)]
    details: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

impl Row {
    fn into_pending(self) -> anyhow::Result<Pending> {
        Ok(Pending {
            id: self.id,
            admin: UserId(self.admin_id),
            target: self.target_user_id.map(UserId),
            plan: serde_json::from_value(self.details)?,
            expires_at: self.expires_at,
        })
    }
}

const COLUMNS: &str = "id, admin_id, target_user_id, details, expires_at";

/// Stores a pending action, confirmable by `admin` for `ttl`.
pub async fn propose(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    target: Option<UserId>,
    plan: &Plan,
    ttl: Duration,
) -> anyhow::Result<Pending> {
    let row: Row = diesel::sql_query(format!(
        "INSERT INTO admin_actions (admin_id, kind, target_user_id, details, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) RETURNING {COLUMNS}"
    ))
    .bind::<BigInt, _>(admin.0)
    .bind::<Text, _>(plan.kind())
    .bind::<Nullable<BigInt>, _>(target.map(|t| t.0))
    .bind::<Jsonb, _>(serde_json::to_value(plan)?)
    .bind::<diesel::sql_types::Double, _>(ttl.as_secs_f64())
    .get_result(conn)
    .await?;
    row.into_pending()
}

/// Takes a pending action to run it: `None` unless it is `admin`'s, still pending and not
/// expired. At most one caller ever gets `Some` for an id.
pub async fn take(
    conn: &mut AsyncPgConnection,
    id: i64,
    admin: UserId,
) -> anyhow::Result<Option<Pending>> {
    let rows: Vec<Row> = diesel::sql_query(format!(
        "UPDATE admin_actions SET state = 'running', taken_at = now() \
         WHERE id = $1 AND admin_id = $2 AND state = 'pending' AND expires_at > now() \
         RETURNING {COLUMNS}"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(admin.0)
    .load(conn)
    .await?;
    rows.into_iter().next().map(Row::into_pending).transpose()
}

/// Records how a taken action ended.
pub async fn finish(
    conn: &mut AsyncPgConnection,
    id: i64,
    ok: bool,
    outcome: serde_json::Value,
) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE admin_actions SET state = $2, ended_at = now(), outcome = $3 \
         WHERE id = $1 AND state = 'running'",
    )
    .bind::<BigInt, _>(id)
    .bind::<Text, _>(if ok { "done" } else { "failed" })
    .bind::<Jsonb, _>(outcome)
    .execute(conn)
    .await?;
    Ok(())
}

/// Cancels `admin`'s pending action; false when it was not pending (or not theirs).
pub async fn cancel(conn: &mut AsyncPgConnection, id: i64, admin: UserId) -> anyhow::Result<bool> {
    let n = diesel::sql_query(
        "UPDATE admin_actions SET state = 'cancelled', ended_at = now() \
         WHERE id = $1 AND admin_id = $2 AND state = 'pending'",
    )
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(admin.0)
    .execute(conn)
    .await?;
    Ok(n > 0)
}
