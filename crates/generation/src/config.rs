//! The pipeline's knobs: limits, deadlines per output kind, the polling schedule, grace
//! periods, and the time scale shared with the simulator in benchmarks. Plain data: must never
//! read the environment itself (the binary does).

use std::time::Duration;

use catalog::OutputKind;
use url::Url;

/// How long Kie may take, per kind of output, from the moment it accepted the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Images (and edits, upscales).
    pub image: Duration,
    /// Video.
    pub video: Duration,
    /// Audio.
    pub audio: Duration,
    /// Text (speech to text).
    pub text: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            image: Duration::from_secs(10 * 60),
            video: Duration::from_secs(40 * 60),
            audio: Duration::from_secs(15 * 60),
            text: Duration::from_secs(15 * 60),
        }
    }
}

impl Deadlines {
    /// The deadline for a kind of output.
    pub fn for_output(&self, kind: OutputKind) -> Duration {
        match kind {
            OutputKind::Image => self.image,
            OutputKind::Video => self.video,
            OutputKind::Audio => self.audio,
            OutputKind::Text => self.text,
        }
    }
}

/// Kie's polling guidance: every 2–3 s for the first 30 s, 5–10 s until 2 min, then 15–30 s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollSchedule {
    /// Interval while the task is young.
    pub first: Duration,
    /// Young until.
    pub first_until: Duration,
    /// Interval after that.
    pub then: Duration,
    /// Until.
    pub then_until: Duration,
    /// Interval for old tasks.
    pub finally: Duration,
    /// Interval while watching a task we already released (a late success).
    pub late: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        PollSchedule {
            first: Duration::from_millis(2500),
            first_until: Duration::from_secs(30),
            then: Duration::from_millis(7500),
            then_until: Duration::from_secs(120),
            finally: Duration::from_secs(20),
            late: Duration::from_secs(60),
        }
    }
}

impl PollSchedule {
    /// The wait before the next poll of a task submitted `age` ago.
    pub fn interval(&self, age: Duration) -> Duration {
        if age < self.first_until {
            self.first
        } else if age < self.then_until {
            self.then
        } else {
            self.finally
        }
    }
}

/// Everything the pipeline needs besides its collaborators.
#[derive(Clone, Debug)]
pub struct PipelineConfig {
    /// Where Kie can reach our callback router (public HTTPS in production). `None`: no
    /// callbacks, polling only.
    pub callback_base: Option<Url>,
    /// Secret from which each job's callback path token is derived.
    pub callback_secret: Vec<u8>,
    /// Kie's `webhookHmacKey`, when signing is enabled in Kie's settings.
    pub kie_hmac_key: Option<Vec<u8>>,
    /// Jobs of one user in flight at once.
    pub per_user_in_flight: i32,
    /// Kie tasks in flight in all.
    pub global_in_flight: i32,
    /// Deadlines per output kind.
    pub deadlines: Deadlines,
    /// The polling schedule.
    pub poll: PollSchedule,
    /// How long a queued job's money stays held before it expires (queue wait + deadline).
    pub hold_ttl: Duration,
    /// How long an ambiguous createTask waits for a callback naming it before it is released.
    pub ambiguous_grace: Duration,
    /// How long a released task is still watched for a late success.
    pub late_watch: Duration,
    /// Wait before retrying a createTask Kie could not take (429 / 455 after retries).
    pub requeue_delay: Duration,
    /// How long a worker owns a job it took.
    pub lease: Duration,
    /// Results larger than this are not downloaded; the user gets a link.
    pub max_download_bytes: u64,
    /// Delivery attempts before giving up (the result stays in history).
    pub delivery_attempts: i32,
    /// First delivery retry delay (doubles each attempt).
    pub delivery_retry: Duration,
    /// How often the worker loop looks for due work when nothing wakes it.
    pub tick: Duration,
    /// How often Kie's credit is checked while paid runs are paused.
    pub credit_check: Duration,
    /// Credits Kie must report before runs resume.
    pub resume_credits: rust_decimal::Decimal,
    /// Jobs worked on at once by this instance.
    pub max_tasks: usize,
    /// Finished tasks sampled for ETAs.
    pub eta_sample: i64,
    /// Accepted callback timestamp skew (replay window), seconds.
    pub callback_skew_secs: i64,
    /// On a clean stop, how long steps in flight may finish before they are aborted and their
    /// leases handed back.
    pub stop_drain: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            callback_base: None,
            callback_secret: Vec::new(),
            kie_hmac_key: None,
            per_user_in_flight: 2,
            global_in_flight: 100,
            deadlines: Deadlines::default(),
            poll: PollSchedule::default(),
            hold_ttl: Duration::from_secs(3 * 3600),
            ambiguous_grace: Duration::from_secs(15 * 60),
            late_watch: Duration::from_secs(24 * 3600),
            requeue_delay: Duration::from_secs(30),
            // Renewed every third of it while a step runs, so only a dead instance's work waits
            // this long to be taken over (a clean stop hands it back at once).
            lease: Duration::from_secs(60),
            max_download_bytes: 50 * 1024 * 1024,
            delivery_attempts: 6,
            delivery_retry: Duration::from_secs(5),
            tick: Duration::from_millis(500),
            credit_check: Duration::from_secs(60),
            resume_credits: rust_decimal::Decimal::from(100),
            max_tasks: 256,
            eta_sample: 50,
            callback_skew_secs: 300,
            stop_drain: Duration::from_secs(20),
        }
    }
}

impl PipelineConfig {
    /// Every duration divided by `scale` (benchmarks on a clock `scale` times faster; the
    /// simulator and the client must use the same scale).
    pub fn scaled(mut self, scale: u32) -> PipelineConfig {
        let s = scale.max(1);
        let d = |x: Duration| x / s;
        self.deadlines = Deadlines {
            image: d(self.deadlines.image),
            video: d(self.deadlines.video),
            audio: d(self.deadlines.audio),
            text: d(self.deadlines.text),
        };
        self.poll = PollSchedule {
            first: d(self.poll.first),
            first_until: d(self.poll.first_until),
            then: d(self.poll.then),
            then_until: d(self.poll.then_until),
            finally: d(self.poll.finally),
            late: d(self.poll.late),
        };
        self.ambiguous_grace = d(self.ambiguous_grace);
        self.requeue_delay = d(self.requeue_delay);
        self.delivery_retry = d(self.delivery_retry);
        self.tick = d(self.tick);
        self.credit_check = d(self.credit_check);
        self
    }
}
