//! The lease row's four statements: acquire, renew, release, read. Each is one statement, so
//! there is no transaction to leave open.

use std::time::Duration;

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// What can go wrong talking to the lease table.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    /// A database error (the lease state is unknown: treat it as not held).
    #[error("lease query failed: {0}")]
    Db(#[from] diesel::result::Error),
    /// No connection to the database.
    #[error("lease connection failed: {0}")]
    Connect(String),
}

/// How a lease is held.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// The lease's name (one singleton per name).
    pub name: String,
    /// This instance's name.
    pub holder: String,
    /// How long a renewal keeps the lease (database time).
    pub ttl: Duration,
    /// How often the holder renews.
    pub renew_every: Duration,
    /// How often a standby tries to acquire.
    pub retry_every: Duration,
    /// Subtracted from the local deadline, for clock-rate drift and scheduling delays.
    pub margin: Duration,
}

impl LeaseConfig {
    /// The production settings: TTL 10 s, renewed every 3 s, standbys try every second.
    pub fn new(name: impl Into<String>, holder: impl Into<String>) -> LeaseConfig {
        LeaseConfig {
            name: name.into(),
            holder: holder.into(),
            ttl: Duration::from_secs(10),
            renew_every: Duration::from_secs(3),
            retry_every: Duration::from_secs(1),
            margin: Duration::from_millis(500),
        }
    }
}

/// The proof of holding a lease, carried by writes made under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    /// The lease's name.
    pub name: String,
    /// Who holds it.
    pub holder: String,
    /// Which acquisition: bumped on every one, so an older holder's fence no longer matches.
    pub epoch: i64,
}

/// The lease row, as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct LeaseRow {
    /// Who holds (or last held) it.
    #[diesel(sql_type = Text)]
    pub holder: String,
    /// The current epoch.
    #[diesel(sql_type = BigInt)]
    pub epoch: i64,
    /// Milliseconds until it expires (negative: expired).
    #[diesel(sql_type = BigInt)]
    pub expires_in_ms: i64,
}

#[derive(diesel::QueryableByName)]
struct Epoch {
    #[diesel(sql_type = Nullable<BigInt>)]
    epoch: Option<i64>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Takes the lease if nobody holds it (expired or released); returns its fence, or `None`
/// while somebody else's lease runs.
pub async fn try_acquire(
    conn: &mut AsyncPgConnection,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Fence>, LeaseError> {
    let rows: Vec<Epoch> = diesel::sql_query(
        "INSERT INTO poller_leases AS l (name, holder, epoch, acquired_at, renewed_at, expires_at) \
         VALUES ($1, $2, 1, clock_timestamp(), clock_timestamp(), \
                 clock_timestamp() + make_interval(secs => $3 / 1000.0)) \
         ON CONFLICT (name) DO UPDATE \
            SET holder = EXCLUDED.holder, epoch = l.epoch + 1, acquired_at = EXCLUDED.acquired_at, \
                renewed_at = EXCLUDED.renewed_at, expires_at = EXCLUDED.expires_at \
          WHERE l.expires_at <= clock_timestamp() \
         RETURNING epoch",
    )
    .bind::<Text, _>(name)
    .bind::<Text, _>(holder)
    .bind::<BigInt, _>(millis(ttl))
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .and_then(|r| r.epoch)
        .map(|epoch| Fence {
            name: name.to_string(),
            holder: holder.to_string(),
            epoch,
        }))
}

/// Extends the lease by `ttl` from now if `fence` still holds it and it has not expired.
/// `false`: the lease is lost (expired, or taken over).
pub async fn renew(
    conn: &mut AsyncPgConnection,
    fence: &Fence,
    ttl: Duration,
) -> Result<bool, LeaseError> {
    let n = diesel::sql_query(
        "UPDATE poller_leases SET renewed_at = clock_timestamp(), \
                expires_at = clock_timestamp() + make_interval(secs => $4 / 1000.0) \
          WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
    )
    .bind::<Text, _>(&fence.name)
    .bind::<Text, _>(&fence.holder)
    .bind::<BigInt, _>(fence.epoch)
    .bind::<BigInt, _>(millis(ttl))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Gives the lease up at once (a clean stop), so a standby takes over without waiting for it to
/// expire. `false`: it was not held any more.
pub async fn release(conn: &mut AsyncPgConnection, fence: &Fence) -> Result<bool, LeaseError> {
    let n = diesel::sql_query(
        "UPDATE poller_leases SET expires_at = clock_timestamp() \
          WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at > clock_timestamp()",
    )
    .bind::<Text, _>(&fence.name)
    .bind::<Text, _>(&fence.holder)
    .bind::<BigInt, _>(fence.epoch)
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The lease row of `name`, if it was ever taken.
pub async fn holder_of(
    conn: &mut AsyncPgConnection,
    name: &str,
) -> Result<Option<LeaseRow>, LeaseError> {
    let rows: Vec<LeaseRow> = diesel::sql_query(
        "SELECT holder, epoch, \
                (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::bigint AS expires_in_ms \
           FROM poller_leases WHERE name = $1",
    )
    .bind::<Text, _>(name)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next())
}
