//! What the pipeline hands to the user interface: results, failures, progress and admin
//! alerts, as structured values. The UI (bot-ui) implements [`Deliver`] and turns them into
//! messages in the user's language. Must never contain user-facing text or Telegram types.

use std::future::Future;
use std::time::Duration;

use ledger::Job;
use url::Url;

use crate::ResultKind;

/// One result file, downloaded from Kie (Kie's URLs expire, so it is fetched at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultFile {
    /// Image, video, audio or text.
    pub kind: ResultKind,
    /// Kie's URL (for a link when the file is too large to send).
    pub url: Option<Url>,
    /// The bytes, unless larger than the configured limit.
    pub bytes: Option<Vec<u8>>,
    /// The MIME type the host reported.
    pub mime: Option<String>,
    /// The text, for speech-to-text results.
    pub text: Option<String>,
}

/// Why a job did not produce a result (the user's money is back in every case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Kie refused the input (content policy, invalid parameters): Kie's message says why.
    Rejected,
    /// Kie accepted the task but generation failed.
    GenerationFailed,
    /// Kie did not finish before the deadline.
    Deadline,
    /// The service cannot run generations right now (our Kie account is empty or misconfigured).
    ServiceUnavailable,
    /// We could not tell whether Kie started the task; we did not charge.
    Uncertain,
    /// The user cancelled it.
    Cancelled,
    /// The money was held too long (the queue did not move).
    Expired,
}

/// A failure, as the UI needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The kind.
    pub kind: FailureKind,
    /// The short code stored on the job (Kie's failCode, `deadline`, ...).
    pub code: String,
    /// Kie's message or ours (English, technical; the UI words it for users).
    pub message: String,
}

/// Where a job is, for the progress message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for a Kie slot.
    Queued {
        /// Jobs ahead of it.
        position: i64,
        /// Expected wait plus generation, if known.
        eta: Option<Duration>,
    },
    /// Kie is working on it.
    Generating {
        /// Since Kie accepted it.
        elapsed: Duration,
        /// Expected remaining time, if known.
        eta: Option<Duration>,
    },
}

/// An event admins must hear about (once per event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alert {
    /// Kie refused new tasks (402 no credit, or 401 bad key): new runs are paused.
    KiePaused {
        /// Kie's code.
        code: u16,
        /// Kie's message.
        message: String,
    },
    /// Kie accepts tasks again.
    KieResumed,
    /// Kie finished a task after we had released its money: Kie was paid, the user was not
    /// charged (and got the result as a goodwill delivery).
    LateSuccess {
        /// The job.
        job: i64,
    },
    /// A createTask whose outcome is unknown (Kie may have been paid).
    AmbiguousSubmit {
        /// The job.
        job: i64,
    },
}

/// Why a delivery failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Worth retrying later (network, flood limits).
    #[error("delivery failed, will retry: {0}")]
    Retry(String),
    /// Pointless to retry (the user blocked the bot).
    #[error("delivery impossible: {0}")]
    Permanent(String),
}

/// The user interface side of the pipeline. Each method is called by the worker that made the
/// corresponding change in the database; `deliver` and `failed` are retried until they succeed
/// or fail permanently, and their success is recorded, so each happens once (a crash between
/// Telegram accepting a message and our record of it can repeat it once — the one window no
/// system can close without Telegram's cooperation).
pub trait Deliver: Send + Sync + 'static {
    /// Sends the result. `goodwill` marks a late success the user was not charged for.
    fn deliver(
        &self,
        job: &Job,
        files: Vec<ResultFile>,
        goodwill: bool,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// Tells the user the job failed and the money (or free run) is back.
    fn failed(
        &self,
        job: &Job,
        failure: &Failure,
    ) -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// Updates the progress message (best effort; the UI throttles edits).
    fn progress(&self, job: &Job, progress: Progress) -> impl Future<Output = ()> + Send;

    /// Tells admins.
    fn alert(&self, alert: Alert) -> impl Future<Output = ()> + Send;
}
