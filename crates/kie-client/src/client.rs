//! [`KieClient`]: every call to Kie goes through [`KieClient::call`], which waits for the shared
//! rate limit, sends once, classifies the answer by HTTP status *and* envelope `code`, and
//! retries only what is safe to retry. Must never resend a `createTask` whose request may have
//! reached Kie.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use base64::Engine;
use reqwest::{RequestBuilder, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use url::Url;

use crate::error::{ErrorKind, KieError};
use crate::limiter::WindowLimiter;
use crate::{KieConfig, TaskRecord};

/// A Market `createTask` request.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateTask {
    /// Kie's model id.
    pub model: String,
    /// The model's input.
    pub input: Map<String, Value>,
    /// Where Kie should POST the result, if anywhere.
    pub callback_url: Option<Url>,
}

/// What `createTask` answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedTask {
    /// The task id to query.
    pub task_id: String,
    /// ElevenLabs models also return a record id.
    pub record_id: Option<String>,
}

/// A file on Kie's upload host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    /// The URL to put into a model's input.
    pub download_url: Url,
    /// Bytes stored.
    pub size: Option<u64>,
}

/// A downloaded result file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The bytes, or `None` when the file was larger than the caller's limit.
    pub bytes: Option<Vec<u8>>,
    /// The `Content-Type` the host sent.
    pub content_type: Option<String>,
    /// The size the host announced or we counted.
    pub size: Option<u64>,
}

/// Counters of what this client did (for benchmarks and the admin panel).
#[derive(Debug, Default)]
pub struct ClientStats {
    /// createTask requests sent (each attempt).
    pub creates: AtomicU64,
    /// recordInfo requests sent (each attempt).
    pub status_queries: AtomicU64,
    /// Other calls sent (credit, download link, uploads, result downloads).
    pub other_calls: AtomicU64,
    /// Answers that said 429 despite our limiter.
    pub rate_limited: AtomicU64,
    /// Attempts that were retried.
    pub retries: AtomicU64,
    /// Total time callers waited for the limiter, in milliseconds.
    pub limiter_wait_ms: AtomicU64,
}

impl ClientStats {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A snapshot: (creates, status queries, other calls, 429s, retries).
    pub fn snapshot(&self) -> [u64; 5] {
        [
            self.creates.load(Ordering::Relaxed),
            self.status_queries.load(Ordering::Relaxed),
            self.other_calls.load(Ordering::Relaxed),
            self.rate_limited.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
        ]
    }
}

/// A Kie client. Clone it freely: clones share the connection pool, the rate limiters and the
/// counters, which is what "one limiter per API key" needs.
#[derive(Clone, Debug)]
pub struct KieClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: KieConfig,
    creates: WindowLimiter,
    queries: WindowLimiter,
    stats: ClientStats,
    observer: std::sync::OnceLock<Observer>,
}

struct Observer(CallObserver);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallObserver")
    }
}

/// Told of every Kie call's answer: the endpoint and the HTTP status or Kie code (`"error"`
/// when there was no answer). For metrics; must be cheap and never block.
pub type CallObserver = Arc<dyn Fn(&'static str, &str) + Send + Sync>;

/// Which limiter and retry policy a call uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// createTask: create limiter; only provably-not-sent failures retried.
    Create,
    /// recordInfo: status limiter; idempotent.
    Status,
    /// Everything else: idempotent, no documented limit.
    Other,
}

/// One attempt's failure, before retry policy.
struct Failure {
    error: KieError,
    retry: bool,
    wait_at_least: Option<Duration>,
}

impl KieClient {
    /// A client for `config`.
    pub fn new(config: KieConfig) -> Result<KieClient, KieError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("kie-bot/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                KieError::new(
                    "client",
                    ErrorKind::Invalid,
                    None,
                    e.without_url().to_string(),
                )
            })?;
        Ok(KieClient {
            inner: Arc::new(Inner {
                http,
                creates: WindowLimiter::new(config.create_limit),
                queries: WindowLimiter::new(config.status_limit),
                stats: ClientStats::default(),
                observer: std::sync::OnceLock::new(),
                config,
            }),
        })
    }

    /// Splits Kie's limits (creates per window, status queries per second) between `instances`
    /// processes using the same key: this client takes its share.
    pub fn set_instances(&self, instances: usize) {
        self.inner.creates.set_share(instances);
        self.inner.queries.set_share(instances);
    }

    /// Reports every call's answer to `observer` (once per client and its clones; a second
    /// observer is ignored).
    pub fn observe(&self, observer: CallObserver) {
        let _ = self.inner.observer.set(Observer(observer));
    }

    /// The configuration.
    pub fn config(&self) -> &KieConfig {
        &self.inner.config
    }

    /// What this client has done so far.
    pub fn stats(&self) -> &ClientStats {
        &self.inner.stats
    }

    /// The shared HTTP client (for the family calls in [`crate::families`]).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(crate) fn api(&self, path: &str) -> Url {
        self.inner
            .config
            .api_base
            .join(path)
            .expect("constant path")
    }

    fn upload_url(&self, path: &str) -> Url {
        self.inner
            .config
            .upload_base
            .join(path)
            .expect("constant path")
    }

    /// `POST /api/v1/jobs/createTask`. Sent at most once unless Kie proved it created nothing
    /// (429, 455, a connection that never opened). A time-out or lost connection after sending
    /// is [`ErrorKind::Ambiguous`].
    pub async fn create_task(&self, req: &CreateTask) -> Result<CreatedTask, KieError> {
        let mut body = json!({ "model": req.model, "input": req.input });
        if let Some(cb) = &req.callback_url {
            body["callBackUrl"] = Value::String(cb.to_string());
        }
        let url = self.api("/api/v1/jobs/createTask");
        let data = self
            .call(
                "createTask",
                Kind::Create,
                self.inner.config.create_timeout,
                || self.inner.http.post(url.clone()).json(&body),
            )
            .await?;
        let task_id = data
            .get("taskId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let Some(task_id) = task_id else {
            // Kie said 200 but gave no id: something may have been created that we cannot track.
            return Err(KieError::new(
                "createTask",
                ErrorKind::Ambiguous,
                Some(200),
                "success without a taskId",
            ));
        };
        Ok(CreatedTask {
            task_id: task_id.to_string(),
            record_id: data
                .get("recordId")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// `GET /api/v1/jobs/recordInfo?taskId=`: the authoritative state of a task.
    pub async fn record_info(&self, task_id: &str) -> Result<TaskRecord, KieError> {
        let mut url = self.api("/api/v1/jobs/recordInfo");
        url.query_pairs_mut().append_pair("taskId", task_id);
        let data = self
            .call(
                "recordInfo",
                Kind::Status,
                self.inner.config.query_timeout,
                || self.inner.http.get(url.clone()),
            )
            .await?;
        let obj = data.as_object().ok_or_else(|| {
            KieError::new(
                "recordInfo",
                ErrorKind::Invalid,
                None,
                "data is not an object",
            )
        })?;
        TaskRecord::from_data(obj)
            .map_err(|m| KieError::new("recordInfo", ErrorKind::Invalid, None, m))
    }

    /// `GET /api/v1/chat/credit`: credits left on our Kie account (fractional in practice).
    pub async fn credit(&self) -> Result<Decimal, KieError> {
        let url = self.api("/api/v1/chat/credit");
        let data = self
            .call(
                "credit",
                Kind::Other,
                self.inner.config.query_timeout,
                || self.inner.http.get(url.clone()),
            )
            .await?;
        let parsed = match &data {
            Value::Number(n) => n.to_string().parse().ok(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| {
            KieError::new(
                "credit",
                ErrorKind::Invalid,
                None,
                format!("credit is {data}"),
            )
        })
    }

    /// `POST /api/v1/common/download-url`: a direct link (valid ~20 min) for a Kie result URL.
    pub async fn download_url(&self, result_url: &Url) -> Result<Url, KieError> {
        let url = self.api("/api/v1/common/download-url");
        let body = json!({ "url": result_url.as_str() });
        let data = self
            .call(
                "download-url",
                Kind::Other,
                self.inner.config.query_timeout,
                || self.inner.http.post(url.clone()).json(&body),
            )
            .await?;
        data.as_str()
            .and_then(|s| Url::parse(s).ok())
            .ok_or_else(|| {
                KieError::new(
                    "download-url",
                    ErrorKind::Invalid,
                    None,
                    "data is not a URL",
                )
            })
    }

    /// Uploads a file to Kie's upload host and returns the URL to put into a model input.
    /// Small files go as base64 JSON, larger ones as a multipart stream.
    pub async fn upload(
        &self,
        bytes: &[u8],
        file_name: &str,
        mime: &str,
        upload_path: &str,
    ) -> Result<Uploaded, KieError> {
        let timeout = self.inner.config.transfer_timeout;
        let data = if bytes.len() <= self.inner.config.base64_upload_max {
            let url = self.upload_url("/api/file-base64-upload");
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            let body = json!({
                "base64Data": format!("data:{mime};base64,{encoded}"),
                "uploadPath": upload_path,
                "fileName": file_name,
            });
            self.call("file-base64-upload", Kind::Other, timeout, || {
                self.inner.http.post(url.clone()).json(&body)
            })
            .await?
        } else {
            let url = self.upload_url("/api/file-stream-upload");
            let bytes = bytes.to_vec();
            self.call("file-stream-upload", Kind::Other, timeout, || {
                let part = reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name(file_name.to_string())
                    .mime_str(mime)
                    .unwrap_or_else(|_| reqwest::multipart::Part::bytes(bytes.clone()));
                let form = reqwest::multipart::Form::new()
                    .part("file", part)
                    .text("uploadPath", upload_path.to_string())
                    .text("fileName", file_name.to_string());
                self.inner.http.post(url.clone()).multipart(form)
            })
            .await?
        };
        let link = data
            .get("downloadUrl")
            .or_else(|| data.get("fileUrl"))
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok())
            .ok_or_else(|| {
                KieError::new(
                    "upload",
                    ErrorKind::Invalid,
                    None,
                    "no downloadUrl in answer",
                )
            })?;
        Ok(Uploaded {
            download_url: link,
            size: data.get("fileSize").and_then(Value::as_u64),
        })
    }

    /// Downloads a result file (no credentials are sent: result hosts are not Kie's API).
    /// Files larger than `max_bytes` are not read; the caller gets their size and can send a
    /// link instead. Retried on network errors and 5xx.
    pub async fn download(&self, url: &Url, max_bytes: u64) -> Result<Download, KieError> {
        let attempt = || async {
            ClientStats::bump(&self.inner.stats.other_calls);
            let resp = self
                .inner
                .http
                .get(url.clone())
                .timeout(self.inner.config.transfer_timeout)
                .send()
                .await
                .map_err(|e| transport("download", &e, true))?;
            let status = resp.status();
            if !status.is_success() {
                return Err(Failure {
                    retry: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
                    error: KieError::new(
                        "download",
                        ErrorKind::Rejected,
                        Some(status.as_u16()),
                        format!("HTTP {status}"),
                    ),
                    wait_at_least: None,
                });
            }
            let content_type = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let announced = resp.content_length();
            if announced.is_some_and(|n| n > max_bytes) {
                return Ok(Download {
                    bytes: None,
                    content_type,
                    size: announced,
                });
            }
            let mut resp = resp;
            let mut bytes = Vec::new();
            while let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| transport("download", &e, true))?
            {
                bytes.extend_from_slice(&chunk);
                if bytes.len() as u64 > max_bytes {
                    return Ok(Download {
                        bytes: None,
                        content_type,
                        size: None,
                    });
                }
            }
            let size = Some(bytes.len() as u64);
            Ok(Download {
                bytes: Some(bytes),
                content_type,
                size,
            })
        };
        self.with_retries(Kind::Other, attempt).await
    }

    /// One logical call: limiter, send, classify, retry what is safe.
    pub(crate) async fn call(
        &self,
        endpoint: &'static str,
        kind: Kind,
        timeout: Duration,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Value, KieError> {
        let attempt = || async {
            let waited = match kind {
                Kind::Create => self.inner.creates.acquire().await,
                Kind::Status => self.inner.queries.acquire().await,
                Kind::Other => Duration::ZERO,
            };
            let stats = &self.inner.stats;
            stats
                .limiter_wait_ms
                .fetch_add(waited.as_millis() as u64, Ordering::Relaxed);
            ClientStats::bump(match kind {
                Kind::Create => &stats.creates,
                Kind::Status => &stats.status_queries,
                Kind::Other => &stats.other_calls,
            });
            let request = build()
                .bearer_auth(self.inner.config.api_key.expose())
                .timeout(timeout);
            let result = self.send_once(endpoint, kind, request).await;
            if let Some(Observer(observe)) = self.inner.observer.get() {
                let code = match &result {
                    Ok(_) => "200".to_string(),
                    Err(f) => f
                        .error
                        .code
                        .map_or_else(|| "error".to_string(), |c| c.to_string()),
                };
                observe(endpoint, &code);
            }
            if let Err(f) = &result
                && f.error.code == Some(429)
            {
                ClientStats::bump(&stats.rate_limited);
                // Our clock and Kie's disagree: stop everyone for the back-off, not just us.
                let pause = f.wait_at_least.unwrap_or_default();
                match kind {
                    Kind::Create => self.inner.creates.penalise(pause).await,
                    Kind::Status => self.inner.queries.penalise(pause).await,
                    Kind::Other => {}
                }
            }
            result
        };
        self.with_retries(kind, attempt).await
    }

    async fn with_retries<T, F, Fut>(&self, kind: Kind, attempt: F) -> Result<T, KieError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let scale = self.inner.config.time_scale.max(1);
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(500) / scale)
            .with_max_delay(Duration::from_secs(30) / scale)
            .with_max_times(self.inner.config.max_attempts.saturating_sub(1))
            .with_jitter();
        let stats = &self.inner.stats;
        let _ = kind;
        attempt
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(|f: &Failure| f.retry)
            .adjust(|f: &Failure, d| d.map(|d| d.max(f.wait_at_least.unwrap_or_default())))
            .notify(|f: &Failure, d| {
                ClientStats::bump(&stats.retries);
                tracing::debug!(error = %f.error, after = ?d, "retrying a Kie call");
            })
            .await
            .map_err(|f| {
                let mut e = f.error;
                if f.retry {
                    // Retries ran out on something that was retryable.
                    e.kind = ErrorKind::Unavailable;
                }
                e
            })
    }

    async fn send_once(
        &self,
        endpoint: &'static str,
        kind: Kind,
        request: RequestBuilder,
    ) -> Result<Value, Failure> {
        let idempotent = kind != Kind::Create;
        let resp = request
            .send()
            .await
            .map_err(|e| transport(endpoint, &e, idempotent))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = resp
            .bytes()
            .await
            .map_err(|e| transport(endpoint, &e, idempotent))?;
        let envelope: Option<Value> = serde_json::from_slice(&body).ok();
        let code = envelope
            .as_ref()
            .and_then(|v| v.get("code"))
            .and_then(Value::as_u64)
            .map(|c| c as u16);
        let msg = envelope
            .as_ref()
            .and_then(|v| v.get("msg").or_else(|| v.get("message")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let scale = self.inner.config.time_scale.max(1);
        // Kie asks for at least 10 s of back-off after a 429.
        let rate_pause = retry_after
            .unwrap_or(Duration::from_secs(10))
            .max(Duration::from_secs(10))
            / scale;

        let fail = |kind: ErrorKind, code: u16, retry: bool, wait: Option<Duration>| Failure {
            error: KieError::new(
                endpoint,
                kind,
                Some(code),
                if msg.is_empty() {
                    format!("HTTP {status}")
                } else {
                    msg.clone()
                },
            ),
            retry,
            wait_at_least: wait,
        };

        if status == StatusCode::TOO_MANY_REQUESTS || code == Some(429) {
            let credits = msg.to_lowercase().contains("insufficient");
            if credits {
                return Err(fail(ErrorKind::Rejected, 402, false, None));
            }
            return Err(fail(ErrorKind::Unavailable, 429, true, Some(rate_pause)));
        }
        if status.is_server_error() {
            let c = code.unwrap_or(status.as_u16());
            if c == 455 {
                return Err(fail(ErrorKind::Unavailable, 455, true, None));
            }
            if idempotent {
                return Err(fail(ErrorKind::Unavailable, c, true, None));
            }
            // A gateway error on createTask: the request may have been processed.
            return Err(fail(ErrorKind::Ambiguous, c, false, None));
        }
        let Some(code) = code else {
            if !idempotent && status.is_success() {
                return Err(Failure {
                    error: KieError::new(
                        endpoint,
                        ErrorKind::Ambiguous,
                        Some(status.as_u16()),
                        "unreadable answer to createTask",
                    ),
                    retry: false,
                    wait_at_least: None,
                });
            }
            return Err(Failure {
                error: KieError::new(
                    endpoint,
                    if status.is_success() {
                        ErrorKind::Invalid
                    } else {
                        ErrorKind::Rejected
                    },
                    Some(status.as_u16()),
                    format!("HTTP {status} without a Kie envelope"),
                ),
                retry: false,
                wait_at_least: None,
            });
        };
        match code {
            200 => Ok(envelope
                .and_then(|mut v| v.get_mut("data").map(Value::take))
                .unwrap_or(Value::Null)),
            455 => Err(fail(ErrorKind::Unavailable, 455, true, None)),
            // An explicit error envelope is an answer: on createTask it means nothing was
            // created (Kie also uses 500 for over-long text), so it is final there.
            500..=599 if idempotent => Err(fail(ErrorKind::Unavailable, code, true, None)),
            // recordInfo right after createTask may briefly say 404; a retry is harmless.
            404 if kind == Kind::Status => Err(fail(ErrorKind::Rejected, 404, true, None)),
            other => Err(fail(ErrorKind::Rejected, other, false, None)),
        }
    }
}

/// A reqwest error, classified: a connection that never opened sent nothing (retry); any other
/// failure may have happened after the request left (retry only if idempotent).
fn transport(endpoint: &'static str, e: &reqwest::Error, idempotent: bool) -> Failure {
    let never_sent = e.is_connect();
    let message = if e.is_timeout() {
        "timed out".to_string()
    } else {
        // `without_url`: the URL holds no secret today, but errors must never risk one.
        let mut s = e.to_string();
        if let Some(u) = e.url() {
            s = s.replace(u.as_str(), "<url>");
        }
        s
    };
    let kind = if never_sent || idempotent {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Ambiguous
    };
    Failure {
        error: KieError::new(endpoint, kind, None, message),
        retry: never_sent || idempotent,
        wait_at_least: None,
    }
}
