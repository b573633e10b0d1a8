//! The product with its fakes: the whole bot ([`App`]) against the Kie simulator and a fake
//! Telegram, with a scripted user. [`Stack`] is also what the journey tests, `cargo xtask e2e`
//! and the benchmarks start; [`main_journey`] is the scripted conversation they share, recorded
//! step by step as a [`Transcript`].
//!
//! Nothing here reaches the network: Kie and Telegram are local servers on 127.0.0.1.
//!
//! # What this crate must never be
//! A dependency of the production binary: `bot` fails closed without its secrets and links no
//! fake (a tidy test over `cargo metadata` checks it). This crate is for tests, benchmarks,
//! `cargo xtask e2e` and the `demo` binary that `cargo xtask run` starts without tokens.

mod admin_journey;

use std::time::Duration;

use anyhow::Context as _;
use bot_ui::UiConfig;
use generation::PipelineConfig;
use kie_client::{ApiKey, KieConfig};
use kie_sim::{KieSim, SimConfig};
use serde::Serialize;
use tg_fake::{ChatMessage, FakeTelegram, FakeUser, UserSpec};

use bot::app::{App, AppConfig};
use bot::config::Secret;

pub use admin_journey::admin_journey;

/// The owner of every stack built with [`StackOptions::fast`] (its ADMIN_IDS).
pub const OWNER: i64 = 9_000_001;

/// The token the fake Telegram accepts.
pub const DEMO_TOKEN: &str = "123456:demo-token";
/// The key the Kie simulator accepts.
pub const DEMO_KIE_KEY: &str = "demo-kie-key";

/// How to start a [`Stack`].
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// A migrated or empty database.
    pub database_url: String,
    /// The simulator runs this many times faster than Kie.
    pub sim_speed: f64,
    /// Outgoing flood limits (tests lift the per-chat limit to run quickly).
    pub limits: bot_ui::FloodLimits,
    /// The interface settings.
    pub ui: UiConfig,
}

impl StackOptions {
    /// Fast settings for tests and the demo on `database_url`.
    pub fn fast(database_url: &str) -> StackOptions {
        StackOptions {
            database_url: database_url.to_string(),
            sim_speed: 5.0,
            limits: bot_ui::FloodLimits::lifted(),
            ui: UiConfig {
                admin_ids: vec![OWNER],
                progress_interval: Duration::from_millis(300),
                ..UiConfig::default()
            },
        }
    }
}

/// The product with its two fakes.
pub struct Stack {
    /// The running bot.
    pub app: App,
    /// The Kie simulator.
    pub sim: KieSim,
    /// The fake Telegram.
    pub tg: FakeTelegram,
}

impl Stack {
    /// Starts the simulator, the fake Telegram and the bot pointed at them.
    pub async fn start(options: StackOptions) -> anyhow::Result<Stack> {
        let sim = KieSim::start(SimConfig {
            api_key: DEMO_KIE_KEY.into(),
            time_scale: options.sim_speed,
            credits: 1_000_000.0,
            ..SimConfig::default()
        })
        .await?;
        let tg = FakeTelegram::start(DEMO_TOKEN).await;
        let kie = KieConfig::new(ApiKey::new(DEMO_KIE_KEY)).with_base(sim.base_url());
        let app = App::start(AppConfig {
            bot_token: Secret(DEMO_TOKEN.into()),
            telegram_api_url: tg.api_url(),
            database_url: options.database_url.clone(),
            db_pool_size: 16,
            kie,
            registry: "registry".into(),
            ui: options.ui.clone(),
            pipeline: PipelineConfig::default().scaled(5),
            limits: options.limits,
            listen: "127.0.0.1:0".parse()?,
            mode: bot::config::Mode::Polling,
            webhook_secret: None,
            poll_timeout: Duration::from_secs(1),
            lease: bot::app::LeaseTimings::default(),
            handler_concurrency: 256,
            stop_deadline: Duration::from_secs(5),
            instance_id: bot::app::default_instance_id(),
            callback_via_listen: true,
        })
        .await?;
        Ok(Stack { app, sim, tg })
    }

    /// Stops the bot (the fakes stop when dropped).
    pub async fn stop(self) {
        self.app.stop().await;
        self.tg.shutdown();
    }

    /// Credits `rub` rubles to a user as an admin bonus (test set-up).
    pub async fn credit(&self, user: i64, rub: &str, key: &str) -> anyhow::Result<()> {
        let mut conn = self.app.ui.db().await?;
        ledger::bonus(
            &mut conn,
            ledger::UserId(user),
            pricing::Money::parse(rub).context("an amount")?,
            "test set-up",
            key,
        )
        .await?;
        Ok(())
    }
}

/// One step of a scripted conversation.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Its number, from 1.
    pub n: usize,
    /// What the user did.
    pub user: String,
    /// What the bot answered (text without HTML tags, and button labels).
    pub bot: String,
    /// What was checked.
    pub check: String,
    /// Whether it held.
    pub pass: bool,
}

/// A recorded conversation.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Transcript {
    /// The language it ran in.
    pub lang: String,
    /// The steps.
    pub steps: Vec<Step>,
}

impl Transcript {
    /// True when every step passed.
    pub fn passed(&self) -> bool {
        !self.steps.is_empty() && self.steps.iter().all(|s| s.pass)
    }

    /// A readable transcript (Markdown).
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# End-to-end conversation ({})\n\nEach step: what the user did, what the bot answered, what was checked.\n\n",
            self.lang
        );
        for s in &self.steps {
            out.push_str(&format!(
                "## {}. {} — {}\n\n**User:** {}\n\n**Bot:**\n\n```\n{}\n```\n\n**Check:** {}\n\n",
                s.n,
                if s.pass { "pass" } else { "FAIL" },
                s.check,
                s.user,
                s.bot.trim(),
                s.check
            ));
        }
        out
    }
}

/// Visible text of a bot message (tags stripped, entities decoded) and its buttons.
pub fn visible(m: &ChatMessage) -> String {
    let text = plain(m.text_or_empty())
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let mut out = format!("[{:?}] {text}", m.kind);
    for row in &m.buttons {
        let labels: Vec<String> = row.iter().map(|b| format!("[{}]", b.text)).collect();
        out.push('\n');
        out.push_str(&labels.join(" "));
    }
    out
}

/// `text` without its HTML tags (entities are kept): how a message of ours reads once Telegram
/// has rendered it, and how a toast or an alert reads.
pub fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// Drives one user through the fake Telegram and records what happens.
pub struct Script<'a> {
    /// The user.
    pub user: FakeUser,
    tg: &'a FakeTelegram,
    /// The record.
    pub transcript: Transcript,
    timeout: Duration,
}

/// A snapshot of a chat: message ids and edit counts, to tell new answers from old ones.
fn marks(chat: &[ChatMessage]) -> Vec<(i32, u32)> {
    chat.iter().map(|m| (m.id, m.edits)).collect()
}

impl<'a> Script<'a> {
    /// A script for a new user of `stack`.
    pub fn new(tg: &'a FakeTelegram, spec: UserSpec, lang: &str) -> Script<'a> {
        Script {
            user: tg.user(spec),
            tg,
            transcript: Transcript {
                lang: lang.to_string(),
                steps: Vec::new(),
            },
            timeout: Duration::from_secs(20),
        }
    }

    /// Does `action`, then waits for a new or edited bot message satisfying `check`.
    pub async fn step<F, Fut>(
        &mut self,
        user: &str,
        check: &str,
        action: F,
        expect: impl Fn(&ChatMessage) -> bool,
    ) -> anyhow::Result<ChatMessage>
    where
        F: FnOnce(FakeUser) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<()>>,
    {
        let chat = self.user.chat_id();
        let before = marks(&self.tg.chat(chat));
        let result = action(self.user.clone()).await;
        let found = match result {
            Ok(()) => self
                .tg
                .wait_for(self.timeout, |tg| {
                    tg.chat(chat)
                        .into_iter()
                        .rev()
                        .filter(|m| m.from_bot)
                        .filter(|m| !before.contains(&(m.id, m.edits)))
                        .find(|m| expect(m))
                })
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
            Err(e) => Err(e),
        };
        let n = self.transcript.steps.len() + 1;
        match found {
            Ok(m) => {
                self.transcript.steps.push(Step {
                    n,
                    user: user.into(),
                    bot: visible(&m),
                    check: check.into(),
                    pass: true,
                });
                Ok(m)
            }
            Err(e) => {
                let last = self
                    .tg
                    .last_bot_message(chat)
                    .map(|m| visible(&m))
                    .unwrap_or_default();
                self.transcript.steps.push(Step {
                    n,
                    user: user.into(),
                    bot: last,
                    check: check.into(),
                    pass: false,
                });
                Err(e.context(format!("step {n}: {user} — expected: {check}")))
            }
        }
    }

    /// Records a check that involves no message (balances, counts).
    pub fn record(&mut self, user: &str, bot: String, check: &str, pass: bool) {
        let n = self.transcript.steps.len() + 1;
        self.transcript.steps.push(Step {
            n,
            user: user.into(),
            bot,
            check: check.into(),
            pass,
        });
    }
}

/// Words of the main journey in one language.
struct Words {
    category: &'static str,
    model: &'static str,
    generate: &'static str,
    mode_button: &'static str,
    expand_button: &'static str,
    seed_button: &'static str,
    off: &'static str,
    run: &'static str,
    continue_: &'static str,
}

fn words(lang: &str) -> Words {
    if lang == "en" {
        Words {
            category: "Image editing",
            model: "Ideogram 3.0 Edit",
            generate: "Generate",
            mode_button: "Rendering",
            expand_button: "Expand",
            seed_button: "Seed",
            off: "Off",
            run: "Run ·",
            continue_: "Continue",
        }
    } else {
        Words {
            category: "Редактирование фото",
            model: "Ideogram 3.0 · правка фото",
            generate: "Сгенерировать",
            mode_button: "Режим",
            expand_button: "Улучшить описание",
            seed_button: "Seed",
            off: "Выкл",
            run: "Запустить ·",
            continue_: "Далее",
        }
    }
}

/// The main journey: /start → category → model → wizard (two uploads, prompt, enum, toggle,
/// number) → confirm → not enough money → Stars top-up → back to confirm → run → progress →
/// the result as a photo; the price shown equals the amount charged.
pub async fn main_journey(stack: &Stack, user_id: i64, lang: &str) -> Transcript {
    let spec = UserSpec::new(user_id, "Anna <b>&</b>").language(lang);
    let mut s = Script::new(&stack.tg, spec, lang);
    if let Err(e) = run_main_journey(stack, &mut s, lang).await {
        tracing::warn!(error = %e, "the journey stopped");
    }
    s.transcript
}

async fn run_main_journey(stack: &Stack, s: &mut Script<'_>, lang: &str) -> anyhow::Result<()> {
    let w = words(lang);
    let png = kie_sim::MediaKind::Png.bytes().to_vec();
    let chat = s.user.chat_id();
    s.step(
        "/start",
        "a welcome with the name escaped, and the main menu",
        |u| async move {
            u.send_text("/start").await;
            Ok(())
        },
        |m| m.text_or_empty().contains("&lt;b&gt;") && m.button(w.category).is_some(),
    )
    .await?;
    s.step(
        &format!("taps «{}»", w.category),
        "a page of models, cheapest first, with prices",
        |u| async move { u.press(w.category).await.map(|_| ()) },
        |m| {
            m.all_buttons()
                .any(|b| b.text.contains('₽') || b.text.contains("🆓"))
        },
    )
    .await?;
    // Page forward until the model is on screen.
    for _ in 0..10 {
        let last = stack.tg.last_bot_message(chat).context("a message")?;
        if last.button(w.model).is_some() {
            break;
        }
        s.step(
            "taps ▶️",
            "the next page",
            |u| async move { u.press("▶️").await.map(|_| ()) },
            |_| true,
        )
        .await?;
    }
    s.step(
        &format!("taps «{}»", w.model),
        "the model card with the price range and what drives it",
        |u| async move { u.press(w.model).await.map(|_| ()) },
        |m| m.button(w.generate).is_some() && m.text_or_empty().contains('₽'),
    )
    .await?;
    s.step(
        "taps Generate",
        "step 1: the image upload",
        |u| async move { u.press(w.generate).await.map(|_| ()) },
        |m| m.text_or_empty().contains("1"),
    )
    .await?;
    let png2 = png.clone();
    s.step(
        "sends a photo",
        "step 2: the mask upload",
        |u| async move {
            u.send_photo(png2, 512, 512).await;
            Ok(())
        },
        |m| m.text_or_empty().contains("2"),
    )
    .await?;
    s.step(
        "sends the mask as a photo",
        "step 3: the prompt",
        |u| async move {
            u.send_photo(png, 512, 512).await;
            Ok(())
        },
        |m| m.text_or_empty().contains("3"),
    )
    .await?;
    s.step(
        "types the prompt «a red <fox> & a hat»",
        "the settings screen with every parameter and the live price",
        |u| async move {
            u.send_text("a red <fox> & a hat").await;
            Ok(())
        },
        |m| m.button(w.continue_).is_some() && m.text_or_empty().contains("&lt;fox&gt;"),
    )
    .await?;
    s.step(
        "taps the rendering mode",
        "the mode choice with the default marked",
        |u| async move { u.press(w.mode_button).await.map(|_| ()) },
        |m| m.button("QUALITY").is_some(),
    )
    .await?;
    s.step(
        "taps QUALITY",
        "back to settings with the new price",
        |u| async move { u.press("QUALITY").await.map(|_| ()) },
        |m| m.button(w.continue_).is_some() && m.text_or_empty().contains("QUALITY"),
    )
    .await?;
    s.step(
        "taps «expand prompt»",
        "the toggle",
        |u| async move { u.press(w.expand_button).await.map(|_| ()) },
        |m| m.button(w.off).is_some(),
    )
    .await?;
    s.step(
        "taps Off",
        "back to settings",
        |u| async move { u.press(w.off).await.map(|_| ()) },
        |m| m.button(w.continue_).is_some(),
    )
    .await?;
    s.step(
        "taps Seed",
        "number buttons and typed entry",
        |u| async move { u.press(w.seed_button).await.map(|_| ()) },
        |m| m.text_or_empty().contains("2147483647"),
    )
    .await?;
    s.step(
        "types 99999999999 (out of range)",
        "a clear refusal and the same step",
        |u| async move {
            u.send_text("99999999999").await;
            Ok(())
        },
        |m| m.text_or_empty().contains("⚠️") && m.text_or_empty().contains("2147483647"),
    )
    .await?;
    s.step(
        "types 42",
        "back to settings with seed 42",
        |u| async move {
            u.send_text("42").await;
            Ok(())
        },
        |m| m.button(w.continue_).is_some() && m.text_or_empty().contains("42"),
    )
    .await?;
    let confirm = s
        .step(
            "taps Continue",
            "the confirm screen: price, breakdown, balance short",
            |u| async move { u.press(w.continue_).await.map(|_| ()) },
            |m| m.button(w.run).is_some(),
        )
        .await?;
    let run_label = confirm
        .all_buttons()
        .find(|b| b.text.contains(w.run))
        .map(|b| b.text.clone())
        .unwrap_or_default();
    let shown_price = run_label
        .rsplit('·')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    s.step(
        "taps Run with an empty balance",
        "how much is missing and a Stars top-up button",
        |u| async move { u.press(w.run).await.map(|_| ()) },
        |m| {
            m.all_buttons()
                .any(|b| b.text.starts_with("⭐") && b.text.contains('→'))
        },
    )
    .await?;
    s.step(
        "taps the suggested ⭐ top-up",
        "an invoice in XTR",
        |u| async move { u.press("⭐").await.map(|_| ()) },
        |m| m.invoice.as_ref().is_some_and(|i| i.currency == "XTR"),
    )
    .await?;
    s.step(
        "pays the invoice",
        "a receipt and the same confirm screen again",
        |u| async move {
            let paid = u.pay_invoice().await?;
            anyhow::ensure!(
                paid.pre_checkout_ok,
                "pre-checkout refused: {:?}",
                paid.error_message
            );
            Ok(())
        },
        |m| m.text_or_empty().contains("⭐") && m.button(w.run).is_some(),
    )
    .await?;
    let before =
        ledger::balance(&mut *stack.app.ui.db().await?, ledger::UserId(s.user.id())).await?;
    s.step(
        "taps Run",
        "the progress message: queued or generating",
        |u| async move { u.press(w.run).await.map(|_| ()) },
        |m| m.text_or_empty().contains('⏳') || m.text_or_empty().contains('🎨'),
    )
    .await?;
    s.step(
        "waits",
        "the result as a photo with Run again / New prompt / Menu",
        |_| async { Ok(()) },
        |m| matches!(m.kind, tg_fake::MessageKind::Photo) && m.all_buttons().count() >= 3,
    )
    .await?;
    // The charge equals the price the confirm screen showed.
    let after =
        ledger::balance(&mut *stack.app.ui.db().await?, ledger::UserId(s.user.id())).await?;
    let charged = before.available.amount() - after.available.amount();
    let charged_text = bot_ui::i18n::fmt_money(
        if lang == "en" {
            bot_ui::Lang::En
        } else {
            bot_ui::Lang::Ru
        },
        pricing::Money::ceil(charged),
    );
    s.record(
        "checks the balance",
        format!(
            "shown {shown_price}, charged {charged_text}, held {}",
            after.held.amount()
        ),
        "the amount charged equals the price shown on the confirm screen; nothing left held",
        charged_text == shown_price && after.held.is_zero(),
    );
    Ok(())
}

/// The `demo` binary: the main journey on a scratch database of this run's own, printed.
///
/// The scratch database is created next to `DATABASE_URL`'s (its name with `_run_<pid>`) and
/// dropped at the end: the fake Telegram numbers its updates and Stars charges from 1 on every
/// run, so a database an earlier run wrote to would take them for repeats (updates dropped,
/// the payment refused as another user's).
pub async fn run_demo(database_url: Option<String>, lang: &str) -> anyhow::Result<()> {
    let base =
        database_url.unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/kiebot_demo".into());
    let url = run_database_url(&base, std::process::id())?;
    drop_database(&url).await?; // a killed run's, under a reused process id
    ensure_database(&url).await?;
    let stack = Stack::start(StackOptions::fast(&url)).await?;
    let user = 700_000_000 + i64::from(fastrand::u32(..1_000_000));
    let transcript = main_journey(&stack, user, lang).await;
    println!("{}", transcript.markdown());
    stack.stop().await;
    drop_database(&url).await?;
    anyhow::ensure!(transcript.passed(), "the demo journey failed");
    println!("The demo passed: {} steps.", transcript.steps.len());
    Ok(())
}

/// `url` with `_run_<run>` appended to its database name (query parameters kept).
fn run_database_url(url: &str, run: u32) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    anyhow::ensure!(
        base.rsplit_once('/')
            .is_some_and(|(_, name)| !name.is_empty()),
        "DATABASE_URL must end with /database"
    );
    Ok(match query {
        Some(q) => format!("{base}_run_{run}?{q}"),
        None => format!("{base}_run_{run}"),
    })
}

/// Drops the database of `url` if it exists (the demo's own scratch database).
async fn drop_database(url: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let (server, name) = url
        .rsplit_once('/')
        .context("DATABASE_URL must end with /database")?;
    let name = name.split('?').next().unwrap_or(name);
    anyhow::ensure!(
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "database name {name:?}: letters, digits and _ only"
    );
    let mut conn = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to {server}"))?;
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    Ok(())
}

/// Creates the database of `url` if it does not exist (the demo's scratch database).
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let (server, name) = url
        .rsplit_once('/')
        .context("DATABASE_URL must end with /database")?;
    let name = name.split('?').next().unwrap_or(name);
    anyhow::ensure!(
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "database name {name:?}: letters, digits and _ only"
    );
    let mut conn = AsyncPgConnection::establish(&format!("{server}/postgres"))
        .await
        .with_context(|| format!("DATABASE_URL: cannot connect to {server}"))?;
    let exists: i64 = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{name}'"
    ))
    .get_result::<Count>(&mut conn)
    .await?
    .n;
    if exists == 0 {
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
