//! The error taxonomy. Every failure is classified by both the HTTP status and the envelope's
//! `code`, because Kie usually reports errors with HTTP 200 and the code in the body.
//! Must never carry the API key: messages come from Kie's `msg` or from reqwest with the URL
//! stripped.

/// What kind of failure, which decides what the caller may do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Kie refused the request before processing it (400, 401, 402, 404, 422, 433, 451, 505 and
    /// other final codes). Retrying the same request cannot help; nothing was created.
    Rejected,
    /// Kie could not take the request now (429, 455, 5xx on an idempotent call, a connection
    /// that never opened) and the retries ran out. Nothing was created.
    Unavailable,
    /// A `createTask` whose outcome is unknown: it timed out or lost its connection after the
    /// request was sent, or a gateway answered 5xx. A paid task may exist; never resend blindly.
    Ambiguous,
    /// Kie answered something we could not read.
    Invalid,
}

/// A failed Kie call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("kie {endpoint}: {kind:?}{}: {message}", code.map(|c| format!(" (code {c})")).unwrap_or_default())]
pub struct KieError {
    /// The classification.
    pub kind: ErrorKind,
    /// Kie's code (body `code`, else the HTTP status), when there was one.
    pub code: Option<u16>,
    /// Kie's `msg`, or what went wrong on our side.
    pub message: String,
    /// Which call failed (`createTask`, `recordInfo`, ...).
    pub endpoint: &'static str,
}

impl KieError {
    pub(crate) fn new(
        endpoint: &'static str,
        kind: ErrorKind,
        code: Option<u16>,
        message: impl Into<String>,
    ) -> KieError {
        KieError {
            kind,
            code,
            message: message.into(),
            endpoint,
        }
    }

    /// Our Kie account has run out of credits (402; also a 429 that says so, seen in the wild).
    pub fn is_insufficient_credits(&self) -> bool {
        self.code == Some(402)
            || (self.code == Some(429) && self.message.to_lowercase().contains("insufficient"))
    }

    /// Our API key is wrong or revoked (401): an operator problem, not the user's.
    pub fn is_unauthorized(&self) -> bool {
        self.code == Some(401)
    }

    /// Kie rejected the input (400/422/451): the user's request or our registry is wrong.
    pub fn is_bad_input(&self) -> bool {
        self.kind == ErrorKind::Rejected && matches!(self.code, Some(400 | 422 | 451))
    }
}
