//! The rig for the journey and abuse tests (`tests/journeys/`): the real product
//! ([`stack::Stack`]) against the Kie simulator and the fake Telegram, on a database of the
//! test's own, and a [`Journey`] that plays one user through it step by step.
//!
//! Tests assert behaviour — what the user sees, what the ledger holds — never timings. Nothing
//! here sleeps to fix a race: waits wake on the fake's state changes ([`FakeTelegram::wait_for`]),
//! and [`Journey::barrier`] uses the dispatcher's per-chat order (updates of one chat are
//! handled one after another) to know that everything sent before it was handled.
//!
//! [`Rig::finish`] ends every test with the checks that hold for any conversation: the ledger's
//! invariants, every button's callback data within 64 bytes, no message refused by Telegram's
//! HTML parser, and no handler failure ("something went wrong" never sent).

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use bot_ui::{I18n, Lang};
use ledger::{Balance, Job, UserId};
pub use stack::plain;
use stack::{Script, Stack, StackOptions, visible};
use test_db::TestDatabase;
use tg_fake::{ChatMessage, FakeTelegram, FakeUser, UserSpec};

/// How long any single wait may take before the test fails with a dump.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Telegram's limit on callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// The translations, to compare texts in either language.
pub fn i18n() -> &'static I18n {
    static I18N: OnceLock<I18n> = OnceLock::new();
    I18N.get_or_init(bot::tree::i18n)
}

/// The interface language for a code (`"ru"` or `"en"`).
pub fn lang(code: &str) -> Lang {
    if code == "en" { Lang::En } else { Lang::Ru }
}

/// A message without arguments in `lang`.
pub fn t(lang: Lang, id: &str) -> String {
    i18n().t(lang, id)
}

/// What the user reads: the text or caption after Telegram parsed its HTML.
pub fn seen(m: &ChatMessage) -> String {
    m.raw
        .get("text")
        .or_else(|| m.raw.get("caption"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The first button whose callback data satisfies `pred`.
pub fn data_button(m: &ChatMessage, pred: impl Fn(&str) -> bool) -> Option<&str> {
    m.all_buttons()
        .filter_map(|b| b.callback_data.as_deref())
        .find(|d| pred(d))
}

/// True for wizard data `w:{rev}:{op}` whose op starts with `op`.
pub fn is_wizard_op(data: &str, op: &str) -> bool {
    let mut parts = data.splitn(3, ':');
    parts.next() == Some("w")
        && parts
            .next()
            .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|rest| rest.starts_with(op))
}

/// True for a wizard screen (it has wizard buttons).
pub fn is_wizard_screen(m: &ChatMessage) -> bool {
    data_button(m, |d| d.starts_with("w:")).is_some()
}

/// The product, its fakes, and the test's database.
pub struct Rig {
    /// The running bot with the simulator (`stack.sim`) and the fake Telegram (`stack.tg`).
    pub stack: Stack,
    db: TestDatabase,
}

impl Rig {
    /// A fresh database and the whole product on it.
    pub async fn start() -> Rig {
        Rig::start_with_limits(bot_ui::FloodLimits::lifted()).await
    }

    /// [`Rig::start`] under other flood limits (`FloodLimits::telegram()` for the tests that
    /// measure what the bot sends against the fake's timestamps).
    pub async fn start_with_limits(limits: bot_ui::FloodLimits) -> Rig {
        // `RUST_LOG=debug cargo test -p journeys -- --nocapture` shows the bot's logs.
        if std::env::var_os("RUST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
                .with_test_writer()
                .try_init();
        }
        let db = TestDatabase::new().await;
        let stack = Stack::start(StackOptions {
            limits,
            ..StackOptions::fast(db.url())
        })
        .await
        .expect("the stack starts");
        Rig { stack, db }
    }

    /// The fake Telegram.
    pub fn tg(&self) -> &FakeTelegram {
        &self.stack.tg
    }

    /// A pooled connection to the bot's database.
    pub async fn conn(&self) -> ledger::PooledConnection {
        self.stack.app.ui.db().await.expect("a database connection")
    }

    /// A user's balance.
    pub async fn balance(&self, user: i64) -> Balance {
        ledger::balance(&mut *self.conn().await, UserId(user))
            .await
            .expect("the balance")
    }

    /// A user's jobs, newest first.
    pub async fn jobs(&self, user: i64) -> Vec<Job> {
        ledger::jobs_page(&mut *self.conn().await, UserId(user), None, 100)
            .await
            .expect("the jobs")
    }

    /// A user's ledger entries, newest first.
    pub async fn entries(&self, user: i64) -> Vec<ledger::Entry> {
        ledger::entries_page(&mut *self.conn().await, UserId(user), None, 100)
            .await
            .expect("the entries")
    }

    /// The user's record.
    pub async fn user(&self, user: i64) -> ledger::User {
        ledger::user(&mut *self.conn().await, UserId(user))
            .await
            .expect("reading the user")
            .expect("the user exists")
    }

    /// Gives a user `rub` rubles (an admin bonus; the user must have written to the bot).
    pub async fn credit(&self, user: i64, rub: &str) {
        self.stack
            .credit(user, rub, &format!("test-credit-{user}-{rub}"))
            .await
            .expect("crediting the user");
    }

    /// The `n` that `sql` (a `SELECT count(*) AS n …`) returns on the bot's database.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let row: Count =
            diesel_async::RunQueryDsl::get_result(diesel::sql_query(sql), &mut *self.conn().await)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        row.n
    }

    /// Violations of the ledger's invariants (empty when all hold).
    pub async fn violations(&self) -> Vec<String> {
        ledger::check_invariants(&mut *self.conn().await)
            .await
            .expect("checking the invariants")
            .iter()
            .map(|v| format!("{v:?}"))
            .collect()
    }

    /// A journey of a new user `id` named `name` with Telegram language `code`.
    pub fn journey(&self, id: i64, name: &str, code: &str) -> Journey<'_> {
        let spec = UserSpec::new(id, name).language(code);
        let lang = lang(code);
        // A journey may continue a conversation: results already in the chat are not new.
        let again = t(lang, "result-again");
        let results_seen = self
            .tg()
            .bot_messages(id)
            .iter()
            .filter(|m| m.file.is_some() && m.button(&again).is_some())
            .count();
        Journey {
            script: Script::new(&self.stack.tg, spec, code),
            rig: self,
            lang,
            results_seen,
        }
    }

    /// Waits until `check` holds for the bot's database (re-checked on every change of the fake
    /// Telegram, and at least every 100 ms: the database sends no notifications).
    pub async fn wait_db<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}\n{}",
                self.tg().dump()
            );
            // Until the fake's next change, or 100 ms (the database sends no notifications):
            // a condition poll with a deadline, not a sleep that orders events.
            let mut first = true;
            let next_change = self.tg().wait_for(PATIENCE, move |_| {
                let changed = !first;
                first = false;
                changed.then_some(())
            });
            let _ = tokio::time::timeout(Duration::from_millis(100), next_change).await;
        }
    }

    /// The checks every conversation must pass: ledger invariants, callback data ≤ 64 bytes on
    /// every keyboard the bot sent, no call refused for its HTML or its buttons, and no handler
    /// failure. Then the bot stops the way it does in production (`App::stop`: polling, then
    /// the workers), so every test also proves an orderly shutdown.
    pub async fn finish(self) {
        let mut problems = self.violations().await;
        problems.extend(output_problems(self.tg()));
        let dump = if problems.is_empty() {
            String::new()
        } else {
            self.tg().dump()
        };
        self.stack.stop().await;
        drop(self.db);
        assert!(problems.is_empty(), "{problems:#?}\n{dump}");
    }
}

/// What is wrong with anything the bot sent: callback data over 64 bytes, text Telegram's HTML
/// parser refused, a keyboard Telegram refused, or "something went wrong" (a handler failed).
pub fn output_problems(tg: &FakeTelegram) -> Vec<String> {
    let mut problems = Vec::new();
    let failed = [t(Lang::Ru, "error-internal"), t(Lang::En, "error-internal")];
    for call in tg.calls() {
        if let Some(text) = call.str_param("text")
            && failed.iter().any(|f| text.contains(f.as_str()))
        {
            problems.push(format!(
                "a handler failed (the user was told so) in chat {:?}",
                call.chat_id()
            ));
        }
        if let Some(err) = &call.error
            && (err.contains("can't parse entities") || err.contains("BUTTON_DATA_INVALID"))
        {
            problems.push(format!("{} refused: {err}: {}", call.method, call.params));
        }
        let rows = call
            .params
            .get("reply_markup")
            .and_then(|m| m.get("inline_keyboard"))
            .and_then(|k| k.as_array())
            .cloned()
            .unwrap_or_default();
        for button in rows.iter().filter_map(|r| r.as_array()).flatten() {
            if let Some(data) = button.get("callback_data").and_then(|d| d.as_str())
                && data.len() > MAX_CALLBACK_BYTES
            {
                problems.push(format!(
                    "{}: callback data of {} bytes: {data}",
                    call.method,
                    data.len()
                ));
            }
        }
    }
    problems
}

/// The callback data of every inline button in every call the bot made.
pub fn callback_data_sent(tg: &FakeTelegram) -> Vec<String> {
    tg.calls()
        .iter()
        .filter_map(|c| {
            c.params
                .get("reply_markup")?
                .get("inline_keyboard")?
                .as_array()
                .cloned()
        })
        .flatten()
        .filter_map(|row| row.as_array().cloned())
        .flatten()
        .filter_map(|b| b.get("callback_data")?.as_str().map(str::to_string))
        .collect()
}

/// One user's conversation: [`Script`] steps that fail the test with the transcript.
pub struct Journey<'a> {
    /// The recorded conversation.
    pub script: Script<'a>,
    /// The rig it runs on.
    pub rig: &'a Rig,
    /// The user's interface language.
    pub lang: Lang,
    results_seen: usize,
}

/// The id of the pending admin action whose Confirm button (`a:y:<id>`) is on `preview`.
pub fn confirm_action(preview: &ChatMessage) -> i64 {
    preview
        .all_buttons()
        .find_map(|b| {
            b.callback_data
                .as_deref()?
                .strip_prefix("a:y:")?
                .parse()
                .ok()
        })
        .expect("a Confirm button")
}

impl<'a> Journey<'a> {
    /// Presses a button by its callback data on `message` and returns how the tap was
    /// answered (toast or alert), for buttons whose answer is the point.
    pub async fn tap(&self, message: i32, data: &str) -> tg_fake::CallbackAnswer {
        let pressed = self.user().press_data(message, data).await;
        self.tg()
            .wait_callback_answer(&pressed.callback_id, PATIENCE)
            .await
            .unwrap_or_else(|e| self.fail(&format!("the tap on {data} was not answered: {e}")))
    }

    /// The user.
    pub fn user(&self) -> FakeUser {
        self.script.user.clone()
    }

    /// The user's id (and chat id).
    pub fn id(&self) -> i64 {
        self.script.user.id()
    }

    /// The fake Telegram.
    pub fn tg(&self) -> &'a FakeTelegram {
        self.rig.tg()
    }

    /// The chat as the user sees it.
    pub fn chat(&self) -> Vec<ChatMessage> {
        self.tg().chat(self.id())
    }

    /// The newest bot message.
    pub fn last(&self) -> ChatMessage {
        self.tg()
            .last_bot_message(self.id())
            .unwrap_or_else(|| self.fail("the bot has sent nothing"))
    }

    /// Fails the test with the transcript and the chat.
    pub fn fail(&self, why: &str) -> ! {
        panic!(
            "{why}\n\n{}\n{}",
            self.script.transcript.markdown(),
            self.tg().dump_chat(self.id())
        )
    }

    /// Asserts `cond`, failing with the transcript.
    pub fn check(&self, cond: bool, why: &str) {
        if !cond {
            self.fail(why);
        }
    }

    /// Does `action` and waits for a new or edited bot message satisfying `expect`.
    pub async fn step<F, Fut>(
        &mut self,
        user: &str,
        check: &str,
        action: F,
        expect: impl Fn(&ChatMessage) -> bool,
    ) -> ChatMessage
    where
        F: FnOnce(FakeUser) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        match self.script.step(user, check, action, expect).await {
            Ok(m) => m,
            Err(e) => self.fail(&format!("{e:#}")),
        }
    }

    /// Sends a text and waits for an answer satisfying `expect`.
    pub async fn say(&mut self, text: &str, expect: impl Fn(&ChatMessage) -> bool) -> ChatMessage {
        let owned = text.to_string();
        self.step(
            &format!("sends «{}»", clip(text)),
            "an answer",
            |u| async move {
                u.send_text(&owned).await;
                Ok(())
            },
            expect,
        )
        .await
    }

    /// Presses the newest button labelled `label` and waits for `expect`.
    pub async fn press(
        &mut self,
        label: &str,
        expect: impl Fn(&ChatMessage) -> bool,
    ) -> ChatMessage {
        let owned = label.to_string();
        self.step(
            &format!("taps «{label}»"),
            "an answer",
            |u| async move { u.press(&owned).await.map(|_| ()) },
            expect,
        )
        .await
    }

    /// Presses a button by its callback data on `message` and waits for `expect`.
    pub async fn press_data(
        &mut self,
        message: i32,
        data: &str,
        expect: impl Fn(&ChatMessage) -> bool,
    ) -> ChatMessage {
        let owned = data.to_string();
        self.step(
            &format!("taps the button «{data}»"),
            "an answer",
            |u| async move {
                u.press_data(message, &owned).await;
                Ok(())
            },
            expect,
        )
        .await
    }

    /// /start: the welcome and the main menu.
    pub async fn start(&mut self) -> ChatMessage {
        let balance = t(self.lang, "menu-balance");
        self.say("/start", move |m| m.button(&balance).is_some())
            .await
    }

    /// Opens the wizard of `model` from the newest bot message (as the card's Generate does).
    pub async fn open_wizard(&mut self, model: &str) -> ChatMessage {
        let at = self.last().id;
        let title = self
            .rig
            .stack
            .app
            .ui
            .catalog
            .get(model)
            .unwrap_or_else(|| self.fail(&format!("no model {model}")))
            .title
            .get(bot_ui::i18n::code(self.lang))
            .to_string();
        let escaped = escape(&title);
        self.press_data(at, &format!("g:{model}"), move |m| {
            m.id == at && m.text_or_empty().contains(&escaped)
        })
        .await
    }

    /// From any wizard screen to the confirm screen: Continue on the settings screen, the
    /// first choice on a required choice; returns the confirm screen (it has Run).
    pub async fn to_confirm(&mut self) -> ChatMessage {
        for _ in 0..12 {
            let m = self.last();
            if data_button(&m, |d| is_wizard_op(d, "r")).is_some() {
                self.check(
                    !m.text_or_empty().contains("()"),
                    "the confirm screen has no empty brackets",
                );
                return m;
            }
            let next = ["k", "c:", "t:", "n:"]
                .iter()
                .find_map(|op| data_button(&m, |d| is_wizard_op(d, op)))
                .map(str::to_string)
                .unwrap_or_else(|| self.fail("a wizard screen without Continue or a choice"));
            let at = m.id;
            self.press_data(at, &next, move |m| m.id == at).await;
        }
        self.fail("the confirm screen never came")
    }

    /// /start, opens `model`, sends `prompt` at the prompt step and goes on to the confirm
    /// screen.
    pub async fn order(&mut self, model: &str, prompt: &str) -> ChatMessage {
        self.start().await;
        self.open_wizard(model).await;
        self.say(prompt, is_wizard_screen).await;
        self.to_confirm().await
    }

    /// Presses Run on the confirm screen and waits for the progress message.
    pub async fn run(&mut self) -> ChatMessage {
        let m = self.last();
        let run = data_button(&m, |d| is_wizard_op(d, "r"))
            .unwrap_or_else(|| self.fail("no Run button"))
            .to_string();
        // The confirm message becomes the progress message.
        let at = m.id;
        self.press_data(at, &run, move |m| {
            let text = m.text_or_empty();
            m.id == at && (text.contains('⏳') || text.contains('🎨'))
        })
        .await
    }

    /// Waits for the next result of a run (a media message with Run again), however soon it
    /// came: results are counted, not compared with a snapshot.
    pub async fn result(&mut self) -> ChatMessage {
        let again = t(self.lang, "result-again");
        let is_result = move |m: &ChatMessage| m.file.is_some() && m.button(&again).is_some();
        let want = self.results_seen + 1;
        let chat = self.id();
        let found = self
            .tg()
            .wait_for(PATIENCE, |tg| {
                let results: Vec<ChatMessage> = tg
                    .bot_messages(chat)
                    .into_iter()
                    .filter(|m| is_result(m))
                    .collect();
                (results.len() >= want).then(|| results[want - 1].clone())
            })
            .await;
        self.results_seen = want;
        self.recorded("waits", "the result with Run again", found)
    }

    /// Waits until some bot message (old or new) satisfies `pred`; for answers that may come
    /// before the test starts looking (failures, receipts), with a predicate specific enough
    /// to name them.
    pub async fn wait(&mut self, check: &str, pred: impl Fn(&ChatMessage) -> bool) -> ChatMessage {
        let found = self.tg().wait_bot_message(self.id(), PATIENCE, pred).await;
        self.recorded("waits", check, found)
    }

    fn recorded(
        &mut self,
        user: &str,
        check: &str,
        found: anyhow::Result<ChatMessage>,
    ) -> ChatMessage {
        match found {
            Ok(m) => {
                self.script.record(user, visible(&m), check, true);
                m
            }
            Err(e) => {
                self.script.record(user, String::new(), check, false);
                self.fail(&format!("{check}: {e:#}"))
            }
        }
    }

    /// Sends a text, waits for an answer satisfying `expect`, and returns the update that
    /// carried the text (to replay it) with the answer.
    pub async fn say_update(
        &mut self,
        text: &str,
        expect: impl Fn(&ChatMessage) -> bool,
    ) -> (tg_fake::UserMessage, ChatMessage) {
        let sent = std::sync::Arc::new(std::sync::Mutex::new(None));
        let cell = sent.clone();
        let owned = text.to_string();
        let answer = self
            .step(
                &format!("sends «{}»", clip(text)),
                "an answer",
                |u| async move {
                    let m = u.send_text(&owned).await;
                    *cell.lock().expect("the cell") = Some(m);
                    Ok(())
                },
                expect,
            )
            .await;
        let sent = sent.lock().expect("the cell").take().expect("sent");
        (sent, answer)
    }

    /// Waits until every update sent so far was handled: the dispatcher handles one chat's
    /// updates in order, so once this no-op tap is answered, everything before it was.
    pub async fn barrier(&self) {
        let pressed = self.script.user.press_data(1, "-").await;
        if let Err(e) = self
            .tg()
            .wait_callback_answer(&pressed.callback_id, PATIENCE)
            .await
        {
            self.fail(&format!("the barrier was not answered: {e:#}"));
        }
    }

    /// A snapshot of the chat: (message id, edits, text) of every message.
    pub fn snapshot(&self) -> Vec<(i32, u32, String)> {
        self.chat()
            .iter()
            .map(|m| (m.id, m.edits, visible(m)))
            .collect()
    }
}

/// `text` escaped for Telegram HTML, as the bot writes it.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn clip(text: &str) -> String {
    if text.chars().count() <= 60 {
        text.to_string()
    } else {
        let head: String = text.chars().take(57).collect();
        format!("{head}… ({} characters)", text.chars().count())
    }
}
