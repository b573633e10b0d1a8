//! Kie's callbacks: reading the body, and checking the optional HMAC headers
//! (`X-Webhook-Timestamp`, `X-Webhook-Signature` = base64(HMAC-SHA256(key, taskId + "." +
//! timestamp))). A callback is only a notification: whoever receives it must confirm with
//! `recordInfo` before moving money. Must never compare secrets with `==`.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::TaskRecord;

type HmacSha256 = Hmac<Sha256>;

/// Reads a callback body (`{code, msg, data: {...}}`) into a [`TaskRecord`].
pub fn parse_callback(body: &[u8]) -> Result<TaskRecord, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let data = v
        .get("data")
        .and_then(Value::as_object)
        .ok_or("no data object")?;
    TaskRecord::from_data(data)
}

/// The signature Kie sends for `task_id` at `timestamp` (Unix seconds).
pub fn sign(key: &[u8], task_id: &str, timestamp: i64) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{task_id}.{timestamp}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The outcome of [`verify_signature`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Signed with our key, recently.
    Valid,
    /// A header is missing or unreadable.
    Missing,
    /// The signature does not match.
    Mismatch,
    /// The timestamp is outside the allowed skew (a replay, or a wrong clock).
    Stale,
}

/// Checks a callback's signature headers in constant time, with our own replay window
/// (`max_skew_secs` either side of `now`), which Kie's docs leave to the receiver.
pub fn verify_signature(
    key: &[u8],
    task_id: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    now_unix: i64,
    max_skew_secs: i64,
) -> SignatureCheck {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return SignatureCheck::Missing;
    };
    let Ok(ts) = ts.trim().parse::<i64>() else {
        return SignatureCheck::Missing;
    };
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig.trim()) else {
        return SignatureCheck::Mismatch;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{task_id}.{ts}").as_bytes());
    if mac.verify_slice(&sig).is_err() {
        return SignatureCheck::Mismatch;
    }
    if (now_unix - ts).abs() > max_skew_secs {
        return SignatureCheck::Stale;
    }
    SignatureCheck::Valid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip_and_refuse_tampering() {
        let sig = sign(b"k", "task1", 1000);
        let ok = verify_signature(b"k", "task1", Some("1000"), Some(&sig), 1010, 300);
        assert_eq!(ok, SignatureCheck::Valid);
        let other_task = verify_signature(b"k", "task2", Some("1000"), Some(&sig), 1010, 300);
        assert_eq!(other_task, SignatureCheck::Mismatch);
        let other_key = verify_signature(b"x", "task1", Some("1000"), Some(&sig), 1010, 300);
        assert_eq!(other_key, SignatureCheck::Mismatch);
        let old = verify_signature(b"k", "task1", Some("1000"), Some(&sig), 5000, 300);
        assert_eq!(old, SignatureCheck::Stale);
        let none = verify_signature(b"k", "task1", None, Some(&sig), 1010, 300);
        assert_eq!(none, SignatureCheck::Missing);
    }
}
