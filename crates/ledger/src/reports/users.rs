//! How many users there are and how active, and the user list of the admin panel (newest, top
//! spenders, top balances, recently active). Read-only: it must never write, and it never
//! formats a caller's value into SQL (the sort order is one of four fixed clauses).

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Nullable, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::types::{Language, UserId};

/// User totals at a moment.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct UserCounts {
    /// Every user ever seen.
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    /// Seen in the 24 hours before `now` (`last_seen_at > now - 1 day`).
    #[diesel(sql_type = BigInt)]
    pub active_1d: i64,
    /// Seen in the 7 days before `now`.
    #[diesel(sql_type = BigInt)]
    pub active_7d: i64,
    /// Seen in the 30 days before `now`.
    #[diesel(sql_type = BigInt)]
    pub active_30d: i64,
    /// Users with at least one Stars payment still credited (a refunded one does not count).
    #[diesel(sql_type = BigInt)]
    pub paying: i64,
}

/// User totals at `now` (activity is `users.last_seen_at`, refreshed at most every few minutes).
pub async fn user_counts(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<UserCounts, LedgerError> {
    Ok(diesel::sql_query(
        "SELECT count(*) AS total, \
           count(*) FILTER (WHERE last_seen_at > $1 - interval '1 day') AS active_1d, \
           count(*) FILTER (WHERE last_seen_at > $1 - interval '7 days') AS active_7d, \
           count(*) FILTER (WHERE last_seen_at > $1 - interval '30 days') AS active_30d, \
           (SELECT count(DISTINCT user_id) FROM payments WHERE state = 'credited') AS paying \
         FROM users",
    )
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .await?)
}

/// One line of the user list.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct UserRow {
    /// The Telegram user id.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub id: UserId,
    /// @username, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub username: Option<String>,
    /// First name (may be empty).
    #[diesel(sql_type = Text)]
    pub first_name: String,
    /// The language the bot speaks to them in.
    #[diesel(sql_type = Text, deserialize_as = super::Parsed<Language>)]
    pub language: Language,
    /// Banned.
    #[diesel(sql_type = Bool)]
    pub banned: bool,
    /// Rubles spendable now.
    #[diesel(sql_type = Numeric)]
    pub available: Decimal,
    /// Rubles held for running jobs.
    #[diesel(sql_type = Numeric)]
    pub held: Decimal,
    /// Rubles charged ever (the sum of their `commit` entries).
    #[diesel(sql_type = Numeric)]
    pub spent: Decimal,
    /// Stars of their payments still credited (refunded payments excluded).
    #[diesel(sql_type = BigInt)]
    pub paid_stars: i64,
    /// First seen.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last seen.
    #[diesel(sql_type = Timestamptz)]
    pub last_seen_at: DateTime<Utc>,
}

/// The `SELECT … FROM` of a [`UserRow`]; callers add `WHERE`, `ORDER BY` and `LIMIT`.
pub(crate) const USER_ROW_SQL: &str = "SELECT u.id, u.username, u.first_name, u.language, \
       u.banned, a.available, a.held, coalesce(s.total, 0) AS spent, \
       coalesce(p.stars, 0)::bigint AS paid_stars, u.created_at, u.last_seen_at \
     FROM users u JOIN accounts a ON a.user_id = u.id \
     LEFT JOIN LATERAL (SELECT sum(e.amount) AS total FROM ledger_entries e \
                         WHERE e.user_id = u.id AND e.kind = 'commit') s ON true \
     LEFT JOIN LATERAL (SELECT sum(pay.xtr_amount) AS stars FROM payments pay \
                         WHERE pay.user_id = u.id AND pay.state = 'credited') p ON true";

/// The order of the user list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UserOrder {
    /// Newest first (`created_at`).
    Newest,
    /// Most rubles charged first ([`UserRow::spent`]).
    TopSpend,
    /// Most rubles available first ([`UserRow::available`]; held money not counted).
    TopBalance,
    /// Most recently seen first (`last_seen_at`).
    RecentlyActive,
}

impl UserOrder {
    /// The ORDER BY clause; ties go to the smaller id, so pages never overlap.
    fn sql(self) -> &'static str {
        match self {
            UserOrder::Newest => "u.created_at DESC, u.id",
            UserOrder::TopSpend => "spent DESC, u.id",
            UserOrder::TopBalance => "a.available DESC, u.id",
            UserOrder::RecentlyActive => "u.last_seen_at DESC, u.id",
        }
    }
}

/// One page of users in `order`: `limit` (clamped to 1–500) rows after skipping `offset`.
pub async fn user_list(
    conn: &mut AsyncPgConnection,
    order: UserOrder,
    limit: i64,
    offset: i64,
) -> Result<Vec<UserRow>, LedgerError> {
    let sql = format!("{USER_ROW_SQL} ORDER BY {} LIMIT $1 OFFSET $2", order.sql());
    Ok(diesel::sql_query(sql)
        .bind::<BigInt, _>(limit.clamp(1, 500))
        .bind::<BigInt, _>(offset.max(0))
        .load(conn)
        .await?)
}
