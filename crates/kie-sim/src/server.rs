//! The HTTP surface: Kie's API host paths (`/api/v1/...`), the upload host paths
//! (`/api/file-*-upload`) and the produced files (`/files/...`), with Kie's envelopes and codes.
//!
//! Handlers must never hold the state lock across an `.await` and must never log the API key or
//! request headers.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::media::MediaKind;
use crate::state::{Plan, Shared, StoredFile, Task, credits_json, plan_task};
use crate::{Endpoint, Fault, Outcome};

/// Upload bodies may be large (Kie recommends streams for >10 MB); everything else keeps axum's
/// 2 MB default.
const UPLOAD_BODY_LIMIT: usize = 256 * 1024 * 1024;

pub(crate) type Sim = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let big = || DefaultBodyLimit::max(UPLOAD_BODY_LIMIT);
    Router::new()
        .route("/api/v1/jobs/createTask", post(create_task))
        .route("/api/v1/jobs/recordInfo", get(record_info))
        .route("/api/v1/chat/credit", get(credit))
        .route("/api/v1/common/download-url", post(download_url))
        .route("/api/file-base64-upload", post(upload_base64).layer(big()))
        .route("/api/file-stream-upload", post(upload_stream).layer(big()))
        .route("/api/file-url-upload", post(upload_url))
        .route("/files/{*path}", get(file))
        .merge(crate::families::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

// ---------------------------------------------------------------------------------------------
// Envelopes

pub(crate) fn envelope(status: StatusCode, code: u16, msg: &str, data: Value) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "msg": msg, "data": data})),
    )
        .into_response()
}

pub(crate) fn ok(data: Value) -> Response {
    envelope(StatusCode::OK, 200, "success", data)
}

/// Kie reports most errors with HTTP 200 and the code in the body (kie-api.md §2.1).
pub(crate) fn error(code: u16, msg: &str) -> Response {
    envelope(StatusCode::OK, code, msg, Value::Null)
}

pub(crate) fn rate_limited() -> Response {
    envelope(
        StatusCode::TOO_MANY_REQUESTS,
        429,
        "Rate limit exceeded",
        Value::Null,
    )
}

/// The upload host adds `success` to the envelope.
fn upload_envelope(code: u16, msg: &str, data: Value) -> Response {
    axum::Json(json!({"success": code == 200, "code": code, "msg": msg, "data": data}))
        .into_response()
}

async fn method_not_allowed() -> Response {
    envelope(
        StatusCode::METHOD_NOT_ALLOWED,
        405,
        "Method not allowed",
        Value::Null,
    )
}

async fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, 404, "Not found", Value::Null)
}

pub(crate) fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, key)) = value.split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && key.trim() == shared.config.api_key
}

pub(crate) const NO_ACCESS: &str = "You do not have access permissions";

// ---------------------------------------------------------------------------------------------
// Faults

/// Applies an injected fault for `endpoint`, if one is armed, around the real handler `work`
/// (a future, so nothing happens unless it is awaited).
pub(crate) async fn guarded(
    shared: &Arc<Shared>,
    endpoint: Endpoint,
    work: impl Future<Output = Response>,
) -> Response {
    let fault = shared.with_state(|st, _| st.take_fault(endpoint));
    // The upload host's envelopes carry `success` as well.
    let answer = |status: StatusCode, code: u16, msg: &str| {
        if endpoint == Endpoint::Upload {
            let mut r = upload_envelope(code, msg, Value::Null);
            *r.status_mut() = status;
            r
        } else {
            envelope(status, code, msg, Value::Null)
        }
    };
    match fault {
        None => work.await,
        Some(Fault::Http429) => answer(StatusCode::TOO_MANY_REQUESTS, 429, "Rate limit exceeded"),
        Some(Fault::Code455) => answer(StatusCode::OK, 455, "Service unavailable"),
        Some(Fault::Code500) => answer(StatusCode::OK, 500, "Internal server error"),
        Some(Fault::Http500) => answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            500,
            "Internal server error",
        ),
        Some(Fault::RecordInfoHang) => hang(shared).await,
        Some(Fault::Disconnect) => drop_connection(),
        Some(Fault::CreateThenHang) => {
            drop(work.await);
            hang(shared).await
        }
        Some(Fault::CreateThenDrop) => {
            drop(work.await);
            drop_connection()
        }
    }
}

/// Holds the request open until the simulator shuts down: for the client it is a timeout.
async fn hang(shared: &Shared) -> Response {
    let mut shutdown = shared.shutdown.clone();
    let _ = shutdown.wait_for(|s| *s).await;
    envelope(
        StatusCode::SERVICE_UNAVAILABLE,
        503,
        "Simulator shutting down",
        Value::Null,
    )
}

/// Closes the connection without any response. Unwinding out of the handler makes hyper drop
/// the connection task (and with it the socket); `resume_unwind` skips the panic hook, so
/// nothing is printed. It is the only way axum offers to answer nothing at all.
fn drop_connection() -> Response {
    std::panic::resume_unwind(Box::new("kie-sim: dropping the connection on purpose"))
}

// ---------------------------------------------------------------------------------------------
// createTask

async fn create_task(State(shared): Sim, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&shared, Endpoint::Create, async {
        create_task_inner(&shared, &headers, &body)
    })
    .await
}

fn create_task_inner(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Response {
    if !authorized(shared, headers) {
        shared.with_state(|st, _| st.stats.creates_rejected_401 += 1);
        return error(401, NO_ACCESS);
    }
    let reject = |code: u16, msg: String| {
        shared.with_state(|st, _| {
            if code == 400 {
                st.stats.creates_rejected_400 += 1;
            } else {
                st.stats.creates_rejected_422 += 1;
            }
        });
        error(code, &msg)
    };
    let body: Value = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Value::Object(map),
        Ok(_) => return reject(400, "Request body must be a JSON object".into()),
        Err(e) => return reject(400, format!("Invalid JSON body: {e}")),
    };
    let fields = body.as_object().expect("checked above");
    let mut problems = Vec::new();
    for key in fields.keys() {
        if !["model", "input", "callBackUrl"].contains(&key.as_str()) {
            problems.push(format!("{key}: unknown field"));
        }
    }
    let model = match fields.get("model") {
        Some(Value::String(m)) => Some(m.clone()),
        None | Some(Value::Null) => {
            problems.push("model: required field is missing".into());
            None
        }
        Some(other) => {
            problems.push(format!("model: expected string, got {other}"));
            None
        }
    };
    let call_back_url = match fields.get("callBackUrl") {
        // An empty URL is as good as none.
        None | Some(Value::Null) => None,
        Some(Value::String(u)) if u.trim().is_empty() => None,
        Some(Value::String(u)) => match url::Url::parse(u) {
            Ok(parsed) if ["http", "https"].contains(&parsed.scheme()) => Some(u.clone()),
            _ => {
                problems.push(format!("callBackUrl: {u:?} is not an http(s) URL"));
                None
            }
        },
        Some(other) => {
            problems.push(format!("callBackUrl: expected string, got {other}"));
            None
        }
    };
    let input = match fields.get("input") {
        Some(Value::Object(map)) => Some(map.clone()),
        None | Some(Value::Null) => {
            problems.push("input: required field is missing".into());
            None
        }
        Some(other) => {
            problems.push(format!("input: expected object, got {other}"));
            None
        }
    };
    let doc = match &model {
        Some(m) => match shared.config.docs.model(m) {
            Some(doc) => Some(doc),
            None => {
                problems.push(format!("model: {m:?} is not a known model"));
                None
            }
        },
        None => None,
    };
    if let (Some(doc), Some(input)) = (doc, &input) {
        problems.extend(doc.validate(input));
    }
    let (Some(doc), Some(input), true) = (doc, input, problems.is_empty()) else {
        return reject(422, problems.join("; "));
    };

    let media = if doc.is_speech_to_text() {
        MediaKind::Text
    } else {
        match doc.category {
            crate::Category::Image => MediaKind::Png,
            crate::Category::Video => MediaKind::Mp4,
            crate::Category::Audio => MediaKind::Mp3,
        }
    };
    let (marker, slow) = markers(&input);
    let cost = shared.config.credits_per_task;
    let created = shared.with_state(|st, now| {
        if st.create_window.is_full(now) {
            st.stats.creates_rejected_429 += 1;
            return Err(429);
        }
        if st.available_credits() < cost {
            st.stats.creates_rejected_402 += 1;
            return Err(402);
        }
        st.create_window.record(now);
        // An explicit FIFO script beats a prompt marker, which beats a per-model script.
        let outcome = st
            .queue
            .pop_front()
            .or(marker)
            .or_else(|| st.per_model.get(&doc.model_id).cloned())
            .unwrap_or(Outcome::Success);
        let id = format!("{:016x}{:016x}", st.rng.u64(..), st.rng.u64(..));
        let record_id = doc.model_id.starts_with("elevenlabs/").then(|| {
            format!(
                "elevenlabs_{}",
                st.rng.u64(1_000_000_000_000..10_000_000_000_000)
            )
        });
        let plan: Plan = plan_task(&shared.config, &mut st.rng, &outcome, slow, now);
        let result_count = match (&outcome, media) {
            (_, MediaKind::Text) => 0,
            (Outcome::SuccessWith { count }, _) => *count,
            (_, MediaKind::Png) => requested_images(&input),
            _ => 1,
        };
        let task = Task {
            id: id.clone(),
            record_id: record_id.clone(),
            model: doc.model_id.clone(),
            input: Value::Object(input),
            call_back_url,
            param: body.to_string(),
            outcome,
            media,
            result_count,
            created_wall: std::time::SystemTime::now(),
            plan,
            ending: None,
            credits_consumed: 0.0,
            callback_attempts: 0,
            callback_acks: 0,
            cost,
            family: None,
        };
        st.insert(task, cost);
        Ok((id, record_id, plan.done))
    });
    match created {
        Err(429) => rate_limited(),
        Err(_) => error(402, "The current credits are insufficient. Please top up."),
        Ok((id, record_id, done)) => {
            tracing::info!(task_id = %id, model = %doc.model_id, "task created");
            if let Some(done) = done {
                shared.spawn_timer(id.clone(), done);
            }
            let mut data = json!({"taskId": id});
            if let Some(r) = record_id {
                data["recordId"] = r.into();
            }
            ok(data)
        }
    }
}

/// The demo markers in a `prompt` or `text` input: `[sim:fail=NNN]`, `[sim:slow]`,
/// `[sim:never]`. Returns the outcome they ask for and whether timings are stretched tenfold.
pub(crate) fn markers(input: &Map<String, Value>) -> (Option<Outcome>, bool) {
    let mut outcome = None;
    let mut slow = false;
    for key in ["prompt", "text"] {
        let Some(text) = input.get(key).and_then(Value::as_str) else {
            continue;
        };
        if let Some(rest) = text.split("[sim:fail=").nth(1)
            && let Some((code, _)) = rest.split_once(']')
        {
            outcome = Some(Outcome::fail_with_code(code.trim()));
        }
        if text.contains("[sim:never]") {
            outcome = Some(Outcome::Never);
        }
        slow |= text.contains("[sim:slow]");
    }
    (outcome, slow)
}

/// How many images an image model was asked for (`max_images`, `num_images`, `n`; numbers or
/// numeric strings), 1 when it does not say; capped at 10.
fn requested_images(input: &Map<String, Value>) -> usize {
    ["max_images", "num_images", "n"]
        .iter()
        .filter_map(|k| input.get(*k))
        .find_map(|v| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .map_or(1, |n| (n as usize).clamp(1, 10))
}

// ---------------------------------------------------------------------------------------------
// recordInfo, credit, download-url

async fn record_info(State(shared): Sim, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    guarded(&shared, Endpoint::RecordInfo, async {
        if !authorized(&shared, &headers) {
            return error(401, NO_ACCESS);
        }
        let task_id = q.as_deref().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "taskId")
                .map(|(_, v)| v.into_owned())
        });
        let base = shared.base.clone();
        shared.with_state(|st, now| {
            if st.status_window.is_full(now) {
                st.stats.status_rejected_429 += 1;
                return rate_limited();
            }
            st.status_window.record(now);
            st.stats.record_infos += 1;
            let Some(task_id) = task_id.filter(|t| !t.is_empty()) else {
                return error(400, "taskId parameter is required");
            };
            let Some(i) = st.find(&task_id).filter(|&i| st.tasks[i].family.is_none()) else {
                return error(404, "Task not found");
            };
            st.settle(i, now, &shared.config, &base);
            ok(st.tasks[i].record_json(now))
        })
    })
    .await
}

async fn credit(State(shared): Sim, headers: HeaderMap) -> Response {
    guarded(&shared, Endpoint::Credit, async {
        if !authorized(&shared, &headers) {
            return error(401, NO_ACCESS);
        }
        shared.with_state(|st, _| {
            st.stats.credit_queries += 1;
            ok(credits_json(st.credits))
        })
    })
    .await
}

async fn download_url(State(shared): Sim, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&shared, Endpoint::DownloadUrl, async {
        if !authorized(&shared, &headers) {
            return error(401, NO_ACCESS);
        }
        shared.with_state(|st, _| st.stats.download_url_requests += 1);
        let url = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("url").and_then(Value::as_str).map(str::to_owned));
        let Some(url) = url else {
            return error(422, "url is required");
        };
        let without_query = url.split(['?', '#']).next().unwrap_or_default();
        let prefix = format!("{}/files/", shared.base);
        let known = without_query.strip_prefix(&prefix).is_some_and(|path| {
            let path = percent_decode(path);
            lookup_file(&shared, &path).is_some()
        });
        if !known {
            return error(422, "The URL is not a file generated by Kie");
        }
        // Kie answers with a temporary link valid 20 minutes; the simulator's files do not
        // expire, so the marker is informational.
        let expires = chrono::Utc::now().timestamp() + 20 * 60;
        ok(format!("{without_query}?expires={expires}").into())
    })
    .await
}

/// Decodes `%XX` escapes (as axum does for the `/files/` route), leaving `+` alone since it is
/// not a space in a path.
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Files

/// The bytes and `Content-Type` of `/files/<path>`: results under `r/`, uploads under `u/`.
fn lookup_file(shared: &Arc<Shared>, path: &str) -> Option<(Bytes, String)> {
    if let Some(name) = path.strip_prefix("r/") {
        let (stem, ext) = name.rsplit_once('.')?;
        let (task_id, index) = stem.rsplit_once('_')?;
        // `<taskId>_c<i>.png`: the cover / thumbnail image of result `i` (family tasks).
        let cover = index.starts_with('c');
        let index: usize = index.trim_start_matches('c').parse().ok()?;
        let base = shared.base.clone();
        return shared.with_state(|st, now| {
            let i = st.find(task_id)?;
            st.settle(i, now, &shared.config, &base);
            let task = &st.tasks[i];
            let success = task.ending.as_ref().is_some_and(|e| e.success);
            let media = if cover { MediaKind::Png } else { task.media };
            (success && index < task.result_count.max(1) && media.extension() == Some(ext)).then(
                || {
                    (
                        Bytes::from_static(media.bytes()),
                        media.content_type().to_owned(),
                    )
                },
            )
        });
    }
    let key = path.strip_prefix("u/")?;
    shared.with_state(|st, _| {
        st.uploads
            .get(key)
            .map(|f| (f.bytes.clone(), f.mime.clone()))
    })
}

async fn file(State(shared): Sim, Path(path): Path<String>) -> Response {
    guarded(&shared, Endpoint::Files, async {
        match lookup_file(&shared, &path) {
            Some((bytes, mime)) => {
                shared.with_state(|st, _| st.stats.downloads += 1);
                ([(header::CONTENT_TYPE, mime)], bytes).into_response()
            }
            None => (StatusCode::NOT_FOUND, "file not found").into_response(),
        }
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Uploads

/// Stores an upload and answers like Kie's upload host.
fn store_upload(
    shared: &Arc<Shared>,
    bytes: Bytes,
    upload_path: Option<String>,
    file_name: Option<String>,
    mime: Option<String>,
) -> Response {
    let Some(upload_path) = upload_path
        .map(|p| p.trim_matches('/').to_owned())
        .filter(|p| !p.is_empty())
    else {
        return upload_envelope(400, "uploadPath is required", Value::Null);
    };
    let bad = |s: &str| {
        s.split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    };
    if bad(&upload_path) {
        return upload_envelope(400, "uploadPath is invalid", Value::Null);
    }
    let mime = mime
        .filter(|m| !m.is_empty() && m != "application/octet-stream")
        .or_else(|| file_name.as_deref().and_then(mime_from_name))
        .or_else(|| sniff(&bytes))
        .unwrap_or_else(|| "application/octet-stream".into());
    let file_name = match file_name.filter(|n| !n.trim().is_empty()) {
        Some(n) if n.contains('/') || n == "." || n == ".." => {
            return upload_envelope(400, "fileName is invalid", Value::Null);
        }
        Some(n) => n,
        None => {
            let ext = ext_from_mime(&mime);
            let stem = shared.with_state(|st, _| format!("{:016x}", st.rng.u64(..)));
            format!("{stem}.{ext}")
        }
    };
    let file_path = format!("{upload_path}/{file_name}");
    let mut url = url::Url::parse(&format!("{}/", shared.base)).expect("base URL parses");
    url.path_segments_mut()
        .expect("http URL")
        .pop_if_empty()
        .extend(["files", "u"])
        .extend(file_path.split('/'));
    let size = bytes.len();
    shared.with_state(|st, _| {
        st.stats.uploads += 1;
        st.uploads.insert(
            file_path.clone(),
            StoredFile {
                bytes,
                mime: mime.clone(),
            },
        );
    });
    let uploaded_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    upload_envelope(
        200,
        "File uploaded successfully",
        json!({
            "fileName": file_name,
            "filePath": file_path,
            "downloadUrl": url.as_str(),
            "fileSize": size,
            "mimeType": mime,
            "uploadedAt": uploaded_at,
        }),
    )
}

fn json_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

async fn upload_base64(State(shared): Sim, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&shared, Endpoint::Upload, async {
        if !authorized(&shared, &headers) {
            return upload_envelope(401, NO_ACCESS, Value::Null);
        }
        let Ok(v) = serde_json::from_slice::<Value>(&body) else {
            return upload_envelope(400, "Invalid JSON body", Value::Null);
        };
        let Some(data) = json_field(&v, "base64Data") else {
            return upload_envelope(400, "base64Data is required", Value::Null);
        };
        // `data:<mime>;base64,<payload>` or the bare payload.
        let (mime, payload) = match data.strip_prefix("data:").and_then(|r| r.split_once(',')) {
            Some((meta, payload)) => (
                meta.strip_suffix(";base64").map(str::to_owned),
                payload.to_owned(),
            ),
            None => (None, data),
        };
        let payload: String = payload.chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(payload.as_bytes()) else {
            return upload_envelope(400, "Invalid base64 data", Value::Null);
        };
        store_upload(
            &shared,
            bytes.into(),
            json_field(&v, "uploadPath"),
            json_field(&v, "fileName"),
            mime,
        )
    })
    .await
}

async fn upload_stream(
    State(shared): Sim,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    guarded(&shared, Endpoint::Upload, async {
        if !authorized(&shared, &headers) {
            return upload_envelope(401, NO_ACCESS, Value::Null);
        }
        let Ok(mut multipart) = multipart else {
            return upload_envelope(400, "Expected a multipart/form-data body", Value::Null);
        };
        let (mut file, mut upload_path, mut file_name) = (None, None, None);
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return upload_envelope(400, &format!("Bad multipart body: {e}"), Value::Null);
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            match name.as_str() {
                "file" => {
                    let original = field.file_name().map(str::to_owned);
                    let mime = field.content_type().map(str::to_owned);
                    match field.bytes().await {
                        Ok(b) => file = Some((b, original, mime)),
                        Err(e) => {
                            return upload_envelope(
                                400,
                                &format!("Bad multipart body: {e}"),
                                Value::Null,
                            );
                        }
                    }
                }
                "uploadPath" => upload_path = field.text().await.ok(),
                "fileName" => file_name = field.text().await.ok(),
                _ => {}
            }
        }
        let Some((bytes, original, mime)) = file else {
            return upload_envelope(400, "file is required", Value::Null);
        };
        let file_name = file_name.filter(|n| !n.is_empty()).or(original);
        store_upload(&shared, bytes, upload_path, file_name, mime)
    })
    .await
}

async fn upload_url(State(shared): Sim, headers: HeaderMap, body: Bytes) -> Response {
    guarded(&shared, Endpoint::Upload, async {
        if !authorized(&shared, &headers) {
            return upload_envelope(401, NO_ACCESS, Value::Null);
        }
        let Ok(v) = serde_json::from_slice::<Value>(&body) else {
            return upload_envelope(400, "Invalid JSON body", Value::Null);
        };
        let Some(file_url) = json_field(&v, "fileUrl") else {
            return upload_envelope(400, "fileUrl is required", Value::Null);
        };
        // Kie gives the download 30 s.
        let fetched = async {
            let resp = shared
                .http
                .get(&file_url)
                .timeout(std::time::Duration::from_secs(30))
                .send()
                .await?
                .error_for_status()?;
            let mime = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(|m| m.split(';').next().unwrap_or(m).trim().to_owned());
            Ok::<_, reqwest::Error>((resp.bytes().await?, mime))
        }
        .await;
        let Ok((bytes, mime)) = fetched else {
            return upload_envelope(400, "Failed to download the file from fileUrl", Value::Null);
        };
        let name_from_url = url::Url::parse(&file_url).ok().and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
                .filter(|s| !s.is_empty())
        });
        let file_name = json_field(&v, "fileName").or(name_from_url);
        store_upload(
            &shared,
            bytes,
            json_field(&v, "uploadPath"),
            file_name,
            mime,
        )
    })
    .await
}

fn mime_from_name(name: &str) -> Option<String> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" => "audio/ogg",
        "aac" => "audio/aac",
        "txt" => "text/plain",
        _ => return None,
    };
    Some(mime.into())
}

fn ext_from_mime(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "audio/mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" => "wav",
        "audio/ogg" => "ogg",
        _ => "bin",
    }
}

fn sniff(bytes: &[u8]) -> Option<String> {
    let mime = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        "video/mp4"
    } else if bytes.starts_with(b"ID3") || bytes.starts_with(&[0xFF, 0xFB]) {
        "audio/mpeg"
    } else {
        return None;
    };
    Some(mime.into())
}
