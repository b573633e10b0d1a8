//! The audit log: admin actions and notable system events, append-only (the database refuses
//! updates and deletes). Money functions write their own records in the same transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::schema::audit_log;
use crate::types::UserId;

/// One audit record.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRecord {
    /// The record.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The admin who acted; `None` for the system.
    pub actor_id: Option<i64>,
    /// What was done ("ban", "adjust_credit", "setting", "kie_out_of_credit", …).
    pub action: String,
    /// The user it concerned, if any.
    pub target_user_id: Option<i64>,
    /// Details as JSON.
    pub details: serde_json::Value,
}

/// Appends a record.
pub async fn record_audit(
    conn: &mut AsyncPgConnection,
    actor: Option<UserId>,
    action: &str,
    target: Option<UserId>,
    details: serde_json::Value,
) -> Result<(), LedgerError> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.map(|a| a.0)),
            audit_log::action.eq(action),
            audit_log::target_user_id.eq(target.map(|t| t.0)),
            audit_log::details.eq(details),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Up to `limit` (1–100) records older than `before`, newest first.
pub async fn recent_audit(
    conn: &mut AsyncPgConnection,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, LedgerError> {
    let mut q = audit_log::table.into_boxed();
    if let Some(before) = before {
        q = q.filter(audit_log::id.lt(before));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(limit.clamp(1, 100))
        .select(AuditRecord::as_select())
        .load(conn)
        .await?)
}

/// Which audit records [`audit_page`] lists: a record must match every field that is set (with
/// none set, every record matches).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Records about this user (`target_user_id`).
    pub target: Option<UserId>,
    /// Records of this admin's doing (`actor_id`).
    pub actor: Option<UserId>,
    /// Records of this action, exactly ("ban", "admin_view_user", …).
    pub action: Option<String>,
}

/// Up to `limit` (1–1000) records matching `filter` and older than `before`, newest first: one
/// query, every value bound.
pub async fn audit_page(
    conn: &mut AsyncPgConnection,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, LedgerError> {
    let mut q = audit_log::table.into_boxed();
    if let Some(before) = before {
        q = q.filter(audit_log::id.lt(before));
    }
    if let Some(target) = filter.target {
        q = q.filter(audit_log::target_user_id.eq(target.0));
    }
    if let Some(actor) = filter.actor {
        q = q.filter(audit_log::actor_id.eq(actor.0));
    }
    if let Some(action) = &filter.action {
        q = q.filter(audit_log::action.eq(action.clone()));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(limit.clamp(1, 1000))
        .select(AuditRecord::as_select())
        .load(conn)
        .await?)
}
