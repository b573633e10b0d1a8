//! Operational figures for the metrics endpoint: jobs by state and money held and charged.
//! Read-only; each is one aggregate query.

use diesel::sql_types::{BigInt, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::LedgerError;

#[derive(diesel::QueryableByName)]
struct StateCount {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many jobs are in each state (states with none are absent).
pub async fn jobs_by_state(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<(String, i64)>, LedgerError> {
    let rows: Vec<StateCount> =
        diesel::sql_query("SELECT state, count(*) AS n FROM jobs GROUP BY state ORDER BY state")
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| (r.state, r.n)).collect())
}

/// Money totals in rubles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct MoneyTotals {
    /// Held now, on all accounts.
    #[diesel(sql_type = Numeric)]
    pub held: Decimal,
    /// Charged (committed holds) ever.
    #[diesel(sql_type = Numeric)]
    pub charged: Decimal,
}

/// Money held now and charged ever.
pub async fn money_totals(conn: &mut AsyncPgConnection) -> Result<MoneyTotals, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT (SELECT coalesce(sum(held), 0) FROM accounts) AS held, \
                (SELECT coalesce(sum(amount), 0) FROM ledger_entries WHERE kind = 'commit') AS charged",
    )
    .get_result(conn)
    .await?)
}
