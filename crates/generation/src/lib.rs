//! The generation pipeline: a paid (or free) run of one model, from the confirm button to the
//! result in the user's hands, surviving crashes, Kie's failures and its rate limits.
//!
//! # A job's life
//! 1. [`Pipeline::submit`] quotes the input with the catalog's one pricing function, creates the
//!    job once per idempotency key, stores the user's files and holds the price (or a free run).
//!    The job is `held`: queued.
//! 2. A worker claims it (`FOR UPDATE SKIP LOCKED`, within the per-user and global in-flight
//!    limits), uploads the files to Kie's upload host, **records that createTask is about to be
//!    sent**, sends it once, and records the task id (`submitted`).
//! 3. Kie's callback (authenticated by an unguessable per-job path and, when configured, Kie's
//!    HMAC) or the polling schedule makes the job due; a worker asks `recordInfo`, the only
//!    authority, and the job completes: success commits the hold and the result is downloaded
//!    and handed to [`Deliver`]; failure or the deadline releases the hold and the user is told.
//! 4. On start (and continuously) every unfinished job is picked up from its recorded state.
//!
//! # Architecture invariants
//! - **No untracked paid task:** `create_sent_at` is committed before createTask leaves. A job
//!   with it and no task id is *ambiguous*: never resubmitted; it waits for a callback naming
//!   it (then adopts the task) and is released after a grace period otherwise.
//! - **One completion:** every piece of work on a job runs under a lease taken with
//!   `SKIP LOCKED`, and every step is conditional on the state it starts from, so a callback, a
//!   poll and a second instance converge on one commit (or release) and one delivery.
//! - **The callback body never moves money**; it only makes the job due.
//! - **A status-query blip never refunds** a task Kie may still finish; only Kie's `fail`, the
//!   deadline, or a rejected createTask do.
//! - This crate knows nothing of Telegram: it hands bytes and structured outcomes to
//!   [`Deliver`], which the UI implements. It never sends a Telegram file URL anywhere — it only
//!   ever receives bytes.

mod callback;
mod config;
mod deliver;
mod pipeline;
mod result;

pub use callback::{callback_router, callback_token};
pub use config::{Deadlines, PipelineConfig, PollSchedule};
pub use deliver::{Alert, Deliver, DeliveryError, Failure, FailureKind, Progress, ResultFile};
pub use pipeline::{
    CrashPoint, InputFile, JobStatus, Order, Pipeline, PipelineError, Submission, is_paused,
    pending_upload_url,
};
pub use result::ResultKind;
