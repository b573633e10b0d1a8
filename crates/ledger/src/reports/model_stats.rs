//! Per-model figures for the admin panel: runs and how they ended, failure codes, how long
//! successful generations took, revenue, Kie's cost and money given back. Read-only: it must
//! never write.
//!
//! A model's figures cover the jobs *created* since the given moment. `failures` are jobs that
//! ended `failed` (Kie or the pipeline failed); cancelled and expired jobs are counted apart.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::LedgerError;

/// One model's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelStats {
    /// The Kie model id.
    pub model_id: String,
    /// Jobs only quoted: never held (`created`, or ended before being held).
    pub unstarted: i64,
    /// Jobs that got as far as `held` (money or a free run taken); the counts below split them.
    pub runs: i64,
    /// Runs that succeeded (`succeeded` or `delivered`).
    pub successes: i64,
    /// Runs that ended `failed`.
    pub failures: i64,
    /// Runs the user cancelled while queued.
    pub cancelled: i64,
    /// Runs whose hold expired (the queue did not move in time).
    pub expired: i64,
    /// Runs not ended yet.
    pub in_flight: i64,
    /// Runs that were free runs.
    pub free_runs: i64,
    /// The failures by failure code, most frequent first (ties by code).
    pub failures_by_code: Vec<(String, i64)>,
    /// Median time of a successful run from Kie accepting the task (`submitted_at`) to the
    /// charge (`finished_at`), in milliseconds; `None` without successes.
    pub p50_ms: Option<i64>,
    /// The 90th percentile of the same (`percentile_cont`, interpolated).
    pub p90_ms: Option<i64>,
    /// Rubles charged: the sum of the committed holds.
    pub revenue_rub: Decimal,
    /// What Kie charged us, in US dollars: `kie_cost_usd` of the successes and of the late
    /// successes (Kie finished after we had released the money).
    pub kie_cost_usd: Decimal,
    /// Rubles held and given back (released or expired holds). There is no refund of a
    /// successful job: a charge stands, and Stars refunds are per payment, not per job.
    pub released_rub: Decimal,
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    model_id: String,
    #[diesel(sql_type = BigInt)]
    unstarted: i64,
    #[diesel(sql_type = BigInt)]
    runs: i64,
    #[diesel(sql_type = BigInt)]
    successes: i64,
    #[diesel(sql_type = BigInt)]
    failures: i64,
    #[diesel(sql_type = BigInt)]
    cancelled: i64,
    #[diesel(sql_type = BigInt)]
    expired: i64,
    #[diesel(sql_type = BigInt)]
    free_runs: i64,
    #[diesel(sql_type = Array<Text>)]
    codes: Vec<String>,
    #[diesel(sql_type = Array<BigInt>)]
    code_counts: Vec<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    p50_ms: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    p90_ms: Option<i64>,
    #[diesel(sql_type = Numeric)]
    revenue_rub: Decimal,
    #[diesel(sql_type = Numeric)]
    kie_cost_usd: Decimal,
    #[diesel(sql_type = Numeric)]
    released_rub: Decimal,
}

impl From<Row> for ModelStats {
    fn from(r: Row) -> Self {
        let ended = r.successes + r.failures + r.cancelled + r.expired;
        ModelStats {
            model_id: r.model_id,
            unstarted: r.unstarted,
            runs: r.runs,
            successes: r.successes,
            failures: r.failures,
            cancelled: r.cancelled,
            expired: r.expired,
            in_flight: r.runs - ended,
            free_runs: r.free_runs,
            failures_by_code: r.codes.into_iter().zip(r.code_counts).collect(),
            p50_ms: r.p50_ms,
            p90_ms: r.p90_ms,
            revenue_rub: r.revenue_rub,
            kie_cost_usd: r.kie_cost_usd,
            released_rub: r.released_rub,
        }
    }
}

/// The `p`-th percentile of successful runs' `finished_at - submitted_at`, in whole
/// milliseconds (computed on intervals: no floating point).
macro_rules! sql_success_ms_percentile {
    ($p:literal) => {
        concat!(
            "(extract(epoch FROM percentile_cont(",
            $p,
            ") WITHIN GROUP (ORDER BY j.finished_at - j.submitted_at) \
             FILTER (WHERE j.state IN ('succeeded', 'delivered') AND j.submitted_at IS NOT NULL)) \
             * 1000)::bigint"
        )
    };
}

const MODEL_STATS_SQL: &str = concat!(
    "WITH codes AS ( \
       SELECT model_id, coalesce(failure_code, '') AS code, count(*) AS n FROM jobs \
        WHERE created_at >= $1 AND state = 'failed' AND held_at IS NOT NULL GROUP BY 1, 2) \
     SELECT j.model_id, \
       count(*) FILTER (WHERE j.held_at IS NULL) AS unstarted, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL) AS runs, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL AND j.state IN ('succeeded', 'delivered')) AS successes, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL AND j.state = 'failed') AS failures, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL AND j.state = 'cancelled') AS cancelled, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL AND j.state = 'expired') AS expired, \
       count(*) FILTER (WHERE j.held_at IS NOT NULL AND j.is_free) AS free_runs, \
       coalesce((SELECT array_agg(c.code ORDER BY c.n DESC, c.code) FROM codes c \
                  WHERE c.model_id = j.model_id), '{}') AS codes, \
       coalesce((SELECT array_agg(c.n ORDER BY c.n DESC, c.code) FROM codes c \
                  WHERE c.model_id = j.model_id), '{}') AS code_counts, ",
    sql_success_ms_percentile!("0.5"),
    " AS p50_ms, ",
    sql_success_ms_percentile!("0.9"),
    " AS p90_ms, \
       coalesce(sum(h.amount) FILTER (WHERE h.state = 'committed'), 0) AS revenue_rub, \
       coalesce(sum(j.kie_cost_usd) FILTER (WHERE ",
    sql_kie_charged!(),
    "), 0) AS kie_cost_usd, \
       coalesce(sum(h.amount) FILTER (WHERE h.state IN ('released', 'expired')), 0) AS released_rub \
     FROM jobs j LEFT JOIN holds h ON h.job_id = j.id \
     WHERE j.created_at >= $1 \
     GROUP BY j.model_id ORDER BY j.model_id"
);

/// Figures per model over the jobs created since `since`, by model id.
pub async fn model_stats(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> Result<Vec<ModelStats>, LedgerError> {
    let rows: Vec<Row> = diesel::sql_query(MODEL_STATS_SQL)
        .bind::<Timestamptz, _>(since)
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(ModelStats::from).collect())
}

#[derive(diesel::QueryableByName)]
struct CodeCount {
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Failed runs created since `since` by failure code (of one model, or of all), most frequent
/// first (ties by code).
pub async fn failures_by_code(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    model: Option<&str>,
) -> Result<Vec<(String, i64)>, LedgerError> {
    let rows: Vec<CodeCount> = diesel::sql_query(
        "SELECT coalesce(failure_code, '') AS code, count(*) AS n FROM jobs \
         WHERE created_at >= $1 AND state = 'failed' AND held_at IS NOT NULL \
           AND ($2::text IS NULL OR model_id = $2) \
         GROUP BY 1 ORDER BY n DESC, code",
    )
    .bind::<Timestamptz, _>(since)
    .bind::<Nullable<Text>, _>(model)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.code, r.n)).collect())
}
