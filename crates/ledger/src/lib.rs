//! The money core, on PostgreSQL: users, accounts, append-only ledger entries, two-phase holds,
//! Telegram Stars payments, free quota, jobs, runtime settings, the audit log and the record of
//! processed Telegram updates.
//!
//! # How money moves
//! Modelled on two-phase transfers: a [`hold`] moves a job's price from *available* to *held*;
//! the job then ends exactly once through [`finish_job`] (or the hold-centred [`commit`] and
//! [`release`], or [`expire_due`]): success commits the hold (the charge), anything else releases
//! it. Top-ups ([`top_up_stars`]), refunds ([`refund_stars`]), admin adjustments ([`adjust`]) and
//! promo credits ([`bonus`]) are ledger entries too. Every entry has a unique idempotency key, so
//! repeating a call changes nothing and returns the first result.
//!
//! Each money movement is **one call of one SQL function** (`migrations/…_money_functions`), so
//! one statement and one transaction: there is no Rust-side transaction that a cancelled future
//! or a dropped connection could leave half-done or open on a pooled connection. The database
//! itself refuses what must never happen: negative balances, a hold ended twice, an edited entry.
//! [`check_invariants`] re-derives every balance from the entries and reports any disagreement.
//!
//! # Connections
//! Functions take `&mut AsyncPgConnection` (crates.io style: small async queries per table);
//! [`connect_pool`] builds the pool with statement and lock timeouts set in SQL, never by
//! cancelling futures. [`migrate`] applies the embedded migrations.
//!
//! # What this crate must never do
//! It knows nothing of Telegram or Kie: it stores what the UI and the pipeline hand it. It never
//! computes a price (that is `pricing`), and no other crate writes to its tables.
#![deny(missing_docs)]

mod audit;
mod db;
mod error;
mod favourites;
mod free;
mod history;
mod invariants;
mod jobs;
mod money;
mod overrides;
mod pipeline;
mod refunds;
pub mod reports;
#[allow(missing_docs)]
pub mod schema;
mod settings;
pub mod stats;
mod types;
mod ui;
mod updates;
mod users;

pub use audit::{AuditFilter, AuditRecord, audit_page, recent_audit, record_audit};
pub use db::{MIGRATIONS, Pool, PooledConnection, connect_pool, migrate};
pub use diesel_async::AsyncPgConnection;
pub use error::LedgerError;
pub use favourites::{
    MAX_FAVOURITES, MAX_PRESET_NAME_CHARS, MAX_PRESETS_PER_MODEL, Preset, SaveOutcome, StarOutcome,
    delete_preset, favourites, is_favourite, preset, presets, save_preset, star, unstar,
    valid_preset_name,
};
pub use free::free_budget_spent;
pub use free::{
    FreeHoldOutcome, FreeLimits, FreeOutcome, consume_free, free_quota, hold_free, restore_free,
};
pub use history::{Entry, entries_page, jobs_page};
pub use invariants::{Violation, check_invariants};
pub use jobs::{Job, JobStep, NewJob, advance_job, create_job, job, job_by_key, unfinished_jobs};
pub use money::{
    Adjustment, Balance, Finished, HoldOutcome, JobOutcome, MoveOutcome, RefundOutcome,
    StarsPayment, TopUp, adjust, balance, bonus, commit, expire_due, finish_job, hold,
    refund_stars, release, top_up_stars,
};
pub use overrides::{ModelOverride, model_override, model_overrides, set_model_disabled};
pub use pipeline::{
    ClaimLimits, JobUpload, PipelineEvent, add_upload, adopt_late_task, cancel_queued,
    claim_for_submission, delivery_failed, flag, hand_back_leases, mark_create_sent,
    mark_delivered, mark_failure_notified, observed_durations, poke, queue_position, recent_events,
    record_check, record_event, record_submitted, renew_lease, requeue, schedule,
    schedule_unreported, set_flag, store_result, take_due, upload_done, uploads,
};
pub use refunds::{
    JobRefundOutcome, PaymentDetails, job_refund, job_refund_key, payment, refund_job,
};
pub use settings::{
    SETTING_KEYS, SettingChange, current_overrides, effective_settings, set_setting,
    setting_candidate, settings_history,
};
pub use types::{
    EntryId, EntryKind, HoldId, HoldState, JobId, JobState, Language, PaymentId, Role,
    UnknownValue, UserId,
};
pub use ui::{
    Payment, dialogue, popular_models, recent_payments, record_delivered_files, remove_dialogue,
    set_dialogue,
};
pub use updates::{first_time_seen, prune};
pub use users::{
    TelegramProfile, User, ban, enter, mark_reachable, mark_unreachable, set_language, set_role,
    unban, upsert_user, user,
};
