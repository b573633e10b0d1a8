//! Finding a user (by id, @username or a piece of a name) and the admin panel's card of one user:
//! profile, money, payments, jobs. Read-only: it must never write, and the search text is always
//! bound (with `%`, `_` and `\` escaped for ILIKE), never formatted into SQL.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Numeric, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use super::users::{USER_ROW_SQL, UserRow};
use crate::LedgerError;
use crate::types::{JobId, JobState, Language, PaymentId, Role, UserId};

/// `text` as an ILIKE pattern matching it anywhere, literally (`%`, `_` and `\` escaped).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Users matching `query` (trimmed), smallest id first, at most `limit` (1–100):
/// - an integer: the user with exactly that id;
/// - `@name`: the user whose username is `name`, case-insensitively;
/// - anything else: users whose first name, last name or username contains it,
///   case-insensitively. A blank query finds nobody.
pub async fn find_users(
    conn: &mut AsyncPgConnection,
    query: &str,
    limit: i64,
) -> Result<Vec<UserRow>, LedgerError> {
    let query = query.trim();
    let limit = limit.clamp(1, 100);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    if let Ok(id) = query.parse::<i64>() {
        let sql = format!("{USER_ROW_SQL} WHERE u.id = $1 LIMIT $2");
        let found = diesel::sql_query(sql).bind::<BigInt, _>(id);
        return Ok(found.bind::<BigInt, _>(limit).load(conn).await?);
    }
    let (condition, value) = match query.strip_prefix('@') {
        Some(name) => ("lower(u.username) = lower($1)", name.to_string()),
        None => (
            "(u.first_name ILIKE $1 OR u.last_name ILIKE $1 OR u.username ILIKE $1)",
            contains_pattern(query),
        ),
    };
    let sql = format!("{USER_ROW_SQL} WHERE {condition} ORDER BY u.id LIMIT $2");
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(value)
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?)
}

/// Everything the admin panel shows about one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserCard {
    /// Profile, money and totals.
    pub profile: CardProfile,
    /// How many of their jobs are in each state (states with none absent), by state name.
    pub jobs_by_state: Vec<(JobState, i64)>,
    /// Their 10 most recent jobs, newest (`created_at`) first.
    pub last_jobs: Vec<CardJob>,
    /// Their 10 most recent Stars payments, newest first.
    pub last_payments: Vec<CardPayment>,
}

/// The card's profile, balance and lifetime totals.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct CardProfile {
    /// The Telegram user id.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub id: UserId,
    /// @username, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub username: Option<String>,
    /// First name.
    #[diesel(sql_type = Text)]
    pub first_name: String,
    /// Last name, if any.
    #[diesel(sql_type = Nullable<Text>)]
    pub last_name: Option<String>,
    /// The bot's language for them.
    #[diesel(sql_type = Text, deserialize_as = super::Parsed<Language>)]
    pub language: Language,
    /// User or admin.
    #[diesel(sql_type = Text, deserialize_as = super::Parsed<Role>)]
    pub role: Role,
    /// Banned.
    #[diesel(sql_type = Bool)]
    pub banned: bool,
    /// Why, when banned.
    #[diesel(sql_type = Nullable<Text>)]
    pub ban_reason: Option<String>,
    /// False once Telegram answered 403 (they blocked the bot).
    #[diesel(sql_type = Bool)]
    pub reachable: bool,
    /// First seen.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last seen.
    #[diesel(sql_type = Timestamptz)]
    pub last_seen_at: DateTime<Utc>,
    /// Rubles spendable now.
    #[diesel(sql_type = Numeric)]
    pub available: Decimal,
    /// Rubles held for running jobs.
    #[diesel(sql_type = Numeric)]
    pub held: Decimal,
    /// Stars paid ever, refunded payments included.
    #[diesel(sql_type = BigInt)]
    pub paid_xtr: i64,
    /// Rubles those payments credited, refunded payments included.
    #[diesel(sql_type = Numeric)]
    pub rub_credited: Decimal,
    /// Stars of the refunded payments.
    #[diesel(sql_type = BigInt)]
    pub refunded_xtr: i64,
    /// Rubles debited by those refunds.
    #[diesel(sql_type = Numeric)]
    pub refunded_rub: Decimal,
    /// Rubles charged ever (the sum of their `commit` entries).
    #[diesel(sql_type = Numeric)]
    pub spent: Decimal,
    /// Free runs used and kept: free jobs that took a free run and did not end failed,
    /// cancelled or expired (those give the run back). Equals the sum of their `free_usage`
    /// day windows.
    #[diesel(sql_type = BigInt)]
    pub free_runs_used: i64,
}

/// A job as the card lists it.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct CardJob {
    /// The job.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub id: JobId,
    /// The Kie model id.
    #[diesel(sql_type = Text)]
    pub model_id: String,
    /// Where it is.
    #[diesel(sql_type = Text, deserialize_as = super::Parsed<JobState>)]
    pub state: JobState,
    /// Its ruble price (zero for a free run).
    #[diesel(sql_type = Numeric)]
    pub price: Decimal,
    /// A free run.
    #[diesel(sql_type = Bool)]
    pub is_free: bool,
    /// Why it failed, if it did (also `cancelled`, `hold_expired`).
    #[diesel(sql_type = Nullable<Text>)]
    pub failure_code: Option<String>,
    /// Created.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A Stars payment as the card lists it.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct CardPayment {
    /// The payment.
    #[diesel(sql_type = BigInt, deserialize_as = i64)]
    pub id: PaymentId,
    /// Stars paid.
    #[diesel(sql_type = Integer)]
    pub xtr_amount: i32,
    /// Rubles credited.
    #[diesel(sql_type = Numeric)]
    pub rub_credited: Decimal,
    /// `credited` or `refunded`.
    #[diesel(sql_type = Text)]
    pub state: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Telegram's charge id (what a refund needs).
    #[diesel(sql_type = Text)]
    pub telegram_payment_charge_id: String,
}

/// The profile row with the user's job counts by state beside it.
#[derive(diesel::QueryableByName)]
struct ProfileRow {
    #[diesel(embed)]
    profile: CardProfile,
    #[diesel(sql_type = Array<Text>)]
    job_states: Vec<String>,
    #[diesel(sql_type = Array<BigInt>)]
    job_counts: Vec<i64>,
}

const PROFILE_SQL: &str = "SELECT u.id, u.username, u.first_name, u.last_name, u.language, \
       u.role, u.banned, u.ban_reason, u.reachable, u.created_at, u.last_seen_at, \
       a.available, a.held, \
       coalesce(p.xtr, 0)::bigint AS paid_xtr, coalesce(p.rub, 0) AS rub_credited, \
       coalesce(p.refunded_xtr, 0)::bigint AS refunded_xtr, \
       coalesce(p.refunded_rub, 0) AS refunded_rub, \
       (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e \
         WHERE e.user_id = u.id AND e.kind = 'commit') AS spent, \
       (SELECT count(*) FROM jobs j WHERE j.user_id = u.id AND j.is_free \
           AND j.free_consumed_at IS NOT NULL \
           AND j.state NOT IN ('failed', 'cancelled', 'expired')) AS free_runs_used, \
       coalesce(s.states, '{}') AS job_states, coalesce(s.counts, '{}') AS job_counts \
     FROM users u JOIN accounts a ON a.user_id = u.id \
     LEFT JOIN LATERAL (SELECT sum(pay.xtr_amount) AS xtr, sum(pay.rub_credited) AS rub, \
           sum(pay.xtr_amount) FILTER (WHERE pay.state = 'refunded') AS refunded_xtr, \
           sum(pay.rub_credited) FILTER (WHERE pay.state = 'refunded') AS refunded_rub \
         FROM payments pay WHERE pay.user_id = u.id) p ON true \
     LEFT JOIN LATERAL (SELECT array_agg(c.state ORDER BY c.state) AS states, \
           array_agg(c.n ORDER BY c.state) AS counts \
         FROM (SELECT state, count(*) AS n FROM jobs WHERE user_id = u.id GROUP BY state) c) s \
       ON true \
     WHERE u.id = $1";

const JOBS_SQL: &str = "SELECT id, model_id, state, price, is_free, failure_code, created_at \
     FROM jobs WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10";

const PAYMENTS_SQL: &str = "SELECT id, xtr_amount, rub_credited, state, created_at, \
       telegram_payment_charge_id \
     FROM payments WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 10";

/// The card of `user`, or `None` if there is no such user. Its three reads share one
/// read-only snapshot, so the totals and lists agree with each other.
pub async fn user_card(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<Option<UserCard>, LedgerError> {
    conn.build_transaction()
        .repeatable_read()
        .read_only()
        .run::<_, LedgerError, _>(async |conn| card_in_snapshot(conn, user).await)
        .await
}

async fn card_in_snapshot(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<Option<UserCard>, LedgerError> {
    let row: Option<ProfileRow> = diesel::sql_query(PROFILE_SQL)
        .bind::<BigInt, _>(user.0)
        .get_result(conn)
        .await
        .optional()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_jobs = diesel::sql_query(JOBS_SQL).bind::<BigInt, _>(user.0);
    let last_jobs: Vec<CardJob> = last_jobs.load(conn).await?;
    let last_payments = diesel::sql_query(PAYMENTS_SQL).bind::<BigInt, _>(user.0);
    let last_payments: Vec<CardPayment> = last_payments.load(conn).await?;
    Ok(Some(UserCard {
        jobs_by_state: parse_states(row.job_states, row.job_counts)?,
        profile: row.profile,
        last_jobs,
        last_payments,
    }))
}

fn parse_states(
    states: Vec<String>,
    counts: Vec<i64>,
) -> Result<Vec<(JobState, i64)>, LedgerError> {
    states
        .into_iter()
        .zip(counts)
        .map(|(s, n)| {
            let state = s
                .parse::<JobState>()
                .map_err(|e| LedgerError::Unexpected(e.to_string()))?;
            Ok((state, n))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern(r"5%_a\b"), r"%5\%\_a\\b%");
    }
}
