//! The HTTP endpoint Kie calls back: `POST {base}/kie/callback/{job}/{token}`. The token is
//! derived from a secret and the job id, so the path cannot be guessed or reused for another
//! job; Kie's HMAC headers are checked too when a key is configured. A callback only makes its
//! job due — the worker then asks `recordInfo` — so even a forged one that passed could not
//! move money or deliver anything Kie did not confirm. Must never log the token or the secret.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use ledger::JobId;
use sha2::Sha256;
use url::Url;

use crate::{Deliver, Pipeline};

type HmacSha256 = Hmac<Sha256>;

/// The path token for a job: hex of HMAC-SHA256(secret, "kie-callback:{job}"), 32 characters.
pub fn callback_token(secret: &[u8], job: JobId) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("kie-callback:{}", job.0).as_bytes());
    mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn token_matches(secret: &[u8], job: JobId, token: &str) -> bool {
    let Some(bytes) = decode_hex(token) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("kie-callback:{}", job.0).as_bytes());
    // verify_truncated_left compares in constant time.
    bytes.len() == 16 && mac.verify_truncated_left(&bytes).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// The callback URL Kie is given for a job.
pub(crate) fn callback_url(base: &Url, secret: &[u8], job: JobId) -> Url {
    let mut url = base.clone();
    url.path_segments_mut()
        .expect("callback base is a hierarchical URL")
        .pop_if_empty()
        .extend([
            "kie",
            "callback",
            &job.0.to_string(),
            &callback_token(secret, job),
        ]);
    url
}

/// The router the bot mounts (at the root of the server whose public URL is `callback_base`).
pub fn callback_router<D: Deliver>(pipeline: Pipeline<D>) -> Router {
    Router::new()
        .route("/kie/callback/{job}/{token}", post(receive::<D>))
        .with_state(pipeline)
}

async fn receive<D: Deliver>(
    State(pipeline): State<Pipeline<D>>,
    Path((job, token)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let cfg = pipeline.config();
    let job = JobId(job);
    if cfg.callback_secret.is_empty() || !token_matches(&cfg.callback_secret, job, &token) {
        pipeline
            .callback_refused(Some(job), "wrong path token")
            .await;
        return StatusCode::NOT_FOUND;
    }
    let record = match kie_client::parse_callback(&body) {
        Ok(r) => r,
        Err(e) => {
            pipeline
                .callback_refused(Some(job), &format!("unreadable body: {e}"))
                .await;
            return StatusCode::BAD_REQUEST;
        }
    };
    if let Some(key) = &cfg.kie_hmac_key {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
        let check = kie_client::verify_signature(
            key,
            &record.task_id,
            header("x-webhook-timestamp"),
            header("x-webhook-signature"),
            chrono::Utc::now().timestamp(),
            cfg.callback_skew_secs,
        );
        if check != kie_client::SignatureCheck::Valid {
            pipeline
                .callback_refused(Some(job), &format!("signature {check:?}"))
                .await;
            return StatusCode::UNAUTHORIZED;
        }
    }
    match pipeline.on_callback(job, &record.task_id).await {
        Ok(true) => StatusCode::OK,
        Ok(false) => {
            pipeline
                .callback_refused(Some(job), "the task does not belong to this job")
                .await;
            // 200 all the same: Kie must not keep retrying something we will never accept.
            StatusCode::OK
        }
        // Our database is down: let Kie retry.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_job_and_checked() {
        let t = callback_token(b"secret", JobId(7));
        assert_eq!(t.len(), 32);
        assert!(token_matches(b"secret", JobId(7), &t));
        assert!(!token_matches(b"secret", JobId(8), &t));
        assert!(!token_matches(b"other", JobId(7), &t));
        assert!(!token_matches(b"secret", JobId(7), "zz"));
        let url = callback_url(
            &Url::parse("https://bot.example/hooks/").unwrap(),
            b"secret",
            JobId(7),
        );
        assert_eq!(
            url.as_str(),
            format!("https://bot.example/hooks/kie/callback/7/{t}")
        );
    }
}
