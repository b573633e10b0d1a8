//! Runtime settings: an admin's overrides of the registry's settings file (rate, markup, Stars
//! rate, free policy, the free runs' daily budget), kept as a history where the newest row per
//! key is in force.
//!
//! A change is checked by applying every override to the file's settings and running
//! [`pricing::Settings::check`], so an override that would sell below cost is refused here, not
//! discovered at the next quote.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use pricing::Settings;
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::schema::settings_history;
use crate::types::UserId;

/// One setting change (or a return to the file's value, when `value` is `None`).
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = settings_history, check_for_backend(diesel::pg::Pg))]
pub struct SettingChange {
    /// The change.
    pub id: i64,
    /// Which setting (`pricing.markup`, …).
    pub key: String,
    /// The new value; `None` returns to the settings file's value.
    pub value: Option<String>,
    /// The admin.
    pub changed_by: i64,
    /// Why.
    pub reason: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// The settings an admin may change at run time: the settings file's dotted paths.
pub const SETTING_KEYS: &[&str] = &[
    "pricing.rub_per_usd",
    "pricing.markup",
    "stars.rub_per_star",
    "free.auto_count",
    "free.per_day",
    "free.per_hour",
    "free.models",
    "free.daily_budget_usd",
];

/// Applies one override to `settings` (`key` is one of [`SETTING_KEYS`]).
fn apply(settings: &mut Settings, key: &str, value: &str) -> Result<(), String> {
    let decimal =
        |v: &str| Decimal::from_str(v.trim()).map_err(|_| format!("{key}: {v:?} is not a number"));
    let count = |v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| format!("{key}: {v:?} is not a whole number"))
    };
    match key {
        "pricing.rub_per_usd" => settings.pricing.rub_per_usd = decimal(value)?,
        "pricing.markup" => settings.pricing.markup = decimal(value)?,
        "stars.rub_per_star" => settings.stars.rub_per_star = decimal(value)?,
        "free.auto_count" => settings.free.auto_count = count(value)? as usize,
        "free.per_day" => settings.free.per_day = count(value)?,
        "free.per_hour" => settings.free.per_hour = count(value)?,
        "free.models" => {
            settings.free.models = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        }
        // Empty or "none": no budget (the file's value is restored by a `None` change instead).
        "free.daily_budget_usd" => {
            let v = value.trim();
            settings.free.daily_budget_usd = if v.is_empty() || v.eq_ignore_ascii_case("none") {
                None
            } else {
                Some(decimal(v)?)
            }
        }
        other => {
            return Err(format!(
                "{other} is not a setting that can be changed at run time"
            ));
        }
    }
    Ok(())
}

/// The overrides in force: the newest value of each key that has one.
pub async fn current_overrides(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<(String, String)>, LedgerError> {
    let rows: Vec<(String, Option<String>)> = settings_history::table
        .distinct_on(settings_history::key)
        .order((settings_history::key, settings_history::id.desc()))
        .select((settings_history::key, settings_history::value))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect())
}

/// `file` with `overrides` applied. A stored override was valid when written; one this version
/// no longer understands is skipped (and logged) rather than taking the bot down.
fn with_overrides(file: &Settings, overrides: &[(String, String)]) -> Settings {
    let mut settings = file.clone();
    for (key, value) in overrides {
        if let Err(e) = apply(&mut settings, key, value) {
            tracing::warn!(%key, error = %e, "ignoring a stored setting override");
        }
    }
    settings
}

/// `file` with the overrides in force applied.
pub async fn effective_settings(
    conn: &mut AsyncPgConnection,
    file: &Settings,
) -> Result<Settings, LedgerError> {
    Ok(with_overrides(file, &current_overrides(conn).await?))
}

/// Records an admin's change of one setting (`value: None` returns it to the file's value),
/// after checking that the settings with it are valid; writes the audit record in the same
/// statement. Returns the settings now in force.
pub async fn set_setting(
    conn: &mut AsyncPgConnection,
    file: &Settings,
    admin: UserId,
    key: &str,
    value: Option<&str>,
    reason: &str,
) -> Result<Settings, LedgerError> {
    if reason.trim().is_empty() {
        return Err(LedgerError::Invalid(
            "a setting change needs a reason".into(),
        ));
    }
    let candidate = setting_candidate(conn, file, key, value).await?;
    diesel::sql_query(
        "WITH changed AS (INSERT INTO settings_history (key, value, changed_by, reason) \
           VALUES ($1, $2, $3, $4) RETURNING id) \
         INSERT INTO audit_log (actor_id, action, details) \
         SELECT $3, 'setting', jsonb_build_object('key', $1::TEXT, 'value', $2::TEXT, 'reason', $4::TEXT, 'change_id', id) \
         FROM changed",
    )
    .bind::<Text, _>(key)
    .bind::<Nullable<Text>, _>(value)
    .bind::<BigInt, _>(admin.0)
    .bind::<Text, _>(reason)
    .execute(conn)
    .await?;
    Ok(candidate)
}

/// The settings [`set_setting`] would put in force with this change, checked exactly as it
/// checks them ([`Settings::check`]: e.g. a markup below 1 is refused), without writing
/// anything: for an admin's preview of the change's effect. `LedgerError::Invalid` says what
/// is wrong.
pub async fn setting_candidate(
    conn: &mut AsyncPgConnection,
    file: &Settings,
    key: &str,
    value: Option<&str>,
) -> Result<Settings, LedgerError> {
    if !SETTING_KEYS.contains(&key) {
        return Err(LedgerError::Invalid(format!(
            "{key} is not a setting that can be changed at run time"
        )));
    }
    let mut others = current_overrides(conn).await?;
    others.retain(|(k, _)| k != key);
    let mut candidate = with_overrides(file, &others);
    if let Some(v) = value {
        apply(&mut candidate, key, v).map_err(LedgerError::Invalid)?;
    }
    candidate
        .check()
        .map_err(|(field, problem)| LedgerError::Invalid(format!("{field} {problem}")))?;
    Ok(candidate)
}

/// Up to `limit` (1–100) changes, newest first.
pub async fn settings_history(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> Result<Vec<SettingChange>, LedgerError> {
    Ok(settings_history::table
        .order(settings_history::id.desc())
        .limit(limit.clamp(1, 100))
        .select(SettingChange::as_select())
        .load(conn)
        .await?)
}
