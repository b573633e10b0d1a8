//! `cargo xtask bench ui`: how fast the Telegram side of the product answers, against a minimal
//! teloxide echo bot measured in the same run on the same fake Bot API server.
//!
//! - **Ours:** the real product (`stack::Stack`: `App` with `bot_ui::schema()`, PostgreSQL on
//!   a scratch database, the Kie simulator) with flood limits lifted. N simulated users each walk
//!   the menus in a closed loop — /start, a category, ▶️, a model card, back, back, Balance, Menu,
//!   History, Menu, Popular, back, and again — each waiting for the bot's answer (the callback
//!   answered and the screen sent or edited) before the next tap.
//! - **Anchor:** a minimal teloxide echo bot (a `Dispatcher` with one endpoint that answers every
//!   text with `sendMessage`), N users sending texts in a closed loop.
//!
//! Latency is from the moment the fake queued the update (just before the user pushes it) to the
//! arrival at the fake of the bot's first answering call for it (`answerCallbackQuery`,
//! `sendMessage` or `editMessageText`); "screen" is to the call that shows the new screen.
//! Timestamps are the fake's own (`tg_fake::CallEvent::at`), taken with call recording off and
//! a per-call event stream instead, so the fake's bookkeeping (which would otherwise copy every
//! call's parameters and make waiters clone chats) stays out of the figures.
//!
//! Then the real `bot` binary (release build): spawned against a fake Telegram and the Kie
//! simulator started here, with a /start already queued: the time from spawn to its answer, and
//! its resident memory once idle. Must never assert timings: it prints figures and fails only if
//! a user meets an error or an answer never comes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use stack::{Stack, StackOptions};
use teloxide::dispatching::Dispatcher;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::update_listeners::{Polling, UpdateListener};
use tg_fake::{CallEvent, ChatMessage, FakeTelegram, FakeUser, UserSpec};
use tokio::sync::mpsc;

use crate::postgres::Postgres;
use crate::project;

/// How long one answer may take before the bench calls it an error.
const PATIENCE: Duration = Duration::from_secs(10);
/// The echo bots' token (the product's is `stack::DEMO_TOKEN`).
const ECHO_TOKEN: &str = "654321:bench-echo";

/// What to run.
pub struct Options {
    /// Simulated user counts, one round of workloads each.
    pub users: Vec<usize>,
    /// Measured seconds per workload.
    pub seconds: u64,
    /// Unmeasured seconds before them.
    pub warmup: u64,
    /// Build and measure the real binary too.
    pub binary: bool,
    /// Keep tg-fake's call recording on (its default), to see what it costs.
    pub record_calls: bool,
    /// Set `synchronous_commit = off` on the walk's database, to see what waiting for the disk
    /// costs.
    pub async_commit: bool,
    /// Telegram's limits instead of lifted ones (the fairness run).
    pub shipped_limits: bool,
}

pub fn run(o: &Options) -> Result<()> {
    let pg = Postgres::find(false)?;
    let pid = std::process::id();
    // A fresh database per walk: the product remembers handled update ids, and every fake
    // Telegram numbers its updates from 1.
    let walk_dbs: Vec<String> = o
        .users
        .iter()
        .enumerate()
        .map(|(i, _)| format!("kiebot_bench_ui_{pid}_{i}"))
        .collect();
    let bin_db = format!("kiebot_bench_ui_bin_{pid}");
    let mut names: Vec<&str> = walk_dbs.iter().map(String::as_str).collect();
    names.push(&bin_db);
    let bin_url = test_db::with_database(&pg.url, &bin_db);
    // The real binary first, on an otherwise quiet machine: its build takes a while.
    let bin = if o.binary {
        Some(build_binary()?)
    } else {
        None
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let result = rt.block_on(pg.with_scratch_databases(&names, async || {
        println!(
            "bench ui: users in a closed loop, {} s measured after {} s of warm-up per workload (release build, {} cores; everything in this one process but PostgreSQL)",
            o.seconds,
            o.warmup,
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        let window = Window::new(o);
        if o.record_calls {
            println!("  tg-fake records every call (its default; the bench normally turns it off)");
        }
        let mut errors = 0;
        for (&users, db) in o.users.iter().zip(&walk_dbs) {
            println!();
            println!("{users} user(s):");
            let url = test_db::with_database(&pg.url, db);
            let walk = ours(&url, users, o, &window).await?;
            let plain = echo(users, o, &window).await?;
            let recording = recording_echo(&url, users, o, &window).await?;
            report(&walk, &plain, &recording, o.seconds);
            errors += walk.errors + plain.errors + recording.errors;
        }
        if let Some(bin) = &bin {
            binary(bin, &bin_url).await?;
        }
        if errors > 0 {
            bail!("{errors} action(s) met an error or no answer (see above)");
        }
        Ok(())
    }));
    drop(pg);
    result
}

// ---- measuring ---------------------------------------------------------------------------------

/// The warm-up and measured spans of one workload, relative to its start.
#[derive(Clone, Copy)]
struct Window {
    warmup: Duration,
    measured: Duration,
}

impl Window {
    fn new(o: &Options) -> Window {
        Window {
            warmup: Duration::from_secs(o.warmup),
            measured: Duration::from_secs(o.seconds.max(1)),
        }
    }
}

/// One action's timings.
#[derive(Clone, Copy)]
struct Sample {
    /// To the first answering call.
    first: Duration,
    /// To the call that showed the screen.
    screen: Duration,
    /// A button press (answered by `answerCallbackQuery` and an edit) rather than a text
    /// (answered by `sendMessage`).
    press: bool,
}

/// What one workload measured.
#[derive(Default)]
struct Measured {
    name: &'static str,
    samples: Vec<Sample>,
    /// Actions done, warm-up included.
    actions: usize,
    /// Database transactions committed per action (ours only).
    commits_per_action: Option<f64>,
    errors: usize,
    first_error: Option<String>,
    round_len: usize,
}

impl Measured {
    fn merge(&mut self, other: Measured) {
        self.samples.extend(other.samples);
        self.actions += other.actions;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn per_second(&self, seconds: u64) -> f64 {
        self.samples.len() as f64 / seconds.max(1) as f64
    }

    fn pct(&self, p: f64, screen: bool) -> Duration {
        self.pct_of(p, screen, |_| true)
    }

    fn pct_of(&self, p: f64, screen: bool, which: impl Fn(&Sample) -> bool) -> Duration {
        let mut v: Vec<Duration> = self
            .samples
            .iter()
            .filter(|s| which(s))
            .map(|s| if screen { s.screen } else { s.first })
            .collect();
        percentile(&mut v, p)
    }
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// What a user does next.
enum Act {
    Text(&'static str),
    Press { message: i32, data: String },
}

/// A simulated user and the stream of the bot's calls concerning their chat.
struct Probe {
    user: FakeUser,
    events: mpsc::UnboundedReceiver<CallEvent>,
}

impl Probe {
    /// Does `act`, then waits for the whole answer: the callback answered (for a press) and
    /// a screen sent or edited. Returns the timings and the screen's message id.
    async fn act(&mut self, act: Act) -> Result<(Sample, i32)> {
        let t0 = Instant::now();
        let press = matches!(act, Act::Press { .. });
        let callback = match act {
            Act::Text(text) => {
                self.user.send_text(text).await;
                None
            }
            Act::Press { message, data } => {
                Some(self.user.press_data(message, &data).await.callback_id)
            }
        };
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut first: Option<Instant> = None;
        let mut screen: Option<(Instant, i32)> = None;
        let mut answered = callback.is_none();
        while !(answered && screen.is_some()) {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| anyhow!("no answer within {PATIENCE:?}"))?
                .context("the fake's event stream ended")?;
            // Anything that started before this action belongs to an earlier one.
            if event.at < t0 {
                continue;
            }
            match event.method.as_str() {
                "sendmessage" | "editmessagetext" => {
                    first.get_or_insert(event.at);
                    if event.status != 200 {
                        bail!("{} answered {}", event.method, event.status);
                    }
                    let id = event.message_id.context("a screen without a message id")?;
                    screen = Some((event.at, id));
                }
                "answercallbackquery" if event.callback_query_id == callback => {
                    first.get_or_insert(event.at);
                    answered = true;
                }
                _ => {}
            }
        }
        let (shown, id) = screen.expect("the loop ends with a screen");
        let first = first.expect("the loop ends with an answer");
        Ok((
            Sample {
                first: first.duration_since(t0),
                screen: shown.duration_since(t0),
                press,
            },
            id,
        ))
    }
}

/// Routes the fake's call events to the users' probes by chat.
fn probes(fake: &FakeTelegram, specs: Vec<UserSpec>) -> Vec<Probe> {
    let mut all = fake.subscribe_calls();
    let mut routes = HashMap::new();
    let mut out = Vec::new();
    for spec in specs {
        let (tx, rx) = mpsc::unbounded_channel();
        routes.insert(spec.id, tx);
        out.push(Probe {
            user: fake.user(spec),
            events: rx,
        });
    }
    tokio::spawn(async move {
        while let Some(event) = all.recv().await {
            if let Some(tx) = event.chat_id.and_then(|c| routes.get(&c)) {
                let _ = tx.send(event);
            }
        }
    });
    out
}

/// Runs `users` closed loops of `step` for the warm-up and the measured span, and gathers the
/// samples of actions started and finished inside the measured span.
async fn closed_loops<S, F>(probes: Vec<Probe>, window: &Window, make: F) -> Measured
where
    S: UserLoop + Send + 'static,
    F: Fn(usize) -> S,
{
    let start = Instant::now();
    let from = start + window.warmup;
    let until = from + window.measured;
    let mut tasks = tokio::task::JoinSet::new();
    for (i, mut probe) in probes.into_iter().enumerate() {
        let mut walker = make(i);
        tasks.spawn(async move {
            let mut m = Measured::default();
            while Instant::now() < until {
                let begun = Instant::now();
                match walker.step(&mut probe).await {
                    Ok(Some(sample)) => {
                        m.actions += 1;
                        if begun >= from && Instant::now() <= until {
                            m.samples.push(sample);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        m.errors += 1;
                        if m.first_error.is_none() {
                            m.first_error = Some(format!("{e:#}"));
                        }
                        walker.restart();
                    }
                }
            }
            m
        });
    }
    let mut all = Measured::default();
    while let Some(m) = tasks.join_next().await {
        match m {
            Ok(m) => all.merge(m),
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert(format!("a user task: {e}"));
            }
        }
    }
    all
}

/// One simulated user's behaviour.
trait UserLoop {
    /// Does the next action; `None` when the step needed no action (a page with no ▶️).
    fn step(
        &mut self,
        probe: &mut Probe,
    ) -> impl std::future::Future<Output = Result<Option<Sample>>> + Send;
    /// Starts over after an error.
    fn restart(&mut self);
}

// ---- workload A: the product's menus -----------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Move {
    Start,
    Category,
    NextPage,
    Model,
    Back,
    Balance,
    Home,
    History,
    Popular,
}

/// One round of the menu walk; /start begins the next round.
const WALK: [Move; 12] = [
    Move::Start,
    Move::Category,
    Move::NextPage,
    Move::Model,
    Move::Back,
    Move::Back,
    Move::Balance,
    Move::Home,
    Move::History,
    Move::Home,
    Move::Popular,
    Move::Back,
];

struct MenuWalk {
    index: usize,
    at: usize,
    round: usize,
    fake: FakeTelegram,
    screen: Option<ChatMessage>,
}

impl MenuWalk {
    /// The callback data of the button chosen for `m` on the current screen.
    fn choose(&self, m: Move) -> Result<Option<(i32, String)>> {
        let screen = self
            .screen
            .as_ref()
            .context("no screen to press a button on")?;
        let labelled = |label: &str| {
            screen
                .all_buttons()
                .find(|b| b.text.contains(label))
                .and_then(|b| b.callback_data.clone())
        };
        let data = match m {
            Move::Start => return Ok(None),
            Move::Category => {
                // The category grid: the buttons before the Free / Popular row.
                let grid: Vec<&tg_fake::Button> = screen
                    .all_buttons()
                    .take_while(|b| !b.text.contains('🆓') && !b.text.contains('🔥'))
                    .collect();
                grid.get((self.index + self.round) % grid.len().max(1))
                    .and_then(|b| b.callback_data.clone())
            }
            Move::NextPage => match labelled("▶️") {
                Some(d) => Some(d),
                None => return Ok(None),
            },
            Move::Model => screen
                .all_buttons()
                .find(|b| b.text.contains(" · "))
                .and_then(|b| b.callback_data.clone()),
            Move::Back => labelled("⬅️"),
            Move::Balance => labelled("💳"),
            Move::Home => labelled("🏠"),
            Move::History => labelled("🕘"),
            Move::Popular => labelled("🔥"),
        };
        let data = data.with_context(|| {
            format!(
                "{m:?}: no such button on the screen: {:?}",
                screen.button_texts()
            )
        })?;
        Ok(Some((screen.id, data)))
    }
}

impl UserLoop for MenuWalk {
    async fn step(&mut self, probe: &mut Probe) -> Result<Option<Sample>> {
        let m = WALK[self.at];
        self.at = (self.at + 1) % WALK.len();
        if self.at == 0 {
            self.round += 1;
        }
        let act = match m {
            Move::Start => Act::Text("/start"),
            _ => match self.choose(m)? {
                Some((message, data)) => Act::Press { message, data },
                None => return Ok(None),
            },
        };
        let (sample, id) = probe.act(act).await?;
        self.screen = self.fake.message(probe.user.chat_id(), id);
        Ok(Some(sample))
    }

    fn restart(&mut self) {
        self.at = 0;
        self.screen = None;
    }
}

/// Transactions committed in the database of `url` so far (PostgreSQL's statistics, which
/// backends flush when idle or when they exit).
async fn commits(url: &str) -> Result<i64> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(url).await?;
    let n: N = diesel::sql_query(
        "SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result(&mut conn)
    .await?;
    Ok(n.n)
}

async fn ours(url: &str, users: usize, o: &Options, window: &Window) -> Result<Measured> {
    if o.async_commit {
        use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
        let mut conn = AsyncPgConnection::establish(url).await?;
        conn.batch_execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$",
        )
        .await?;
        println!(
            "  synchronous_commit = off on the walk's database (commits do not wait for the disk)"
        );
    }
    let mut options = StackOptions::fast(url);
    if o.shipped_limits {
        options.limits = bot_ui::FloodLimits::telegram();
    }
    let limits = options.limits;
    let stack = Stack::start(options).await?;
    stack.tg.set_record_calls(o.record_calls);
    // Let the start-up's statistics reach the server, then count from here.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let commits_before = commits(url).await?;
    println!(
        "  ours: the real App (bot_ui::schema, PostgreSQL pool of 16, flood limits {}/s per chat, {}/s overall)",
        limits.per_chat_per_sec, limits.overall_per_sec
    );
    let specs = (0..users)
        .map(|i| UserSpec::new(800_000_000 + i as i64, &format!("Bench {i}")).language("ru"))
        .collect();
    let probes = probes(&stack.tg, specs);
    let fake = stack.tg.clone();
    let mut m = closed_loops(probes, window, |index| MenuWalk {
        index,
        at: 0,
        round: 0,
        fake: fake.clone(),
        screen: None,
    })
    .await;
    m.name = "ours (menu walk)";
    m.round_len = WALK.len();
    stop_stack(stack).await;
    // The pool's connections are closed with the stack: their statistics are flushed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let commits_after = commits(url).await?;
    m.commits_per_action =
        Some((commits_after - commits_before - 1) as f64 / m.actions.max(1) as f64);
    Ok(m)
}

/// How long `App::stop` may take before the bench gives up on it.
pub const STOP_PATIENCE: Duration = Duration::from_secs(20);

/// Stops the product, or reports that it did not stop and goes on (the bot's tasks are left
/// running in this process, which ends soon; the scratch databases are dropped by force).
/// `App::stop` uses teloxide's `ShutdownToken::shutdown`, whose wake-up is lost if it lands
/// while the dispatcher hands an update to a worker (see [`stop_dispatcher`]).
pub async fn stop_stack(stack: Stack) {
    if tokio::time::timeout(STOP_PATIENCE, stack.stop())
        .await
        .is_err()
    {
        println!(
            "  WARNING: App::stop did not return within {STOP_PATIENCE:?} (teloxide's Dispatcher missed the shutdown wake-up); going on"
        );
    }
}

// ---- workload B: the echo bot ------------------------------------------------------------------

struct Echo;

impl UserLoop for Echo {
    async fn step(&mut self, probe: &mut Probe) -> Result<Option<Sample>> {
        probe.act(Act::Text("ping")).await.map(|(s, _)| Some(s))
    }

    fn restart(&mut self) {}
}

/// Starts a minimal echo bot on `bot`: every text is answered with `sendMessage`. Returns the
/// polling listener's stop token (see [`stop_dispatcher`]) and the dispatching task.
async fn start_echo<B>(bot: B) -> (StopToken, tokio::task::JoinHandle<()>)
where
    B: Requester + Clone + Send + Sync + 'static,
    B::GetUpdates: Send,
    B::DeleteWebhook: Send,
    B::SendMessage: Send,
    B::Err: std::error::Error + Send + Sync + 'static,
{
    let handler = Update::filter_message().endpoint(|bot: B, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or("?").to_owned())
            .await?;
        Ok::<(), anyhow::Error>(())
    });
    start_dispatcher(bot, handler, dptree::deps![]).await
}

/// Runs `handler` on teloxide's own dispatcher and polling (1 s polls), with `deps`.
async fn start_dispatcher<B>(
    bot: B,
    handler: teloxide::dispatching::UpdateHandler<anyhow::Error>,
    deps: teloxide::dptree::di::DependencyMap,
) -> (StopToken, tokio::task::JoinHandle<()>)
where
    B: Requester + Clone + Send + Sync + 'static,
    B::GetUpdates: Send,
    B::DeleteWebhook: Send,
    B::Err: std::error::Error + Send + Sync + 'static,
{
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(deps)
        .default_handler(|_| async {})
        .build();
    let mut listener = Polling::builder(bot)
        .timeout(Duration::from_secs(1))
        .delete_webhook()
        .await
        .build();
    let stop = listener.stop_token();
    let task = tokio::spawn(async move {
        dispatcher
            .dispatch_with_listener(listener, LoggingErrorHandler::new())
            .await;
    });
    (stop, task)
}

/// Stops an echo bot by ending its update stream, then waits for its handlers to finish.
///
/// Not `ShutdownToken::shutdown`: in teloxide 0.17 it wakes the dispatcher with
/// `Notify::notify_waiters`, which is lost when the dispatcher is busy handing an update to a
/// worker at that moment, and the dispatcher then polls on forever (seen here as a hung bench).
async fn stop_dispatcher(stop: StopToken, task: tokio::task::JoinHandle<()>) -> Result<()> {
    stop.stop();
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .map_err(|_| anyhow!("the echo bot did not stop within 30 s"))?
        .context("the echo bot's task")
}

async fn echo(users: usize, o: &Options, window: &Window) -> Result<Measured> {
    let fake = FakeTelegram::start(ECHO_TOKEN).await;
    fake.set_record_calls(o.record_calls);
    let bot = teloxide::Bot::new(ECHO_TOKEN).set_api_url(fake.api_url());
    let (stop, task) = start_echo(bot).await;
    let specs = (0..users)
        .map(|i| UserSpec::new(900_000_000 + i as i64, &format!("Echo {i}")).language("ru"))
        .collect();
    let probes = probes(&fake, specs);
    let mut m = closed_loops(probes, window, |_| Echo).await;
    m.name = "echo (anchor)";
    m.round_len = 1;
    stop_dispatcher(stop, task).await?;
    fake.shutdown();
    Ok(m)
}

/// The least any exactly-once bot must do: the echo bot, but each update id is recorded in
/// PostgreSQL (one insert, one commit) before it answers.
async fn recording_echo(url: &str, users: usize, o: &Options, window: &Window) -> Result<Measured> {
    use diesel_async::SimpleAsyncConnection;
    let pool = ledger::connect_pool(url, 16)?;
    pool.get()
        .await
        .context("bench pool")?
        .batch_execute("CREATE TABLE IF NOT EXISTS bench_seen (update_id BIGINT PRIMARY KEY)")
        .await?;
    let fake = FakeTelegram::start(ECHO_TOKEN).await;
    fake.set_record_calls(o.record_calls);
    let bot = teloxide::Bot::new(ECHO_TOKEN).set_api_url(fake.api_url());
    let handler = Update::filter_message().endpoint(
        |bot: teloxide::Bot, update: Update, msg: Message, pool: ledger::Pool| async move {
            use diesel_async::RunQueryDsl;
            let mut conn = pool.get().await?;
            diesel::sql_query("INSERT INTO bench_seen VALUES ($1) ON CONFLICT DO NOTHING")
                .bind::<diesel::sql_types::BigInt, _>(i64::from(update.id.0))
                .execute(&mut conn)
                .await?;
            drop(conn);
            bot.send_message(msg.chat.id, msg.text().unwrap_or("?").to_owned())
                .await?;
            Ok::<(), anyhow::Error>(())
        },
    );
    let (stop, task) = start_dispatcher(bot, handler, dptree::deps![pool]).await;
    let specs = (0..users)
        .map(|i| UserSpec::new(950_000_000 + i as i64, &format!("Rec {i}")).language("ru"))
        .collect();
    let probes = probes(&fake, specs);
    let mut m = closed_loops(probes, window, |_| Echo).await;
    m.name = "echo + PG insert";
    m.round_len = 1;
    stop_dispatcher(stop, task).await?;
    fake.shutdown();
    Ok(m)
}

fn report(ours: &Measured, echo: &Measured, recording: &Measured, seconds: u64) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!();
    println!(
        "  {:<18} {:>10} {:>9} {:>9} {:>11} {:>11} {:>7}",
        "workload", "updates/s", "p50 ms", "p99 ms", "screen p50", "screen p99", "errors"
    );
    for m in [ours, echo, recording] {
        println!(
            "  {:<18} {:>10.0} {:>9.2} {:>9.2} {:>11.2} {:>11.2} {:>7}",
            m.name,
            m.per_second(seconds),
            ms(m.pct(0.50, false)),
            ms(m.pct(0.99, false)),
            ms(m.pct(0.50, true)),
            ms(m.pct(0.99, true)),
            m.errors
        );
    }
    let taps = ours.samples.iter().filter(|s| s.press).count();
    println!(
        "  {:<18} {:>10} {:>9.2} {:>9.2} {:>11.2} {:>11.2}   ({taps} taps: answerCallbackQuery + editMessageText)",
        "  ours, taps",
        "",
        ms(ours.pct_of(0.50, false, |s| s.press)),
        ms(ours.pct_of(0.99, false, |s| s.press)),
        ms(ours.pct_of(0.50, true, |s| s.press)),
        ms(ours.pct_of(0.99, true, |s| s.press)),
    );
    println!(
        "  {:<18} {:>10} {:>9.2} {:>9.2} {:>11.2} {:>11.2}   ({} × /start: sendMessage)",
        "  ours, /start",
        "",
        ms(ours.pct_of(0.50, false, |s| !s.press)),
        ms(ours.pct_of(0.99, false, |s| !s.press)),
        ms(ours.pct_of(0.50, true, |s| !s.press)),
        ms(ours.pct_of(0.99, true, |s| !s.press)),
        ours.samples.len() - taps,
    );
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!();
    println!(
        "  ours / echo: throughput {:.2} (goal ≥ 0.7), p50 {:.2}×, p99 {:.2}× (ours p99 {:.2} ms, goal < 20 ms)",
        ratio(ours.per_second(seconds), echo.per_second(seconds)),
        ratio(ms(ours.pct(0.50, false)), ms(echo.pct(0.50, false))),
        ratio(ms(ours.pct(0.99, false)), ms(echo.pct(0.99, false))),
        ms(ours.pct(0.99, false)),
    );
    println!(
        "  ours / (echo + PG insert): throughput {:.2} (goal ≥ 0.7), p50 {:.2}×, p99 {:.2}×",
        ratio(ours.per_second(seconds), recording.per_second(seconds)),
        ratio(ms(ours.pct(0.50, false)), ms(recording.pct(0.50, false))),
        ratio(ms(ours.pct(0.99, false)), ms(recording.pct(0.99, false))),
    );
    println!(
        "  (latency: update queued → the bot's first answering call at the fake; screen: → the sendMessage/editMessageText showing it; one round of the walk is {} actions)",
        ours.round_len
    );
    if let Some(c) = ours.commits_per_action {
        println!(
            "  ours: {c:.1} database transactions committed per update (PostgreSQL statistics, {} updates in all; pool checkouts are not verified with SELECT 1)",
            ours.actions
        );
    }
    for m in [ours, echo, recording] {
        if let Some(e) = &m.first_error {
            println!("  {}: first error: {e}", m.name);
        }
    }
}

// ---- the real binary ---------------------------------------------------------------------------

fn build_binary() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("bench ui: building the bot binary (cargo build --release -p bot)");
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--release", "--package", "bot"])
        .current_dir(project::root())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("building the bot binary failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project::root().join("target"));
    let bin = target.join("release").join("bot");
    anyhow::ensure!(bin.is_file(), "no binary at {}", bin.display());
    Ok(bin)
}

/// Kills the child on drop (after a failed wait).
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn binary(bin: &Path, url: &str) -> Result<()> {
    let sim = kie_sim::KieSim::start(kie_sim::SimConfig {
        api_key: stack::DEMO_KIE_KEY.into(),
        ..kie_sim::SimConfig::default()
    })
    .await?;
    let fake = FakeTelegram::start(stack::DEMO_TOKEN).await;
    let dir = std::env::temp_dir().join(format!("kiebot-bench-ui-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!();
    println!(
        "  the real binary ({}, release build) against a fake Telegram and the Kie simulator, a /start queued before spawn:",
        bin.display()
    );
    for (label, user) in [
        ("first start (empty database: migrations run)", 810_000_001),
        ("second start (migrated database)", 810_000_002),
    ] {
        let u = fake.user(UserSpec::new(user, "Start").language("ru"));
        let mut events = fake.subscribe_calls();
        u.send_text("/start").await;
        let log = dir.join(format!("bot-{user}.log"));
        let spawned = Instant::now();
        let child = Command::new(bin)
            .arg("run")
            .current_dir(&dir)
            .env("BOT_TOKEN", stack::DEMO_TOKEN)
            .env("KIE_API_KEY", stack::DEMO_KIE_KEY)
            .env("DATABASE_URL", url)
            .env("TELEGRAM_API_URL", fake.api_url().as_str())
            .env("KIE_API_BASE", sim.base_url().as_str())
            .env("KIE_UPLOAD_BASE", sim.base_url().as_str())
            .env("REGISTRY_DIR", project::registry_dir())
            .env("LOG_LEVEL", "warn")
            .env_remove("RUST_LOG")
            .env_remove("PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("spawning {}", bin.display()))?;
        let mut child = Running(child);
        let pid = child.0.id();
        let mut first_call = None;
        let mut first_poll = None;
        let answered = loop {
            let event = tokio::time::timeout(Duration::from_secs(60), events.recv())
                .await
                .map_err(|_| {
                    anyhow!(
                        "the bot did not answer /start within 60 s; its log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    )
                })?
                .context("the fake's event stream ended")?;
            first_call.get_or_insert(event.at);
            if event.method == "getupdates" {
                first_poll.get_or_insert(event.at);
            }
            if event.method == "sendmessage" && event.chat_id == Some(user) {
                break event.at;
            }
        };
        drop(events);
        // Idle a moment (long polling, no traffic), then read its memory.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss = rss_kib(&pid.to_string());
        let peak = hwm_kib(&pid.to_string());
        stop(&mut child.0);
        let since = |t: Option<Instant>| t.map(|t| t.duration_since(spawned));
        println!("    {label}:");
        println!(
            "      spawn → first Bot API call {:.0?}, → first getUpdates {:.0?}, → /start answered (sendMessage) {:.0?}",
            since(first_call).unwrap_or_default(),
            since(first_poll).unwrap_or_default(),
            answered.duration_since(spawned)
        );
        match (rss, peak) {
            (Some(rss), Some(peak)) => println!(
                "      idle resident memory (VmRSS) {:.1} MiB; peak (VmHWM) {:.1} MiB",
                rss as f64 / 1024.0,
                peak as f64 / 1024.0
            ),
            _ => println!("      memory: unavailable (no /proc)"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    fake.shutdown();
    Ok(())
}

/// SIGTERM, a few seconds for an orderly stop, then SIGKILL (by the guard).
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn status_kib(pid: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn rss_kib(pid: &str) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn hwm_kib(pid: &str) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut v, 0.50), Duration::from_millis(50));
        assert_eq!(percentile(&mut v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&mut [], 0.99), Duration::ZERO);
    }

    #[test]
    fn the_walk_starts_each_round_with_start() {
        assert!(matches!(WALK[0], Move::Start));
    }
}
