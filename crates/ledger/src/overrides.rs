//! Model overrides: an admin's disabling (with a reason) and re-enabling of a model, applied
//! above the registry by the storefront. One row per model holds its latest change; every
//! change is also an audit record, written in the same statement.
//!
//! An override only ever takes a model off sale: re-enabling restores what the registry says,
//! it never puts a model the registry withholds on sale. The ledger does not know the catalog,
//! so it stores any model id it is given; the caller checks the id.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::schema::model_overrides;
use crate::types::UserId;

/// An admin's latest change of a model.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = model_overrides, check_for_backend(diesel::pg::Pg))]
pub struct ModelOverride {
    /// The Kie model id.
    pub model_id: String,
    /// True: off sale (whatever the registry says); false: as the registry says.
    pub disabled: bool,
    /// Why (always set when disabled).
    pub reason: Option<String>,
    /// The admin.
    pub changed_by: i64,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// Every model's latest override, by model id.
pub async fn model_overrides(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<ModelOverride>, LedgerError> {
    Ok(model_overrides::table
        .order(model_overrides::model_id)
        .select(ModelOverride::as_select())
        .load(conn)
        .await?)
}

/// The latest override of one model, if any (the pipeline's fresh check at submit).
pub async fn model_override(
    conn: &mut AsyncPgConnection,
    model_id: &str,
) -> Result<Option<ModelOverride>, LedgerError> {
    Ok(model_overrides::table
        .find(model_id)
        .select(ModelOverride::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Records an admin's disabling (`disabled`, with a non-empty `reason`) or re-enabling of a
/// model, and its audit record (`model_disabled` / `model_enabled`, with the previous state),
/// in one statement. Returns the override now in force.
pub async fn set_model_disabled(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    model_id: &str,
    disabled: bool,
    reason: Option<&str>,
) -> Result<ModelOverride, LedgerError> {
    if model_id.trim().is_empty() {
        return Err(LedgerError::Invalid(
            "a model override needs a model id".into(),
        ));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if disabled && reason.is_none() {
        return Err(LedgerError::Invalid(
            "disabling a model needs a reason".into(),
        ));
    }
    // `before` reads the snapshot the statement started from: the state this change replaces.
    let row: ModelOverride = diesel::sql_query(
        "WITH before AS (SELECT disabled FROM model_overrides WHERE model_id = $1), \
         changed AS ( \
           INSERT INTO model_overrides AS o (model_id, disabled, reason, changed_by, changed_at) \
           VALUES ($1, $2, $3, $4, now()) \
           ON CONFLICT (model_id) DO UPDATE \
             SET disabled = EXCLUDED.disabled, reason = EXCLUDED.reason, \
                 changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at \
           RETURNING o.*), \
         audited AS ( \
           INSERT INTO audit_log (actor_id, action, details) \
           SELECT c.changed_by, CASE WHEN c.disabled THEN 'model_disabled' ELSE 'model_enabled' END, \
                  jsonb_build_object('model_id', c.model_id, 'reason', c.reason, \
                                     'was_disabled', coalesce((SELECT disabled FROM before), false)) \
           FROM changed c) \
         SELECT model_id, disabled, reason, changed_by, changed_at FROM changed",
    )
    .bind::<Text, _>(model_id)
    .bind::<Bool, _>(disabled)
    .bind::<Nullable<Text>, _>(reason)
    .bind::<BigInt, _>(admin.0)
    .get_result(conn)
    .await?;
    Ok(row)
}
