//! The update inbox: every Telegram update is stored in PostgreSQL (table `inbox_updates`,
//! owned by this crate) before Telegram is told we have it — before the next getUpdates offset
//! in polling mode, before the 200 in webhook mode — and is then handled by workers on any
//! instance.
//!
//! # Invariants
//! - **Nothing acknowledged is lost:** an update is acknowledged only after [`store_polled`] or
//!   [`store`] committed it. Polled updates are stored only under the live poller lease (the
//!   [`lock::Fence`] is checked in the same statement), so a poller that lost its lease cannot
//!   move the offset past updates nobody stored.
//! - **Nothing is handled twice at once, and each chat in order:** an update's *lane* is its
//!   chat (else its user, else the update alone). [`claim`] hands out only lane heads — the
//!   oldest unfinished update of a lane that no live worker holds — under one advisory lock.
//! - **A crash delays, never drops:** a claimed update carries a lease; if its worker dies the
//!   lease lapses and the update is claimed again. One that crashed three workers is set aside
//!   as `failed` so it cannot block its chat for ever.
//! - Duplicates (Telegram redelivering, two pollers' overlap during a takeover) are dropped by
//!   the primary key on `update_id`.
//!
//! # What this crate must never do
//! Interpret an update beyond finding its id, lane and kind: handling is the bot's.

mod store;

pub use store::{
    Claimed, InboxError, Incoming, StoreOutcome, claim, depth, describe, prune, release, store,
    store_polled,
};
