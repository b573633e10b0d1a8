//! Read-only reports for the admin panel: users and one user's card, per-model figures, daily
//! money analytics, errors grouped by cause and stage, and broken-model detection.
//!
//! Every query is one `SELECT` (a user's card: three, in one read-only snapshot) with every
//! value bound, never formatted into the SQL. Money is `Decimal` rubles (or US dollars where the
//! name says `usd`), counts are `i64`, and every time window is passed in, so a report is the
//! same whenever it runs.
//!
//! Definitions shared by the reports:
//! - a *run* is a job that got as far as `held` (money or a free run taken: `held_at` is set);
//!   a job still `created` was only quoted;
//! - a *success* is a job `succeeded` or `delivered`; revenue is what was committed for it;
//! - Kie *charged* for a job when it succeeded, or when Kie finished it after we had released
//!   the money (`late_success`: Kie was paid, the user was not charged).
//!
//! # What this module must never do
//! Write: no INSERT, UPDATE or DELETE, no call of a `ledger_*` function. Money moves only
//! through the functions of `money` and `free`.

/// The jobs Kie charged us for, as an SQL condition on a `jobs` row aliased `j`.
macro_rules! sql_kie_charged {
    () => {
        "(j.state IN ('succeeded', 'delivered') OR j.late_success)"
    };
}

/// A text column parsed, while the row is read, into one of the crate's text enums (a value
/// outside the enum is a deserialization error, never a silent default).
struct Parsed<T>(T);

impl<T> diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Parsed<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text: String =
            diesel::deserialize::FromSql::<diesel::sql_types::Text, _>::from_sql(bytes)?;
        Ok(Parsed(text.parse()?))
    }
}

macro_rules! parsed_into {
    ($($t:ty),+) => {
        $(impl From<Parsed<$t>> for $t {
            fn from(p: Parsed<$t>) -> $t {
                p.0
            }
        })+
    };
}
parsed_into!(crate::JobState, crate::Language, crate::Role);

pub mod analytics;
pub mod errors;
pub mod health;
pub mod model_stats;
pub mod user_card;
pub mod users;

pub use analytics::{DayFigures, Summary, daily_analytics, distinct_active_users, summary};
pub use errors::{
    AmbiguousAndLate, DeliveryFailure, FailureGroup, FailureStage, ModelFailures,
    SCHEMA_REJECTED_CODE, ambiguous_and_late, delivery_failures, failure_groups, failures_by_model,
    failures_by_stage,
};
pub use health::{BROKEN_STREAK, Health, HealthRule, ModelHealth, model_health};
pub use model_stats::{ModelStats, failures_by_code, model_stats};
pub use user_card::{CardJob, CardPayment, CardProfile, UserCard, find_users, user_card};
pub use users::{UserCounts, UserOrder, UserRow, user_counts, user_list};
