//! Client configuration: the API key (kept secret), hosts, rate limits, time-outs and the time
//! scale shared with the simulator in benchmarks. Must never expose the key through `Debug`.

use std::time::Duration;

use url::Url;

/// A Kie API key. It has no `Display` and a redacted `Debug`, so it cannot end up in a log line
/// or an error message by accident; [`ApiKey::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }

    /// The key itself, for the `Authorization` header (and nothing else).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// At most `max` requests in any window of `window` (a sliding window, the strictest reading of
/// Kie's "20 per 10 s"). `margin` widens the window on our side so that network jitter between
/// our send time and Kie's arrival time cannot push a request into Kie's previous window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per window.
    pub max: u32,
    /// The window.
    pub window: Duration,
    /// Extra spacing added to the window on the client side.
    pub margin: Duration,
}

impl RateLimit {
    /// Kie's documented createTask limit: 20 per 10 s (with a 2 % margin).
    pub const KIE_CREATE: RateLimit = RateLimit {
        max: 20,
        window: Duration::from_secs(10),
        margin: Duration::from_millis(200),
    };
    /// Kie's documented status-query limit: 10 per second (with a 5 % margin).
    pub const KIE_STATUS: RateLimit = RateLimit {
        max: 10,
        window: Duration::from_secs(1),
        margin: Duration::from_millis(50),
    };

    /// The same limit on a clock `scale` times faster (benchmarks).
    pub fn scaled(self, scale: u32) -> RateLimit {
        let scale = scale.max(1);
        RateLimit {
            max: self.max,
            window: self.window / scale,
            margin: self.margin / scale,
        }
    }
}

/// Everything the client needs. [`KieConfig::new`] gives Kie's real hosts and limits.
#[derive(Clone, Debug)]
pub struct KieConfig {
    /// The key sent as `Authorization: Bearer`.
    pub api_key: ApiKey,
    /// Where tasks, status, credit and download links live (`https://api.kie.ai`).
    pub api_base: Url,
    /// Where uploads go (`https://kieai.redpandaai.co`).
    pub upload_base: Url,
    /// createTask limit, shared by every caller of this client.
    pub create_limit: RateLimit,
    /// recordInfo limit, shared by every caller of this client.
    pub status_limit: RateLimit,
    /// Divides back-off delays (the limits are scaled separately with [`RateLimit::scaled`]);
    /// 1 in production, e.g. 10 when a benchmark runs the simulator ten times faster.
    pub time_scale: u32,
    /// TCP connect time-out.
    pub connect_timeout: Duration,
    /// Whole-request time-out for createTask. Past it the outcome is ambiguous.
    pub create_timeout: Duration,
    /// Whole-request time-out for status, credit and download-link calls.
    pub query_timeout: Duration,
    /// Whole-request time-out for uploads and downloads.
    pub transfer_timeout: Duration,
    /// Attempts for a retryable failure (the first try included).
    pub max_attempts: usize,
    /// Files up to this size go through the base64 endpoint; larger ones are streamed as
    /// multipart (Kie recommends streaming above ~10 MB; base64 adds a third to the size).
    pub base64_upload_max: usize,
}

impl KieConfig {
    /// Kie's production hosts and documented limits.
    pub fn new(api_key: ApiKey) -> KieConfig {
        KieConfig {
            api_key,
            api_base: Url::parse("https://api.kie.ai").expect("constant URL"),
            upload_base: Url::parse("https://kieai.redpandaai.co").expect("constant URL"),
            create_limit: RateLimit::KIE_CREATE,
            status_limit: RateLimit::KIE_STATUS,
            time_scale: 1,
            connect_timeout: Duration::from_secs(5),
            create_timeout: Duration::from_secs(30),
            query_timeout: Duration::from_secs(15),
            transfer_timeout: Duration::from_secs(120),
            max_attempts: 5,
            base64_upload_max: 1024 * 1024,
        }
    }

    /// Points both hosts at one base URL (the simulator serves both).
    pub fn with_base(mut self, base: Url) -> KieConfig {
        self.api_base = base.clone();
        self.upload_base = base;
        self
    }

    /// Runs limits and back-offs on a clock `scale` times faster (benchmarks only).
    pub fn with_time_scale(mut self, scale: u32) -> KieConfig {
        self.time_scale = scale.max(1);
        self.create_limit = RateLimit::KIE_CREATE.scaled(scale);
        self.status_limit = RateLimit::KIE_STATUS.scaled(scale);
        self
    }
}
