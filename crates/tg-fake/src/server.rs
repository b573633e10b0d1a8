//! The HTTP side: one axum fallback handler that routes `/bot<token>/<method>` (any method
//! casing, JSON, multipart or urlencoded bodies, query parameters) and
//! `/file/bot<token>/<path>`, applies injected faults, long-polls `getUpdates`, records every
//! call and answers in Telegram's envelope.
//!
//! It must never hold the state lock across an await, and never answer a 5xx on its own
//! (teloxide sleeps 10 s after any 5xx): only an injected fault does.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

use crate::{
    api,
    state::Shared,
    wire::{ApiFailure, ApiRequest, ApiResult, Params, UploadedPart, field_value},
};

/// The largest request body accepted (uploads over 50 MB are refused with 413 by `api.rs`).
const BODY_LIMIT: usize = 64 * 1024 * 1024;
/// The longest long poll Telegram allows.
const MAX_POLL_SECONDS: i64 = 50;

/// The fake's router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let segments: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    if let Some(at) = segments.iter().position(|s| s == "file")
        && let Some(token) = segments.get(at + 1).and_then(|s| s.strip_prefix("bot"))
    {
        let path = segments[at + 2..].join("/");
        return download(&shared, token, &path);
    }
    match segments.as_slice() {
        [.., bot, method] if bot.starts_with("bot") => {
            let token = bot["bot".len()..].to_owned();
            let method = method.to_ascii_lowercase();
            method_call(shared, &token, method, req).await
        }
        _ => respond(Err(ApiFailure {
            code: 404,
            description: "Not Found".to_owned(),
            retry_after: None,
        })),
    }
}

async fn method_call(shared: Arc<Shared>, token: &str, method: String, req: Request) -> Response {
    let at = Instant::now();
    let (request, parse_failure) = match parse_request(req).await {
        Ok(request) => (request, None),
        Err(failure) => (ApiRequest::default(), Some(failure)),
    };
    let early = if token == shared.token {
        parse_failure
    } else {
        Some(ApiFailure::unauthorized())
    };
    let result = match early {
        Some(failure) => Err(failure),
        None => {
            let fault = shared.update(|st| {
                let queue = st.faults.get_mut(&method)?;
                let fault = queue.pop_front();
                if queue.is_empty() {
                    st.faults.remove(&method);
                }
                fault
            });
            match fault {
                Some(fault) => Err(ApiFailure::from(&fault)),
                None if method == "getupdates" => get_updates(&shared, &request).await,
                None => {
                    // Run and record under one lock, so a waiter never sees one without the other.
                    return respond(shared.update(|st| {
                        let result = api::call(st, &method, &request);
                        st.record_call(&method, &request, at, &result);
                        result
                    }));
                }
            }
        }
    };
    shared.update(|st| st.record_call(&method, &request, at, &result));
    respond(result)
}

fn respond(result: ApiResult) -> Response {
    match result {
        Ok(value) => (
            StatusCode::OK,
            axum::Json(json!({"ok": true, "result": value})),
        )
            .into_response(),
        Err(failure) => {
            let status = StatusCode::from_u16(failure.code).unwrap_or(StatusCode::BAD_REQUEST);
            (status, axum::Json(failure.body())).into_response()
        }
    }
}

/// `getUpdates`: confirms below `offset`, then answers a batch at once or waits up to
/// `timeout` seconds for one. A newer `getUpdates` ends an older waiting one with 409, as
/// Telegram does when two instances poll, and counts as an overlap; a webhook set meanwhile
/// ends it with 409 too.
async fn get_updates(shared: &Shared, req: &ApiRequest) -> ApiResult {
    let p = &req.params;
    let offset = p.int("offset");
    let limit = usize::try_from(p.int("limit").unwrap_or(100).clamp(1, 100)).unwrap_or(100);
    let timeout = p.int("timeout").unwrap_or(0).clamp(0, MAX_POLL_SECONDS);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout.unsigned_abs());
    let allowed = p
        .structured("allowed_updates")
        .and_then(|v| v.as_array().cloned());
    let generation = shared.update(|st| {
        if st.webhook.is_some() {
            return Err(ApiFailure::conflict(WEBHOOK_ACTIVE));
        }
        if let Some(list) = &allowed {
            let list: Vec<String> = list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            st.allowed_updates = (!list.is_empty()).then_some(list);
        }
        if let Some(offset) = offset {
            st.confirm(offset);
        }
        st.poll_generation += 1;
        if st.polls_in_flight > 0 {
            st.poll_overlaps += 1;
        }
        st.polls_in_flight += 1;
        Ok(st.poll_generation)
    })?;
    let _in_flight = PollInFlight(shared);
    let mut changes = shared.changes.subscribe();
    loop {
        changes.borrow_and_update();
        let batch = shared.quietly(|st| {
            if st.poll_generation != generation {
                return Err(ApiFailure::conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running",
                ));
            }
            if st.webhook.is_some() {
                return Err(ApiFailure::conflict(WEBHOOK_ACTIVE));
            }
            Ok(st.take_batch(limit))
        })?;
        if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Value::Array(batch));
        }
        tokio::select! {
            _ = changes.changed() => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

const WEBHOOK_ACTIVE: &str = "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

/// Counts a `getUpdates` as in flight until it is answered or its client goes away.
struct PollInFlight<'a>(&'a Shared);

impl Drop for PollInFlight<'_> {
    fn drop(&mut self) {
        self.0
            .update(|st| st.polls_in_flight = st.polls_in_flight.saturating_sub(1));
    }
}

/// `GET /file/bot<token>/<file_path>`: the bytes of a stored file.
fn download(shared: &Shared, token: &str, path: &str) -> Response {
    if token != shared.token {
        return respond(Err(ApiFailure::unauthorized()));
    }
    let file = shared.read(|st| {
        let id = st.paths.get(path)?;
        let file = st.files.get(id)?;
        (file.size <= api::MAX_DOWNLOAD).then(|| (file.bytes.clone(), file.mime.clone()))
    });
    match file {
        Some((bytes, mime)) => {
            let mime = mime.unwrap_or_else(|| "application/octet-stream".to_owned());
            ([(header::CONTENT_TYPE, mime)], Body::from(bytes)).into_response()
        }
        None => respond(Err(ApiFailure {
            code: 404,
            description: "Not Found".to_owned(),
            retry_after: None,
        })),
    }
}

async fn parse_request(req: Request) -> Result<ApiRequest, ApiFailure> {
    let mut params = Map::new();
    if let Some(query) = req.uri().query() {
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            params.insert(k.to_string(), field_value(&k, v.into_owned()));
        }
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut files = std::collections::HashMap::new();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiFailure::bad_request(&format!("can't parse multipart body: {e}")))?;
        let mut parts = Vec::new();
        loop {
            let field = multipart.next_field().await.map_err(multipart_failure)?;
            let Some(field) = field else { break };
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let mime = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(multipart_failure)?;
            parts.push((name, file_name, mime, bytes));
        }
        // A part is a file if it says so (a file name or a type), is not text, or some field
        // refers to it as `attach://<name>` (teloxide names memory files "").
        let attached: Vec<bool> = parts
            .iter()
            .map(|(name, ..)| {
                let reference = format!("attach://{name}");
                parts
                    .iter()
                    .any(|(.., b)| std::str::from_utf8(b).is_ok_and(|t| t.contains(&reference)))
            })
            .collect();
        let mut file_parts = Vec::new();
        for ((name, file_name, mime, bytes), attached) in parts.into_iter().zip(attached) {
            let is_file = file_name.is_some() || mime.is_some() || attached;
            match String::from_utf8(bytes.to_vec()) {
                Ok(text) if !is_file => {
                    params.insert(name.clone(), field_value(&name, text));
                }
                _ => file_parts.push((
                    name,
                    UploadedPart {
                        file_name,
                        mime,
                        bytes,
                    },
                )),
            }
        }
        files.extend(file_parts);
    } else {
        let bytes = axum::body::to_bytes(req.into_body(), BODY_LIMIT)
            .await
            .map_err(|_| ApiFailure::too_large())?;
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in url::form_urlencoded::parse(&bytes) {
                params.insert(k.to_string(), field_value(&k, v.into_owned()));
            }
        } else if !bytes.iter().all(u8::is_ascii_whitespace) {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => params.extend(map),
                _ => return Err(ApiFailure::bad_request("can't parse JSON object")),
            }
        }
    }
    Ok(ApiRequest { params, files })
}

fn multipart_failure(e: axum::extract::multipart::MultipartError) -> ApiFailure {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiFailure::too_large()
    } else {
        ApiFailure::bad_request(&format!("can't parse multipart body: {e}"))
    }
}

/// Decodes `%XX` escapes of a path segment (teloxide escapes the `/` of a file path).
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn decodes_escaped_slashes() {
        assert_eq!(percent_decode("photos%2Ffile_1.jpg"), "photos/file_1.jpg");
        assert_eq!(percent_decode("bot1%3Aabc"), "bot1:abc");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
