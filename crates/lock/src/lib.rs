//! Singleton leases: exactly one holder of a name (the Telegram poller of one bot token) across
//! processes and machines, with a fencing epoch; and [`members`], the heartbeat that tells each
//! instance how many are alive (to split the deployment's limits).
//!
//! # The rules
//! - A lease is a row of `poller_leases` (this crate owns the table): `holder`, `epoch` and
//!   `expires_at`, all decided by the **database's** clock. Acquiring is possible only once the
//!   row has expired (or was released); every acquisition bumps `epoch`.
//! - The holder renews every [`LeaseConfig::renew_every`] (3 s) for [`LeaseConfig::ttl`]
//!   (10 s). Locally it trusts the lease only until `sent + ttl - margin`, where `sent` is
//!   the monotonic instant *before* its last successful renewal was sent: the database's expiry
//!   is never earlier than that, so the holder always stops acting before anyone else can take
//!   over. A holder that cannot renew (database gone, process paused by SIGSTOP, connection
//!   cut) therefore goes quiet by itself, and a standby takes over within `ttl + retry`.
//! - Writes made under the lease carry the [`Fence`] (name, holder, epoch) and are checked
//!   against the row in the same statement (see `inbox_store_polled`): a holder that lost the
//!   lease while a request was in flight cannot write as the holder afterwards.
//!
//! # Why not `pg_advisory_lock`
//! A session advisory lock lives and dies with one backend connection. If that connection is
//! cut (a network blip, a server restart, an idle-killer) the lock is silently gone while the
//! process carries on polling, and nothing tells the next write it is stale; behind PgBouncer
//! in transaction mode, "the session" is whichever server connection the next statement lands
//! on, so the lock is neither held nor releasable. A lease row with an expiry and an epoch
//! works through any pooler, survives reconnects, lets the holder know how long it may still
//! act, and fences late writes.
//!
//! This crate owns the tables `poller_leases` and `instances`.
//!
//! # What this crate must never do
//! Hold a transaction open across an await on anything but the database, trust an instance's
//! wall clock, or report a lease as held after its local deadline passed.

mod keeper;
mod lease;
pub mod members;

pub use keeper::{Held, LeaseKeeper, LeaseWatch};
pub use lease::{Fence, LeaseConfig, LeaseError, LeaseRow, holder_of, release, renew, try_acquire};
pub use members::Membership;
