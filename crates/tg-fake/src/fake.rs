//! [`FakeTelegram`], the handle a test holds: starting the server, injecting faults, pushing
//! updates, inspecting chats and calls, and waiting for the bot without sleeping.
//!
//! It must never expose the state lock (every accessor copies out), and never wait by sleeping
//! a fixed time: waits re-check on every change of the state.

use std::{
    fmt,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    server,
    state::{BotIdentity, Shared},
    types::{
        BotCommand, Call, CallEvent, CallbackAnswer, ChargeSummary, ChatMessage, FakeError,
        PreCheckoutAnswer, UserSpec,
    },
    user::FakeUser,
    webhook::{self, RetryPolicy},
};

/// How to start a [`FakeTelegram`].
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The bot token the fake accepts (others get 401). Its digits before `:` are the bot's id.
    pub token: String,
    /// The bot's first name (`getMe`).
    pub bot_first_name: String,
    /// The bot's username without `@` (`getMe`).
    pub bot_username: String,
    /// Where to listen; the default `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// Webhook push mode: the pause before retrying an update whose request failed or was
    /// answered non-2xx (default 50 ms), doubling after each failure …
    pub webhook_retry_first: Duration,
    /// … up to this (default 1 s). Telegram retries for much longer; the fake keeps tests fast.
    pub webhook_retry_max: Duration,
    /// How long one webhook request may take before it counts as failed (default 10 s).
    pub webhook_request_timeout: Duration,
}

impl FakeConfig {
    /// The defaults for a token: bot "Fake Bot" `@fake_bot` on a free local port.
    pub fn new(token: &str) -> Self {
        Self {
            token: token.to_owned(),
            bot_first_name: "Fake Bot".to_owned(),
            bot_username: "fake_bot".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            webhook_retry_first: Duration::from_millis(50),
            webhook_retry_max: Duration::from_secs(1),
            webhook_request_timeout: Duration::from_secs(10),
        }
    }
}

/// A fake Telegram Bot API server over real HTTP, and the handle to inspect and drive it.
///
/// Clones are cheap and share everything; the server stops when the last clone (including
/// those inside [`FakeUser`]s) is dropped, or on [`FakeTelegram::shutdown`].
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Arc<Shared>,
    server: Arc<ServerTask>,
}

struct ServerTask {
    addr: SocketAddr,
    task: JoinHandle<()>,
    /// Webhook deliveries (idle while no webhook is set).
    push: JoinHandle<()>,
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.task.abort();
        self.push.abort();
    }
}

impl fmt::Debug for FakeTelegram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeTelegram")
            .field("addr", &self.server.addr)
            .finish_non_exhaustive()
    }
}

impl FakeTelegram {
    /// Starts a fake for `token` on `127.0.0.1` and a free port.
    ///
    /// # Panics
    /// If no local port can be bound.
    pub async fn start(token: &str) -> Self {
        Self::start_with(FakeConfig::new(token))
            .await
            .expect("binding the fake Telegram server")
    }

    /// Starts a fake with a configuration.
    pub async fn start_with(config: FakeConfig) -> anyhow::Result<Self> {
        let id = config
            .token
            .split(':')
            .next()
            .and_then(|digits| digits.parse::<i64>().ok())
            .unwrap_or(1_000_000);
        let bot = BotIdentity {
            id,
            first_name: config.bot_first_name,
            username: config.bot_username,
        };
        let policy = RetryPolicy {
            first_pause: config.webhook_retry_first,
            max_pause: config.webhook_retry_max.max(config.webhook_retry_first),
            request_timeout: config.webhook_request_timeout,
        };
        let shared = Arc::new(Shared::new(config.token, bot));
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding {}", config.listen))?;
        let addr = listener.local_addr()?;
        let app = server::router(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the fake Telegram server stopped");
            }
        });
        let push = tokio::spawn(webhook::run(Arc::clone(&shared), policy));
        tracing::debug!(%addr, "fake Telegram listening");
        Ok(Self {
            shared,
            server: Arc::new(ServerTask { addr, task, push }),
        })
    }

    /// Stops serving and delivering to a webhook (clones keep the recorded state readable).
    pub fn shutdown(&self) {
        self.server.task.abort();
        self.server.push.abort();
    }

    /// The URL to give teloxide: `Bot::new(token).set_api_url(fake.api_url())`.
    pub fn api_url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}/", self.server.addr))
            .expect("a socket address makes a URL")
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    /// The accepted bot token.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's user id (from the token).
    pub fn bot_id(&self) -> i64 {
        self.shared.read(|st| st.bot.id)
    }

    /// The bot's username without `@`.
    pub fn bot_username(&self) -> String {
        self.shared.read(|st| st.bot.username.clone())
    }

    // ---- playing users ------------------------------------------------------------------

    /// A user who talks to the bot in a private chat whose id is the user's id.
    pub fn user(&self, spec: UserSpec) -> FakeUser {
        self.shared
            .update(|st| st.users.insert(spec.id, spec.clone()));
        FakeUser::new(self.clone(), spec)
    }

    /// Queues any update. Without `update_id` it gets the next one; with one, that id is kept
    /// (and later updates continue above it). A `message.successful_payment` in it registers
    /// the charge for `refundStarPayment`. Returns the update id.
    pub fn push_raw_update(&self, update: Value) -> i64 {
        self.shared.update(|st| st.push_raw(update))
    }

    /// Queues an exact copy of an earlier update with the same `update_id` (a duplicate
    /// delivery). It is delivered even though the bot's offset is past it, alone in its batch.
    pub fn replay_update(&self, update_id: i64) -> anyhow::Result<()> {
        self.shared
            .update(|st| st.replay_update(update_id))
            .with_context(|| format!("no update {update_id} was ever pushed"))
    }

    /// How many `getUpdates` calls have started (to know a long poll is waiting).
    pub fn polls_started(&self) -> u64 {
        self.shared.read(|st| st.poll_generation)
    }

    /// How many `getUpdates` calls are in flight now: started and not yet answered.
    pub fn polls_in_flight(&self) -> usize {
        self.shared.read(|st| st.polls_in_flight)
    }

    /// How many `getUpdates` calls arrived while another was still in flight (the older one
    /// is ended with 409). A correct deployment (one poller) keeps this at 0.
    pub fn poll_overlaps(&self) -> u64 {
        self.shared.read(|st| st.poll_overlaps)
    }

    /// An update as first pushed, by id.
    pub fn update(&self, update_id: i64) -> Option<Value> {
        self.shared.read(|st| st.update_body(update_id).cloned())
    }

    /// The updates queued and not yet confirmed by the bot's offset.
    pub fn pending_updates(&self) -> Vec<Value> {
        self.shared
            .read(|st| st.queue.iter().map(|u| u.body.clone()).collect())
    }

    // ---- faults -------------------------------------------------------------------------

    /// Makes the next `times` calls of `method` (any casing) answer `error` instead of
    /// running. Successive calls queue after each other.
    pub fn fail_next(&self, method: &str, times: usize, error: FakeError) {
        let method = method.to_ascii_lowercase();
        self.shared.update(|st| {
            let queue = st.faults.entry(method).or_default();
            queue.extend(std::iter::repeat_n(error, times));
        });
    }

    /// Makes every call naming this chat (`chat_id`) answer 403 "bot was blocked by the user".
    pub fn block_user(&self, chat_id: i64) {
        self.shared.update(|st| st.blocked.insert(chat_id));
    }

    /// Undoes [`FakeTelegram::block_user`].
    pub fn unblock_user(&self, chat_id: i64) {
        self.shared.update(|st| st.blocked.remove(&chat_id));
    }

    // ---- calls --------------------------------------------------------------------------

    /// Every call answered so far, in answer order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.read(|st| st.calls.clone())
    }

    /// The calls of one method (any casing: `"sendMessage"` and `"sendmessage"` are the same).
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        let method = method.to_ascii_lowercase();
        self.shared.read(|st| {
            st.calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect()
        })
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.shared.update(|st| st.calls.clear());
    }

    /// Turns the recording of calls on (the default) or off. Off, nothing is added to
    /// [`FakeTelegram::calls`] (so `calls`, `calls_of`, `wait_calls` and
    /// `max_sends_per_window` see nothing new), nor to [`FakeTelegram::webhook_deliveries`]
    /// (confirmations still count), and no parameters are copied: for benchmarks,
    /// whose millions of calls would otherwise grow without bound. Chats, answers and
    /// [`FakeTelegram::subscribe_calls`] work as before.
    pub fn set_record_calls(&self, on: bool) {
        self.shared.update(|st| st.record_calls = on);
    }

    /// A stream of [`CallEvent`]s: one per call answered from now on (every method,
    /// `getUpdates` included), in answer order, whether or not calls are recorded. Costs
    /// nothing while nobody subscribes; a dropped receiver unsubscribes.
    pub fn subscribe_calls(&self) -> tokio::sync::mpsc::UnboundedReceiver<CallEvent> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        self.shared.update(|st| st.call_watchers.push(tx));
        rx
    }

    /// The most successful sends and edits (`send*` but `sendChatAction`, `edit*`) to one chat
    /// within any span of `window`: what Telegram's per-chat flood limits count.
    pub fn max_sends_per_window(&self, chat_id: i64, window: Duration) -> usize {
        let mut times: Vec<Instant> = self.shared.read(|st| {
            st.calls
                .iter()
                .filter(|c| c.ok() && c.chat_id() == Some(chat_id))
                .filter(|c| {
                    (c.method.starts_with("send") && c.method != "sendchataction")
                        || c.method.starts_with("edit")
                })
                .map(|c| c.at)
                .collect()
        });
        times.sort();
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    // ---- chats --------------------------------------------------------------------------

    /// The visible messages of a chat (the bot's and the user's), oldest first, after edits
    /// and deletions.
    pub fn chat(&self, chat_id: i64) -> Vec<ChatMessage> {
        self.shared.read(|st| st.chat_messages(chat_id))
    }

    /// One visible message.
    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<ChatMessage> {
        self.shared
            .read(|st| st.message(chat_id, message_id).map(|m| st.view(m)))
    }

    /// The newest visible message the bot sent to a chat.
    pub fn last_bot_message(&self, chat_id: i64) -> Option<ChatMessage> {
        self.chat(chat_id).into_iter().rev().find(|m| m.from_bot)
    }

    /// The bot's visible messages in a chat, oldest first.
    pub fn bot_messages(&self, chat_id: i64) -> Vec<ChatMessage> {
        self.chat(chat_id)
            .into_iter()
            .filter(|m| m.from_bot)
            .collect()
    }

    /// The bytes of a stored file by `file_id`.
    pub fn file_bytes(&self, file_id: &str) -> Option<Bytes> {
        self.shared
            .read(|st| st.files.get(file_id).map(|f| f.bytes.clone()))
    }

    /// A readable listing of a chat (one line per message with kind, text and buttons), as
    /// failed waits print it.
    pub fn dump_chat(&self, chat_id: i64) -> String {
        let mut out = format!("chat {chat_id}:\n");
        let messages = self.chat(chat_id);
        if messages.is_empty() {
            out.push_str("  (no messages)\n");
        }
        for m in messages {
            let who = if m.from_bot { "bot " } else { "user" };
            out.push_str(&format!(
                "  #{} {who} {:?} {:?}",
                m.id,
                m.kind,
                m.text_or_empty()
            ));
            if let Some(invoice) = &m.invoice {
                out.push_str(&format!(
                    " {:?} {} {}",
                    invoice.title, invoice.total_amount, invoice.currency
                ));
            }
            if let Some(file) = &m.file {
                out.push_str(&format!(
                    " file {:?} {} bytes",
                    file.name.as_deref().unwrap_or(""),
                    file.len
                ));
            }
            if m.edits > 0 {
                out.push_str(&format!(" (edited {}x)", m.edits));
            }
            out.push('\n');
            for row in &m.buttons {
                let labels: Vec<String> = row
                    .iter()
                    .map(|b| match (&b.callback_data, &b.url) {
                        (Some(data), _) => format!("[{}|{data}]", b.text),
                        (None, Some(url)) => format!("[{}|{url}]", b.text),
                        _ => format!("[{}]", b.text),
                    })
                    .collect();
                out.push_str(&format!("      {}\n", labels.join(" ")));
            }
        }
        out
    }

    /// Every chat and the last calls, for a failure message.
    pub fn dump(&self) -> String {
        let mut chats: Vec<i64> = self.shared.read(|st| st.chats.keys().copied().collect());
        chats.sort_unstable();
        let mut out: String = chats.into_iter().map(|c| self.dump_chat(c)).collect();
        let pending = self.shared.read(|st| st.queue.len());
        out.push_str(&format!(
            "updates not yet confirmed by the bot: {pending}\n"
        ));
        if let Some(line) = self.shared.read(webhook::dump_line) {
            out.push_str(&line);
        }
        let calls = self.calls();
        out.push_str(&format!("last calls (of {}):\n", calls.len()));
        for call in calls.iter().rev().take(15).rev() {
            let status = call.error.as_deref().unwrap_or("ok");
            out.push_str(&format!("  {} {} -> {status}\n", call.method, call.params));
        }
        out
    }

    // ---- answers, payments, settings ----------------------------------------------------

    /// How the bot answered a callback query, once it has.
    pub fn callback_answer(&self, callback_id: &str) -> Option<CallbackAnswer> {
        self.shared
            .read(|st| st.callbacks.get(callback_id).and_then(|r| r.answer.clone()))
    }

    /// How the bot answered a pre-checkout query, once it has.
    pub fn pre_checkout_answer(&self, query_id: &str) -> Option<PreCheckoutAnswer> {
        self.shared.read(|st| {
            st.pre_checkouts
                .get(query_id)
                .and_then(|r| r.answer.clone())
        })
    }

    /// Every completed payment, oldest first, with its refund state.
    pub fn charges(&self) -> Vec<ChargeSummary> {
        self.shared.read(|st| st.charges.clone())
    }

    /// One completed payment by `telegram_payment_charge_id`.
    pub fn charge(&self, charge_id: &str) -> Option<ChargeSummary> {
        self.charges()
            .into_iter()
            .find(|c| c.charge_id == charge_id)
    }

    /// The commands set for the default scope and a language (`None`: no language code).
    pub fn my_commands(&self, language_code: Option<&str>) -> Vec<BotCommand> {
        let key = (
            "default".to_owned(),
            language_code.unwrap_or_default().to_owned(),
        );
        self.shared
            .read(|st| st.commands.get(&key).cloned().unwrap_or_default())
    }

    /// The menu button set for a chat (`None`: the default for all chats).
    pub fn menu_button(&self, chat_id: Option<i64>) -> Option<Value> {
        self.shared
            .read(|st| st.menu_buttons.get(&chat_id).cloned())
    }

    /// The parameters of the last `setWebhook` still in force.
    pub fn webhook(&self) -> Option<Value> {
        self.shared
            .read(|st| st.webhook.as_ref().map(|w| w.params.clone()))
    }

    // ---- waiting ------------------------------------------------------------------------

    /// Re-checks `check` on every change of the fake's state until it returns `Some`, or fails
    /// after `timeout` with a dump of every chat and the last calls.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&FakeTelegram) -> Option<T>,
    ) -> anyhow::Result<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.shared.changes.subscribe();
        loop {
            changes.borrow_and_update();
            if let Some(found) = check(self) {
                return Ok(found);
            }
            tokio::select! {
                changed = changes.changed() => changed.context("the fake's state is gone")?,
                () = tokio::time::sleep_until(deadline) => {
                    if let Some(found) = check(self) {
                        return Ok(found);
                    }
                    bail!("timed out after {timeout:?} waiting for the fake Telegram\n{}", self.dump());
                }
            }
        }
    }

    /// Waits until a visible bot message in the chat satisfies `matches`, and returns the
    /// newest that does.
    pub async fn wait_bot_message(
        &self,
        chat_id: i64,
        timeout: Duration,
        matches: impl Fn(&ChatMessage) -> bool,
    ) -> anyhow::Result<ChatMessage> {
        self.wait_for(timeout, |fake| {
            fake.chat(chat_id)
                .into_iter()
                .rev()
                .find(|m| m.from_bot && matches(m))
        })
        .await
        .with_context(|| format!("no matching bot message in chat {chat_id}"))
    }

    /// Waits until at least `count` calls of `method` were answered, and returns them all.
    pub async fn wait_calls(
        &self,
        method: &str,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<Call>> {
        self.wait_for(timeout, |fake| {
            let calls = fake.calls_of(method);
            (calls.len() >= count).then_some(calls)
        })
        .await
        .with_context(|| format!("fewer than {count} calls of {method}"))
    }

    /// Waits until the bot answers a callback query.
    pub async fn wait_callback_answer(
        &self,
        callback_id: &str,
        timeout: Duration,
    ) -> anyhow::Result<CallbackAnswer> {
        self.wait_for(timeout, |fake| fake.callback_answer(callback_id))
            .await
            .with_context(|| format!("callback query {callback_id} was not answered"))
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}
