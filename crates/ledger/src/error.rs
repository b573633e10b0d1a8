//! [`LedgerError`]: what can go wrong talking to the ledger. Expected business outcomes
//! (insufficient funds, an already ended hold) are not errors: they are the `Ok` values of
//! each call.

/// A failure of a ledger call: the database, the pool, or a call that can only come from a bug.
///
/// Messages never contain connection URLs (they may carry passwords).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A query failed (includes RAISEs from the money functions, which roll everything back).
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    /// No connection could be had from the pool in time.
    #[error("database pool: {0}")]
    Pool(String),
    /// Applying migrations failed.
    #[error("migrations: {0}")]
    Migrations(String),
    /// The call was malformed (a zero amount, an empty key): a bug in the caller.
    #[error("invalid ledger call: {0}")]
    Invalid(String),
    /// The user has no account (they were never upserted).
    #[error("no such user {0}")]
    NoSuchUser(i64),
    /// The database answered something this version does not know (an outcome, a state).
    #[error("unexpected answer from the database: {0}")]
    Unexpected(String),
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for LedgerError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        LedgerError::Pool(e.to_string())
    }
}
