//! A typed client for Kie.ai's HTTP API (see `shared/kie-api.md`).
//!
//! # What it does
//! - **Market tasks:** [`KieClient::create_task`] and [`KieClient::record_info`], with the
//!   JSON-in-a-string fields (`param`, `resultJson`) parsed and times turned into timestamps.
//! - **Helpers:** account credit, temporary download links, file uploads (base64 for small
//!   files, multipart for large ones, on a separately configurable upload host), and downloads
//!   of results.
//! - **Callbacks:** [`parse_callback`] reads a callback body into the same [`TaskRecord`];
//!   [`verify_signature`] checks Kie's optional HMAC headers in constant time.
//! - **Errors** form a taxonomy ([`KieError`]): rejected before processing (final), unavailable
//!   after retries, and *ambiguous* — a `createTask` that may have created a paid task.
//! - **Rate limits** are shared by every caller of one client (one client per API key): at most
//!   20 creates per 10 s and 10 status queries per second by default. Callers wait their turn in
//!   FIFO order instead of receiving 429s.
//! - **Own-endpoint families** (Veo, Suno, Runway, Aleph, Flux Kontext, 4o Image, Midjourney):
//!   [`families`] — typed requests, [`KieClient::create_family_task`],
//!   [`KieClient::family_record`] and [`families::parse_family_callback`], all read into one
//!   [`families::FamilyRecord`], with the same error taxonomy and the same shared limits.
//!
//! # What it must never do
//! - Retry `createTask` after the request may have reached Kie (timeouts, dropped connections,
//!   gateway errors): that can pay for a task twice. Only answers that prove nothing was created
//!   (429, 455, a refused connection) are retried.
//! - Log, format or return the API key: [`ApiKey`] has no `Display`, its `Debug` is redacted, and
//!   the key travels only in the `Authorization` header of requests to the configured Kie hosts
//!   (never to result hosts).
//! - Know anything of rubles, users or Telegram.

mod callback;
mod client;
mod config;
mod error;
pub mod families;
mod limiter;
mod record;

pub use callback::{SignatureCheck, parse_callback, sign, verify_signature};
pub use client::{
    CallObserver, ClientStats, CreateTask, CreatedTask, Download, KieClient, Uploaded,
};
pub use config::{ApiKey, KieConfig, RateLimit};
pub use error::{ErrorKind, KieError};
pub use limiter::WindowLimiter;
pub use record::{TaskOutput, TaskRecord, TaskState};
