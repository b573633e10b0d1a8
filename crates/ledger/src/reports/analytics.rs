//! Money and audience per UTC day for the admin panel: Stars in and refunded, revenue, Kie's
//! cost and the gross margin, new users and payers, active users; and a summary of a period.
//! Read-only: it must never write. Exchange rates are passed in: this module never fetches or
//! stores one.
//!
//! Where each figure comes from (a day is a UTC calendar day):
//! - Stars in and rubles credited: `payments` created that day (refunded later or not);
//! - refunds: `payments` refunded that day (a refund debits exactly what the payment credited);
//! - revenue: `commit` ledger entries written that day;
//! - Kie's cost: `kie_cost_usd` of the jobs Kie charged for (successes and late successes), on
//!   the day Kie finished them (`kie_finished_at`, else `finished_at`);
//! - active users: distinct users who created a job that day (whatever became of it).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{BigInt, Date, Integer, Numeric, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::LedgerError;

/// One UTC day's figures (rubles unless the name says `usd`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayFigures {
    /// The UTC day.
    pub day: NaiveDate,
    /// Stars paid that day.
    pub stars_in: i64,
    /// Rubles those payments credited.
    pub rub_credited: Decimal,
    /// Stars refunded that day.
    pub stars_refunded: i64,
    /// Rubles those refunds debited.
    pub refunds_rub: Decimal,
    /// Rubles charged (committed) that day.
    pub revenue_rub: Decimal,
    /// Kie's cost of the tasks it finished that day, in US dollars.
    pub kie_cost_usd: Decimal,
    /// The same in rubles: `kie_cost_usd × rub_per_usd` rounded to kopecks, half to even
    /// (banker's rounding), once per day.
    pub kie_cost_rub: Decimal,
    /// `revenue_rub − kie_cost_rub` (may be negative).
    pub gross_margin_rub: Decimal,
    /// Users first seen that day.
    pub new_users: i64,
    /// Users whose first Stars payment ever was that day.
    pub new_payers: i64,
    /// Distinct users who paid that day.
    pub paying_users: i64,
    /// Distinct users who created a job that day.
    pub active_users: i64,
}

#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    stars_in: i64,
    #[diesel(sql_type = Numeric)]
    rub_credited: Decimal,
    #[diesel(sql_type = BigInt)]
    stars_refunded: i64,
    #[diesel(sql_type = Numeric)]
    refunds_rub: Decimal,
    #[diesel(sql_type = Numeric)]
    revenue_rub: Decimal,
    #[diesel(sql_type = Numeric)]
    kie_cost_usd: Decimal,
    #[diesel(sql_type = BigInt)]
    new_users: i64,
    #[diesel(sql_type = BigInt)]
    new_payers: i64,
    #[diesel(sql_type = BigInt)]
    paying_users: i64,
    #[diesel(sql_type = BigInt)]
    active_users: i64,
}

/// Rounds to kopecks, half to even.
fn kopecks(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven)
}

impl DayRow {
    fn figures(self, rub_per_usd: Decimal) -> Result<DayFigures, LedgerError> {
        let kie_cost_rub = self
            .kie_cost_usd
            .checked_mul(rub_per_usd)
            .map(kopecks)
            .ok_or_else(|| LedgerError::Invalid(format!("rate {rub_per_usd} overflows")))?;
        Ok(DayFigures {
            day: self.day,
            stars_in: self.stars_in,
            rub_credited: self.rub_credited,
            stars_refunded: self.stars_refunded,
            refunds_rub: self.refunds_rub,
            revenue_rub: self.revenue_rub,
            kie_cost_usd: self.kie_cost_usd,
            kie_cost_rub,
            gross_margin_rub: self.revenue_rub - kie_cost_rub,
            new_users: self.new_users,
            new_payers: self.new_payers,
            paying_users: self.paying_users,
            active_users: self.active_users,
        })
    }
}

/// `$1` the first day, `$2` the number of days, `$3`/`$4` the period as `[start, end)`.
const DAILY_SQL: &str = concat!(
    "WITH days AS (SELECT $1::date + i AS day FROM generate_series(0, $2 - 1) AS i), \
     paid AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(xtr_amount) AS stars, \
                     sum(rub_credited) AS rub, count(DISTINCT user_id) AS payers \
                FROM payments WHERE created_at >= $3 AND created_at < $4 GROUP BY 1), \
     refunded AS (SELECT (refunded_at AT TIME ZONE 'UTC')::date AS day, sum(xtr_amount) AS stars, \
                         sum(rub_credited) AS rub \
                    FROM payments WHERE refunded_at >= $3 AND refunded_at < $4 GROUP BY 1), \
     charged AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(amount) AS rub \
                   FROM ledger_entries \
                  WHERE kind = 'commit' AND created_at >= $3 AND created_at < $4 GROUP BY 1), \
     kie AS (SELECT (coalesce(j.kie_finished_at, j.finished_at) AT TIME ZONE 'UTC')::date AS day, \
                    sum(j.kie_cost_usd) AS usd \
               FROM jobs j WHERE ",
    sql_kie_charged!(),
    " AND coalesce(j.kie_finished_at, j.finished_at) >= $3 \
                AND coalesce(j.kie_finished_at, j.finished_at) < $4 GROUP BY 1), \
     joined AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n \
                  FROM users WHERE created_at >= $3 AND created_at < $4 GROUP BY 1), \
     first_paid AS (SELECT (min(created_at) AT TIME ZONE 'UTC')::date AS day, user_id \
                      FROM payments GROUP BY user_id \
                     HAVING min(created_at) >= $3 AND min(created_at) < $4), \
     active AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT user_id) AS n \
                  FROM jobs WHERE created_at >= $3 AND created_at < $4 GROUP BY 1) \
     SELECT d.day, \
       coalesce(paid.stars, 0)::bigint AS stars_in, coalesce(paid.rub, 0) AS rub_credited, \
       coalesce(refunded.stars, 0)::bigint AS stars_refunded, \
       coalesce(refunded.rub, 0) AS refunds_rub, \
       coalesce(charged.rub, 0) AS revenue_rub, coalesce(kie.usd, 0) AS kie_cost_usd, \
       coalesce(joined.n, 0) AS new_users, \
       (SELECT count(*) FROM first_paid f WHERE f.day = d.day) AS new_payers, \
       coalesce(paid.payers, 0) AS paying_users, coalesce(active.n, 0) AS active_users \
     FROM days d \
     LEFT JOIN paid USING (day) LEFT JOIN refunded USING (day) LEFT JOIN charged USING (day) \
     LEFT JOIN kie USING (day) LEFT JOIN joined USING (day) LEFT JOIN active USING (day) \
     ORDER BY d.day"
);

/// The UTC period `[from_day 00:00, from_day + days)`, and `days` for SQL.
fn period(
    from_day: NaiveDate,
    days: u32,
) -> Result<(DateTime<Utc>, DateTime<Utc>, i32), LedgerError> {
    let invalid = || LedgerError::Invalid(format!("{days} days from {from_day}"));
    let n = i32::try_from(days).map_err(|_| invalid())?;
    let start = from_day.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = start
        .checked_add_signed(chrono::Duration::days(i64::from(n)))
        .ok_or_else(invalid)?;
    Ok((start, end, n))
}

/// Exactly `days` rows, one per UTC day from `from_day`, days without activity zero-filled.
/// `rub_per_usd` converts Kie's cost (see [`DayFigures::kie_cost_rub`]).
pub async fn daily_analytics(
    conn: &mut AsyncPgConnection,
    from_day: NaiveDate,
    days: u32,
    rub_per_usd: Decimal,
) -> Result<Vec<DayFigures>, LedgerError> {
    let (start, end, n) = period(from_day, days)?;
    if n == 0 {
        return Ok(Vec::new());
    }
    let rows: Vec<DayRow> = diesel::sql_query(DAILY_SQL)
        .bind::<Date, _>(from_day)
        .bind::<Integer, _>(n)
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .load(conn)
        .await?;
    rows.into_iter().map(|r| r.figures(rub_per_usd)).collect()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct users who created a job in the UTC days `[from_day, from_day + days)`: the
/// denominator of [`Summary::arpu_rub`] (the per-day counts cannot be added up for it).
pub async fn distinct_active_users(
    conn: &mut AsyncPgConnection,
    from_day: NaiveDate,
    days: u32,
) -> Result<i64, LedgerError> {
    let (start, end, _) = period(from_day, days)?;
    let row: Count = diesel::sql_query(
        "SELECT count(DISTINCT user_id) AS n FROM jobs WHERE created_at >= $1 AND created_at < $2",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .get_result(conn)
    .await?;
    Ok(row.n)
}

/// A period's totals and ratios.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Stars paid.
    pub stars_in: i64,
    /// Rubles credited for them.
    pub rub_credited: Decimal,
    /// Stars refunded.
    pub stars_refunded: i64,
    /// Rubles debited by refunds.
    pub refunds_rub: Decimal,
    /// Rubles charged.
    pub revenue_rub: Decimal,
    /// Kie's cost in US dollars.
    pub kie_cost_usd: Decimal,
    /// Kie's cost in rubles: the sum of the days' rounded amounts (so the rows add up to it).
    pub kie_cost_rub: Decimal,
    /// `revenue_rub − kie_cost_rub`.
    pub gross_margin_rub: Decimal,
    /// New users.
    pub new_users: i64,
    /// New payers (first payment ever in the period).
    pub new_payers: i64,
    /// `new_payers / new_users`, to 4 decimal places (half to even); `None` without new users.
    /// New payers need not be new users, so it can exceed 1.
    pub payer_conversion: Option<Decimal>,
    /// Distinct active users over the whole period (from [`distinct_active_users`]).
    pub active_users: i64,
    /// ARPU: `revenue_rub / active_users` in rubles, to kopecks (half to even); `None` without
    /// active users.
    pub arpu_rub: Option<Decimal>,
}

fn ratio(numerator: Decimal, denominator: i64, dp: u32) -> Option<Decimal> {
    if denominator <= 0 {
        return None;
    }
    let result = numerator.checked_div(Decimal::from(denominator))?;
    Some(result.round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven))
}

/// Adds up `days` (from [`daily_analytics`]); `active_users` is the period's
/// [`distinct_active_users`].
pub fn summary(days: &[DayFigures], active_users: i64) -> Summary {
    let total = |f: fn(&DayFigures) -> Decimal| days.iter().map(f).sum::<Decimal>();
    let count = |f: fn(&DayFigures) -> i64| days.iter().map(f).sum::<i64>();
    let revenue_rub = total(|d| d.revenue_rub);
    let kie_cost_rub = total(|d| d.kie_cost_rub);
    let new_users = count(|d| d.new_users);
    let new_payers = count(|d| d.new_payers);
    Summary {
        stars_in: count(|d| d.stars_in),
        rub_credited: total(|d| d.rub_credited),
        stars_refunded: count(|d| d.stars_refunded),
        refunds_rub: total(|d| d.refunds_rub),
        revenue_rub,
        kie_cost_usd: total(|d| d.kie_cost_usd),
        kie_cost_rub,
        gross_margin_rub: revenue_rub - kie_cost_rub,
        new_users,
        new_payers,
        payer_conversion: ratio(Decimal::from(new_payers), new_users, 4),
        active_users,
        arpu_rub: ratio(revenue_rub, active_users, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kopecks_round_half_to_even() {
        assert_eq!(kopecks(Decimal::new(5565, 3)), Decimal::new(556, 2));
        assert_eq!(kopecks(Decimal::new(5575, 3)), Decimal::new(558, 2));
        assert_eq!(kopecks(Decimal::new(-5565, 3)), Decimal::new(-556, 2));
    }

    #[test]
    fn ratios_need_a_positive_denominator() {
        assert_eq!(ratio(Decimal::from(3), 4, 4), Some(Decimal::new(75, 2)));
        assert_eq!(ratio(Decimal::from(3), 0, 4), None);
        assert_eq!(ratio(Decimal::from(3), -1, 4), None);
    }
}
