//! Broken-model detection: is a model failing right now? Shown to users on the model card
//! ("often fails right now" / "temporarily unavailable") and to admins, so it is one cheap
//! query over recent jobs (the `jobs_created` index). Read-only: it must never write, and it
//! never hides or disables a model itself — callers decide what to show.
//!
//! A model's *recent runs* are its last [`HealthRule::window_runs`] jobs that were created in
//! the [`HealthRule::within`] before `now` and have ended `succeeded`, `delivered` or `failed`,
//! newest (`finished_at`) first. Cancelled and expired jobs say nothing about the model and are
//! left out; a *failure* is a run that ended `failed`, whatever the code.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::errors::SCHEMA_REJECTED_CODE;
use crate::LedgerError;

/// When a model counts as failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthRule {
    /// How many of a model's most recent runs are looked at.
    pub window_runs: i64,
    /// The rule matches with at least this many failures among them …
    pub min_failures: i64,
    /// … that are also at least this share of them, in percent.
    pub min_failure_share_percent: i64,
    /// Only runs created this long before `now` count.
    pub within: chrono::Duration,
}

impl Default for HealthRule {
    /// The last 10 runs of the last 24 hours; at least 3 failures and at least half of them.
    fn default() -> Self {
        HealthRule {
            window_runs: 10,
            min_failures: 3,
            min_failure_share_percent: 50,
            within: chrono::Duration::hours(24),
        }
    }
}

/// How many newest runs must all have failed for a matching model to be [`Health::Broken`].
pub const BROKEN_STREAK: i64 = 3;

/// A model's state right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Health {
    /// The rule does not match.
    Ok,
    /// The rule matches, but some of the newest runs still succeed: "often fails right now".
    Failing,
    /// The rule matches and either the newest [`BROKEN_STREAK`] runs all failed or Kie
    /// rejected the input as invalid ([`ModelHealth::schema_rejected`]): "temporarily
    /// unavailable".
    Broken,
}

/// A model with recent runs, and its health.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelHealth {
    /// The Kie model id.
    pub model_id: String,
    /// Recent runs looked at (at most the rule's `window_runs`).
    pub runs: i64,
    /// Of them, failures.
    pub failures: i64,
    /// `failures × 100 / runs`, rounded down.
    pub share_percent: i64,
    /// At least one of the failures has Kie's validation code ([`SCHEMA_REJECTED_CODE`]):
    /// Kie refused what we sent, which usually means the model's input schema changed.
    pub schema_rejected: bool,
    /// The verdict.
    pub state: Health,
    /// The newest failures (up to 3), newest first: when, code, message.
    pub last_errors: Vec<(DateTime<Utc>, String, String)>,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    model_id: String,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    failures: i64,
    #[diesel(sql_type = Bool)]
    newest_all_failed: bool,
    #[diesel(sql_type = Bool)]
    schema_rejected: bool,
    #[diesel(sql_type = Array<Timestamptz>)]
    error_times: Vec<DateTime<Utc>>,
    #[diesel(sql_type = Array<Text>)]
    error_codes: Vec<String>,
    #[diesel(sql_type = Array<Text>)]
    error_messages: Vec<String>,
}

impl Row {
    fn verdict(&self, rule: &HealthRule) -> Health {
        let matched = self.failures >= rule.min_failures
            && self.failures * 100 >= rule.min_failure_share_percent * self.runs;
        match (matched, self.newest_all_failed || self.schema_rejected) {
            (false, _) => Health::Ok,
            (true, false) => Health::Failing,
            (true, true) => Health::Broken,
        }
    }

    fn health(self, rule: &HealthRule) -> ModelHealth {
        let state = self.verdict(rule);
        let last_errors = self
            .error_times
            .into_iter()
            .zip(self.error_codes)
            .zip(self.error_messages)
            .map(|((at, code), message)| (at, code, message))
            .collect();
        ModelHealth {
            share_percent: self.failures * 100 / self.runs.max(1),
            model_id: self.model_id,
            runs: self.runs,
            failures: self.failures,
            schema_rejected: self.schema_rejected,
            state,
            last_errors,
        }
    }
}

/// `$1` since, `$2` now, `$3` window runs, `$4` the streak, `$5` the schema-rejection code.
const HEALTH_SQL: &str = "WITH recent AS ( \
       SELECT j.model_id, j.state = 'failed' AS failed, j.finished_at, \
              coalesce(j.failure_code, '') AS code, coalesce(j.failure_message, '') AS message, \
              row_number() OVER (PARTITION BY j.model_id ORDER BY j.finished_at DESC, j.id DESC) AS n \
         FROM jobs j \
        WHERE j.created_at >= $1 AND j.created_at <= $2 AND j.finished_at <= $2 \
          AND j.held_at IS NOT NULL AND j.state IN ('succeeded', 'delivered', 'failed')) \
     SELECT model_id, count(*) AS runs, count(*) FILTER (WHERE failed) AS failures, \
       count(*) FILTER (WHERE failed AND n <= $4) = $4 AS newest_all_failed, \
       coalesce(bool_or(failed AND code = $5), false) AS schema_rejected, \
       coalesce((array_agg(finished_at ORDER BY n) FILTER (WHERE failed))[1:3], '{}') AS error_times, \
       coalesce((array_agg(code ORDER BY n) FILTER (WHERE failed))[1:3], '{}') AS error_codes, \
       coalesce((array_agg(message ORDER BY n) FILTER (WHERE failed))[1:3], '{}') AS error_messages \
     FROM recent WHERE n <= $3 GROUP BY model_id ORDER BY model_id";

/// The health of every model with recent runs at `now` under `rule`, by model id (models
/// without recent runs are absent: nothing is known about them).
pub async fn model_health(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    rule: &HealthRule,
) -> Result<Vec<ModelHealth>, LedgerError> {
    let since = now
        .checked_sub_signed(rule.within)
        .unwrap_or(DateTime::UNIX_EPOCH);
    let rows: Vec<Row> = diesel::sql_query(HEALTH_SQL)
        .bind::<Timestamptz, _>(since)
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(rule.window_runs.max(1))
        .bind::<BigInt, _>(BROKEN_STREAK)
        .bind::<Text, _>(SCHEMA_REJECTED_CODE)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.health(rule)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(runs: i64, failures: i64, newest_all_failed: bool, schema_rejected: bool) -> Row {
        Row {
            model_id: "m".into(),
            runs,
            failures,
            newest_all_failed,
            schema_rejected,
            error_times: Vec::new(),
            error_codes: Vec::new(),
            error_messages: Vec::new(),
        }
    }

    #[test]
    fn the_rule_needs_both_a_count_and_a_share() {
        let rule = HealthRule::default();
        // 3 of 10 is below 50 %; 2 of 2 is below 3 failures.
        assert_eq!(row(10, 3, true, true).verdict(&rule), Health::Ok);
        assert_eq!(row(2, 2, false, true).verdict(&rule), Health::Ok);
        assert_eq!(row(6, 3, false, false).verdict(&rule), Health::Failing);
    }

    #[test]
    fn a_failing_model_is_broken_on_a_streak_or_a_schema_rejection() {
        let rule = HealthRule::default();
        assert_eq!(row(6, 3, true, false).verdict(&rule), Health::Broken);
        assert_eq!(row(6, 3, false, true).verdict(&rule), Health::Broken);
        assert_eq!(row(6, 3, false, true).health(&rule).share_percent, 50);
    }
}
