//! The simulator's shared state: tasks with lazily computed states, rate-limit windows, credits,
//! scripted outcomes, injected faults, uploaded files and counters.
//!
//! Everything lives behind one `std::sync::Mutex`, which must never be held across an `.await`:
//! every method here is synchronous, and work that has to wait (callbacks, timers) is handed back
//! to the caller to spawn after the lock is released.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::media::MediaKind;
use crate::{Endpoint, Fault, Outcome, SimConfig, SimStats, TaskState, TaskView};

/// A sliding-window request counter: at most `limit` hits in any `window`.
#[derive(Debug)]
pub(crate) struct SlidingWindow {
    limit: u32,
    window: Duration,
    hits: VecDeque<Instant>,
}

impl SlidingWindow {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        SlidingWindow {
            limit,
            window,
            hits: VecDeque::new(),
        }
    }

    /// Whether one more hit at `now` would exceed the limit.
    pub(crate) fn is_full(&mut self, now: Instant) -> bool {
        while let Some(&t) = self.hits.front() {
            if now.saturating_duration_since(t) >= self.window {
                self.hits.pop_front();
            } else {
                break;
            }
        }
        self.hits.len() >= self.limit as usize
    }

    /// Counts a hit. Only accepted requests are recorded, so a rejected one never extends the
    /// lock-out.
    pub(crate) fn record(&mut self, now: Instant) {
        self.hits.push_back(now);
    }
}

/// How a task's life is laid out on the (real, already scaled) clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) created: Instant,
    pub(crate) waiting_end: Instant,
    pub(crate) queuing_end: Instant,
    /// `None`: the task never finishes on its own.
    pub(crate) done: Option<Instant>,
}

/// What the lazily computed state is at some instant, before finalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Waiting,
    Queuing,
    Generating,
    Due,
}

impl Plan {
    pub(crate) fn phase_at(&self, now: Instant) -> Phase {
        if self.done.is_some_and(|d| now >= d) {
            Phase::Due
        } else if now < self.waiting_end {
            Phase::Waiting
        } else if now < self.queuing_end {
            Phase::Queuing
        } else {
            Phase::Generating
        }
    }
}

/// Draws a task's phase lengths. Always draws exactly three numbers so that the random stream,
/// and with it every later task's timing, depends only on the sequence of creates.
pub(crate) fn plan_task(
    config: &SimConfig,
    rng: &mut fastrand::Rng,
    outcome: &Outcome,
    slow_marker: bool,
    now: Instant,
) -> Plan {
    let t = &config.timing;
    let jitter = t.jitter.clamp(0.0, 1.0);
    let mult = if slow_marker { 10.0 } else { 1.0 };
    let mut draw = |d: Duration| {
        let factor = 1.0 + jitter * (rng.f64() * 2.0 - 1.0);
        config.scaled(d.mul_f64(factor * mult))
    };
    let (w, q, g) = (draw(t.waiting), draw(t.queuing), draw(t.generating));
    match outcome {
        Outcome::Never => Plan {
            created: now,
            waiting_end: now + w,
            queuing_end: now + w + q,
            done: None,
        },
        Outcome::Slow(total) => {
            let total = config.scaled(total.mul_f64(mult));
            Plan {
                created: now,
                waiting_end: now + w.min(total),
                queuing_end: now + (w + q).min(total),
                done: Some(now + total),
            }
        }
        _ => Plan {
            created: now,
            waiting_end: now + w,
            queuing_end: now + w + q,
            done: Some(now + w + q + g),
        },
    }
}

/// How a task ended.
#[derive(Debug, Clone)]
pub(crate) struct Ending {
    pub(crate) at: Instant,
    pub(crate) success: bool,
    pub(crate) fail_code: String,
    pub(crate) fail_msg: String,
    pub(crate) result_json: String,
}

/// One task.
#[derive(Debug)]
pub(crate) struct Task {
    pub(crate) id: String,
    pub(crate) record_id: Option<String>,
    pub(crate) model: String,
    pub(crate) input: Value,
    pub(crate) call_back_url: Option<String>,
    pub(crate) param: String,
    pub(crate) outcome: Outcome,
    pub(crate) media: MediaKind,
    pub(crate) result_count: usize,
    pub(crate) created_wall: SystemTime,
    pub(crate) plan: Plan,
    pub(crate) ending: Option<Ending>,
    pub(crate) credits_consumed: f64,
    pub(crate) callback_attempts: u32,
    pub(crate) callback_acks: u32,
    /// Credits this task costs (reserved at create, debited on success).
    pub(crate) cost: f64,
    /// Set for tasks of Kie's own-endpoint families (Veo, Suno, …), `None` for Market tasks.
    pub(crate) family: Option<crate::families::FamilyTask>,
}

impl Task {
    pub(crate) fn wall(&self, at: Instant) -> SystemTime {
        self.created_wall + at.saturating_duration_since(self.plan.created)
    }

    fn ms(&self, at: Instant) -> u64 {
        unix_ms(self.wall(at))
    }

    /// The state as reported; a task past its end but not yet finalised reports `generating`
    /// (callers settle tasks before reading them, so this is only a fallback).
    pub(crate) fn state(&self, now: Instant) -> TaskState {
        match (&self.ending, self.plan.phase_at(now)) {
            (Some(e), _) if e.success => TaskState::Success,
            (Some(_), _) => TaskState::Fail,
            (None, Phase::Waiting) => TaskState::Waiting,
            (None, Phase::Queuing) => TaskState::Queuing,
            (None, _) => TaskState::Generating,
        }
    }

    /// The `data` object of recordInfo (and of the callback body).
    pub(crate) fn record_json(&self, now: Instant) -> Value {
        let state = self.state(now);
        let update_at = match (&self.ending, self.plan.phase_at(now)) {
            (Some(e), _) => e.at,
            (None, Phase::Waiting) => self.plan.created,
            (None, Phase::Queuing) => self.plan.waiting_end,
            (None, _) => self.plan.queuing_end,
        };
        let mut data = Map::new();
        data.insert("taskId".into(), self.id.clone().into());
        data.insert("model".into(), self.model.clone().into());
        data.insert("state".into(), state.as_str().into());
        data.insert("param".into(), self.param.clone().into());
        let (result, code, msg) = match &self.ending {
            Some(e) => (
                e.result_json.clone(),
                e.fail_code.clone(),
                e.fail_msg.clone(),
            ),
            None => Default::default(),
        };
        data.insert("resultJson".into(), result.into());
        data.insert("failCode".into(), code.into());
        data.insert("failMsg".into(), msg.into());
        let cost_ms = match &self.ending {
            Some(e) => {
                e.at.saturating_duration_since(self.plan.created)
                    .as_millis() as u64
            }
            None => 0,
        };
        data.insert("costTime".into(), cost_ms.into());
        data.insert(
            "completeTime".into(),
            self.ending
                .as_ref()
                .map_or(Value::Null, |e| self.ms(e.at).into()),
        );
        data.insert("createTime".into(), self.ms(self.plan.created).into());
        data.insert("updateTime".into(), self.ms(update_at).into());
        if self.ending.is_some() {
            data.insert(
                "creditsConsumed".into(),
                credits_json(self.credits_consumed),
            );
        }
        Value::Object(data)
    }

    pub(crate) fn result_urls(&self, base: &str) -> Vec<String> {
        match self.media.extension() {
            Some(ext) => (0..self.result_count)
                .map(|i| format!("{base}/files/r/{}_{i}.{ext}", self.id))
                .collect(),
            None => Vec::new(),
        }
    }

    fn view(&self, now: Instant, base: &str) -> TaskView {
        let success = self.ending.as_ref().is_some_and(|e| e.success);
        TaskView {
            task_id: self.id.clone(),
            record_id: self.record_id.clone(),
            model: self.model.clone(),
            input: self.input.clone(),
            call_back_url: self.call_back_url.clone(),
            state: self.state(now),
            outcome: self.outcome.clone(),
            created_at: self.created_wall,
            completed_at: self.ending.as_ref().map(|e| self.wall(e.at)),
            waiting: self.plan.waiting_end - self.plan.created,
            queuing: self.plan.queuing_end - self.plan.waiting_end,
            generating: self.plan.done.map(|d| d - self.plan.queuing_end),
            result_urls: if success {
                self.result_urls(base)
            } else {
                Vec::new()
            },
            credits_consumed: self.credits_consumed,
            callback_attempts: self.callback_attempts,
            callback_acks: self.callback_acks,
        }
    }
}

/// A callback to send, produced when a task ends.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) task_id: String,
    pub(crate) url: String,
    /// Bodies delivered in order (Suno's stage callbacks come before the final one).
    pub(crate) bodies: Vec<Value>,
}

/// An uploaded file, kept in memory.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub(crate) bytes: axum::body::Bytes,
    pub(crate) mime: String,
}

/// A fault waiting to be applied.
#[derive(Debug, Clone)]
struct Armed {
    target: Endpoint,
    fault: Fault,
    remaining: u32,
}

/// Everything mutable.
pub(crate) struct State {
    pub(crate) tasks: Vec<Task>,
    index: HashMap<String, usize>,
    pub(crate) rng: fastrand::Rng,
    pub(crate) create_window: SlidingWindow,
    pub(crate) status_window: SlidingWindow,
    pub(crate) credits: f64,
    /// Cost of tasks still running: reserved on create so concurrent creates cannot overdraw.
    pub(crate) reserved: f64,
    pub(crate) stats: SimStats,
    running: usize,
    pub(crate) queue: VecDeque<Outcome>,
    pub(crate) per_model: HashMap<String, Outcome>,
    faults: Vec<Armed>,
    pub(crate) uploads: HashMap<String, StoredFile>,
    /// Tasks that ended since the last dispatch (see [`Shared::with_state`]).
    finished: Vec<Option<Delivery>>,
}

impl State {
    pub(crate) fn new(config: &SimConfig) -> Self {
        State {
            tasks: Vec::new(),
            index: HashMap::new(),
            rng: fastrand::Rng::with_seed(config.seed),
            create_window: SlidingWindow::new(
                config.create_limit.0,
                config.scaled(config.create_limit.1),
            ),
            status_window: SlidingWindow::new(
                config.status_limit.0,
                config.scaled(config.status_limit.1),
            ),
            credits: config.credits,
            reserved: 0.0,
            stats: SimStats::default(),
            running: 0,
            queue: VecDeque::new(),
            per_model: HashMap::new(),
            faults: Vec::new(),
            uploads: HashMap::new(),
            finished: Vec::new(),
        }
    }

    pub(crate) fn available_credits(&self) -> f64 {
        self.credits - self.reserved
    }

    pub(crate) fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub(crate) fn insert(&mut self, task: Task, cost: f64) -> usize {
        let i = self.tasks.len();
        self.index.insert(task.id.clone(), i);
        self.tasks.push(task);
        self.reserved += cost;
        self.running += 1;
        self.stats.creates_accepted += 1;
        self.stats.peak_running = self.stats.peak_running.max(self.running);
        i
    }

    pub(crate) fn arm(&mut self, target: Endpoint, fault: Fault, times: u32) {
        if times > 0 {
            self.faults.push(Armed {
                target,
                fault,
                remaining: times,
            });
        }
    }

    pub(crate) fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Takes one use of the oldest fault armed for `endpoint`.
    pub(crate) fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        let pos = self.faults.iter().position(|a| a.target.covers(endpoint))?;
        let armed = &mut self.faults[pos];
        armed.remaining -= 1;
        let fault = armed.fault.clone();
        if armed.remaining == 0 {
            self.faults.remove(pos);
        }
        self.stats.faults_injected += 1;
        Some(fault)
    }

    /// Finalises task `i` if its end is due: decides success or failure, debits credits,
    /// builds the result and queues the callback.
    pub(crate) fn settle(&mut self, i: usize, now: Instant, _config: &SimConfig, base: &str) {
        let task = &self.tasks[i];
        if task.ending.is_some() || task.plan.phase_at(now) != Phase::Due {
            return;
        }
        let at = task.plan.done.unwrap_or(now).min(now);
        let cost = task.cost;
        let ending = match &task.outcome {
            Outcome::Fail { code, msg } => Ending {
                at,
                success: false,
                fail_code: code.clone(),
                fail_msg: msg.clone(),
                result_json: String::new(),
            },
            _ => Ending {
                at,
                success: true,
                fail_code: String::new(),
                fail_msg: String::new(),
                result_json: result_json(task, base),
            },
        };
        self.reserved -= cost;
        self.running -= 1;
        if ending.success {
            self.credits = round_credits(self.credits - cost);
            self.stats.tasks_succeeded += 1;
        } else {
            self.stats.tasks_failed += 1;
        }
        let task = &mut self.tasks[i];
        task.credits_consumed = if ending.success { cost } else { 0.0 };
        let success = ending.success;
        task.ending = Some(ending);
        let family_bodies = task
            .family
            .as_ref()
            .map(|_| crate::families::callback_bodies(task, now, base));
        let delivery = task.call_back_url.clone().map(|url| {
            if let Some(bodies) = family_bodies {
                return Delivery {
                    task_id: task.id.clone(),
                    url,
                    bodies,
                };
            }
            let (code, msg) = if success {
                (200, "Playground task completed successfully.".to_string())
            } else {
                (callback_code(&task.outcome), task_fail_msg(task))
            };
            Delivery {
                task_id: task.id.clone(),
                url,
                bodies: vec![json!({"code": code, "msg": msg, "data": task.record_json(now)})],
            }
        });
        self.finished.push(delivery);
    }

    pub(crate) fn settle_all(&mut self, now: Instant, config: &SimConfig, base: &str) {
        for i in 0..self.tasks.len() {
            self.settle(i, now, config, base);
        }
    }

    pub(crate) fn view(&self, i: usize, now: Instant, base: &str) -> TaskView {
        self.tasks[i].view(now, base)
    }

    /// Moves task `i`'s end to `now` (a `Never` task then succeeds).
    pub(crate) fn finish_now(&mut self, i: usize, now: Instant) {
        let task = &mut self.tasks[i];
        if task.ending.is_none() {
            task.plan.done = Some(now);
            task.plan.waiting_end = task.plan.waiting_end.min(now);
            task.plan.queuing_end = task.plan.queuing_end.min(now);
        }
    }
}

fn task_fail_msg(task: &Task) -> String {
    task.ending
        .as_ref()
        .map(|e| e.fail_msg.clone())
        .unwrap_or_default()
}

/// The callback `code` for a failed task (kie-api.md §3: 400 invalid params or content policy,
/// 500 internal error, 501 generation failed).
fn callback_code(outcome: &Outcome) -> u16 {
    match outcome {
        Outcome::Fail { code, .. } => match code.as_str() {
            "400" | "422" => 400,
            "500" => 500,
            _ => 501,
        },
        _ => 200,
    }
}

fn result_json(task: &Task, base: &str) -> String {
    if task.media == MediaKind::Text {
        let source = task
            .input
            .get("audio_url")
            .and_then(Value::as_str)
            .unwrap_or("the audio");
        json!({"resultObject": {
            "text": format!("Simulated transcript of {source}."),
            "language_code": "en",
        }})
        .to_string()
    } else {
        json!({"resultUrls": task.result_urls(base)}).to_string()
    }
}

/// Credits are fractional (e.g. 4.36); rounding to micro-credits keeps repeated debits from
/// printing float noise like 95.63999999.
pub(crate) fn round_credits(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A credit amount as a JSON number: an integer when whole, like Kie's examples.
pub(crate) fn credits_json(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

pub(crate) fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis() as u64
}

/// What every handler and background task shares.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    /// Public base URL without a trailing slash.
    pub(crate) base: String,
    state: Mutex<State>,
    pub(crate) http: reqwest::Client,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// Bumped whenever tasks end or callbacks are answered, so waiters need no polling.
    pub(crate) events: watch::Sender<u64>,
    pub(crate) runtime: tokio::runtime::Handle,
}

impl Shared {
    pub(crate) fn new(
        config: SimConfig,
        base: String,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Arc<Self>> {
        // No proxy: callbacks go to local receivers in tests and dry runs, and an environment
        // proxy would swallow them.
        let http = reqwest::Client::builder().no_proxy().build()?;
        Ok(Arc::new(Shared {
            state: Mutex::new(State::new(&config)),
            config,
            base,
            http,
            shutdown,
            events: watch::Sender::new(0),
            runtime: tokio::runtime::Handle::current(),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind, still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` under the lock, then (unlocked) wakes waiters and spawns the callbacks of tasks
    /// that ended meanwhile.
    pub(crate) fn with_state<R>(self: &Arc<Self>, f: impl FnOnce(&mut State, Instant) -> R) -> R {
        let now = Instant::now();
        let (r, finished) = {
            let mut st = self.lock();
            let r = f(&mut st, now);
            (r, std::mem::take(&mut st.finished))
        };
        if !finished.is_empty() {
            self.events.send_modify(|n| *n += 1);
            for delivery in finished.into_iter().flatten() {
                self.runtime
                    .spawn(crate::callback::deliver(Arc::clone(self), delivery));
            }
        }
        r
    }

    /// Sleeps until the task's planned end (or shutdown), then settles it, so callbacks fire
    /// even when nobody polls.
    pub(crate) fn spawn_timer(self: &Arc<Self>, task_id: String, done: Instant) {
        let shared = Arc::clone(self);
        self.runtime.spawn(async move {
            let mut shutdown = shared.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep_until(done.into()) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            shared.settle_one(&task_id);
        });
    }

    pub(crate) fn settle_one(self: &Arc<Self>, task_id: &str) {
        let base = self.base.clone();
        self.with_state(|st, now| {
            if let Some(i) = st.find(task_id) {
                st.settle(i, now, &self.config, &base);
            }
        });
    }
}
