//! Webhook push mode against small axum receivers: JSON posts with the secret header, one
//! chat's updates in sequence with retries, chats in parallel up to `max_connections`,
//! round-robin test targets, `deleteWebhook`, `drop_pending_updates`, `allowed_updates`,
//! `setWebhook`'s refusals, and a real teloxide webhook listener answering a fake user.
//!
//! These tests must never sleep to fix a race and never reach the real Telegram: every wait is
//! on a state change of the fake or of the receiver.

mod common;

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{Request, State},
    http::StatusCode,
};
use common::{TOKEN, WAIT, setup};
use serde_json::{Value, json};
use teloxide::{
    ApiError, RequestError, prelude::*, types::AllowedUpdate, update_listeners::webhooks,
};
use tg_fake::{FakeConfig, FakeTelegram, UserSpec};
use tokio::{net::TcpListener, sync::watch};
use url::Url;

// ---- a receiver ------------------------------------------------------------------------------

/// One request as it reached the receiver.
#[derive(Clone, Debug)]
struct Arrival {
    update_id: i64,
    path: String,
    secret: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// How the receiver answers one request of an update.
enum Reply {
    Status(u16),
    /// 200 once the gate opens.
    Hold(watch::Receiver<bool>),
}

#[derive(Default)]
struct Log {
    arrivals: Vec<Arrival>,
    in_flight: usize,
    peak: usize,
}

/// A webhook receiver: records what arrives, answers 200 unless told otherwise per update.
struct Receiver {
    base: Url,
    log: Mutex<Log>,
    changes: watch::Sender<u64>,
    plan: Mutex<HashMap<i64, VecDeque<Reply>>>,
}

impl Receiver {
    async fn start() -> Arc<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let receiver = Arc::new(Self {
            base,
            log: Mutex::default(),
            changes: watch::Sender::new(0),
            plan: Mutex::default(),
        });
        let app = Router::new()
            .fallback(receive)
            .with_state(Arc::clone(&receiver));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// The answers to the next requests of an update, in order (then 200s).
    fn plan(&self, update_id: i64, replies: impl IntoIterator<Item = Reply>) {
        self.plan
            .lock()
            .unwrap()
            .entry(update_id)
            .or_default()
            .extend(replies);
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.log.lock().unwrap().arrivals.clone()
    }

    fn ids(&self) -> Vec<i64> {
        self.arrivals().iter().map(|a| a.update_id).collect()
    }

    fn peak(&self) -> usize {
        self.log.lock().unwrap().peak
    }

    fn note(&self, f: impl FnOnce(&mut Log)) {
        f(&mut self.log.lock().unwrap());
        self.changes.send_modify(|n| *n += 1);
    }

    async fn wait_until(&self, what: &str, check: impl Fn(&Log) -> bool) {
        let mut changes = self.changes.subscribe();
        let waited = tokio::time::timeout(WAIT, async {
            loop {
                changes.borrow_and_update();
                if check(&self.log.lock().unwrap()) {
                    return;
                }
                changes.changed().await.unwrap();
            }
        })
        .await;
        assert!(waited.is_ok(), "the receiver never saw {what}");
    }
}

async fn receive(State(receiver): State<Arc<Receiver>>, req: Request) -> StatusCode {
    let (secret, content_type, path) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        (
            header("x-telegram-bot-api-secret-token"),
            header("content-type"),
            req.uri().path().to_owned(),
        )
    };
    let bytes = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let update_id = body["update_id"].as_i64().unwrap();
    let reply = receiver
        .plan
        .lock()
        .unwrap()
        .get_mut(&update_id)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Reply::Status(200));
    receiver.note(|log| {
        log.arrivals.push(Arrival {
            update_id,
            path,
            secret,
            content_type,
            body,
        });
        log.in_flight += 1;
        log.peak = log.peak.max(log.in_flight);
    });
    let status = match reply {
        Reply::Status(status) => status,
        Reply::Hold(mut gate) => {
            let _ = gate.wait_for(|open| *open).await;
            200
        }
    };
    receiver.note(|log| log.in_flight -= 1);
    StatusCode::from_u16(status).unwrap()
}

/// A gate for [`Reply::Hold`]: the request is answered once `send(true)`.
fn gate() -> (watch::Sender<bool>, Reply) {
    let (open, gate) = watch::channel(false);
    (open, Reply::Hold(gate))
}

/// A fake that retries fast, and a bot on it.
async fn quick_retries() -> (FakeTelegram, Bot) {
    let config = FakeConfig {
        webhook_retry_first: std::time::Duration::from_millis(5),
        webhook_retry_max: std::time::Duration::from_millis(20),
        ..FakeConfig::new(TOKEN)
    };
    let fake = FakeTelegram::start_with(config).await.unwrap();
    let bot = Bot::new(TOKEN).set_api_url(fake.api_url());
    (fake, bot)
}

// ---- the tests -------------------------------------------------------------------------------

#[tokio::test]
async fn updates_arrive_as_json_posts_with_the_secret_header() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    bot.set_webhook(hook.url("/tg"))
        .secret_token("s3cret_-Token")
        .await
        .unwrap();
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let sent = alice.send_text("/start").await;
    fake.wait_webhook_confirmed(sent.update_id, WAIT)
        .await
        .unwrap();

    let arrivals = hook.arrivals();
    assert_eq!(arrivals.len(), 1);
    let arrival = &arrivals[0];
    assert_eq!(arrival.path, "/tg");
    assert_eq!(arrival.secret.as_deref(), Some("s3cret_-Token"));
    assert_eq!(arrival.content_type.as_deref(), Some("application/json"));
    assert_eq!(arrival.body, fake.update(sent.update_id).unwrap());
    let update: Update = serde_json::from_value(arrival.body.clone()).unwrap();
    assert_eq!(i64::from(update.id.0), sent.update_id);
    assert!(fake.pending_updates().is_empty());

    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert!(d.ok());
    assert_eq!(
        (d.update_id, d.chat_id, d.attempt),
        (sent.update_id, Some(42), 1)
    );
    assert_eq!(d.url, hook.url("/tg"));

    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, Some(hook.url("/tg")));
    assert_eq!(info.max_connections, Some(40));
    assert_eq!(info.pending_update_count, 0);
    assert!(info.last_error_message.is_none());
    // getUpdates is refused while a webhook is set.
    let polled = bot.get_updates().await;
    assert!(matches!(polled, Err(RequestError::Api(_))), "{polled:?}");
}

#[tokio::test]
async fn a_refused_update_is_retried_before_the_chats_next_one() {
    let (fake, bot) = quick_retries().await;
    let hook = Receiver::start().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let one = alice.send_text("one").await.update_id;
    let two = alice.send_text("two").await.update_id;
    hook.plan(one, [Reply::Status(500)]);
    bot.set_webhook(hook.url("/")).await.unwrap();
    fake.wait_webhook_confirmed(two, WAIT).await.unwrap();

    assert_eq!(hook.ids(), [one, one, two]);
    let deliveries = fake.webhook_deliveries();
    let seen: Vec<_> = deliveries
        .iter()
        .map(|d| (d.update_id, d.attempt, d.status))
        .collect();
    assert_eq!(
        seen,
        [
            (one, 1, Some(500)),
            (one, 2, Some(200)),
            (two, 1, Some(200))
        ]
    );
    assert!(deliveries[1].at >= deliveries[0].answered_at);
    assert!(deliveries[2].at >= deliveries[1].answered_at);
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(
        info.last_error_message.as_deref(),
        Some("Wrong response from the webhook: 500 Internal Server Error")
    );
    assert!(info.last_error_date.is_some());
}

#[tokio::test]
async fn a_connection_error_is_retried_at_the_next_target() {
    let (fake, bot) = quick_retries().await;
    let hook = Receiver::start().await;
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap()
    };
    bot.set_webhook(hook.url("/")).await.unwrap();
    fake.set_webhook_targets(vec![dead.clone(), hook.url("/")]);
    let sent = fake.user(UserSpec::new(7, "Bob")).send_text("hi").await;
    fake.wait_webhook_confirmed(sent.update_id, WAIT)
        .await
        .unwrap();

    let deliveries = fake.webhook_deliveries();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0].url, dead);
    assert_eq!(deliveries[0].status, None);
    assert!(deliveries[0].error.is_some());
    assert_eq!(deliveries[1].url, hook.url("/"));
    assert_eq!(
        (deliveries[1].attempt, deliveries[1].status),
        (2, Some(200))
    );
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(
        info.last_error_message.as_deref(),
        Some("Connection refused")
    );
}

#[tokio::test]
async fn chats_go_in_parallel_while_one_chats_updates_wait_their_turn() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let alice = fake.user(UserSpec::new(1, "Alice"));
    let bob = fake.user(UserSpec::new(2, "Bob"));
    let a1 = alice.send_text("a1").await.update_id;
    let b1 = bob.send_text("b1").await.update_id;
    let a2 = alice.send_text("a2").await.update_id;
    let (release, hold) = gate();
    hook.plan(a1, [hold]);
    bot.set_webhook(hook.url("/")).await.unwrap();

    // Bob is not held up by Alice's unanswered update …
    fake.wait_webhook_confirmed(b1, WAIT).await.unwrap();
    hook.wait_until("a1", |log| log.arrivals.iter().any(|a| a.update_id == a1))
        .await;
    assert!(!fake.webhook_confirmed(a1));
    // … but Alice's next update waits for it.
    assert!(!hook.ids().contains(&a2), "{:?}", hook.ids());
    assert!(
        fake.pending_updates()
            .iter()
            .any(|u| u["update_id"] == json!(a2))
    );

    release.send(true).unwrap();
    fake.wait_webhook_confirmed(a2, WAIT).await.unwrap();
    let ids = hook.ids();
    let at = |id| ids.iter().position(|x| *x == id).unwrap();
    assert!(at(a1) < at(a2), "{ids:?}");
    assert_eq!(ids.len(), 3);
}

#[tokio::test]
async fn max_connections_caps_the_requests_in_flight() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for chat in 1..=3 {
            let user = fake.user(UserSpec::new(chat, "User"));
            ids.push(user.send_text("hi").await.update_id);
        }
        ids
    };
    let (release, hold) = gate();
    hook.plan(ids[0], [hold]);
    bot.set_webhook(hook.url("/"))
        .max_connections(1)
        .await
        .unwrap();
    hook.wait_until("the first update", |log| !log.arrivals.is_empty())
        .await;
    assert_eq!(hook.ids(), [ids[0]]);
    assert_eq!(fake.webhook_in_flight(), 1);
    assert_eq!(
        bot.get_webhook_info().await.unwrap().max_connections,
        Some(1)
    );

    release.send(true).unwrap();
    for id in &ids {
        fake.wait_webhook_confirmed(*id, WAIT).await.unwrap();
    }
    assert_eq!(hook.ids(), ids);
    assert_eq!(hook.peak(), 1);
}

#[tokio::test]
async fn test_targets_take_turns_like_instances_behind_a_load_balancer() {
    let (fake, bot) = setup().await;
    let (one, two) = (Receiver::start().await, Receiver::start().await);
    let public: Url = "https://bot.example.com/telegram".parse().unwrap();
    bot.set_webhook(public.clone())
        .secret_token("lb_secret")
        .await
        .unwrap();
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let first = alice.send_text("1").await.update_id;
    // Nothing goes to a non-local address.
    assert!(fake.webhook_deliveries().is_empty());
    assert_eq!(fake.pending_updates().len(), 1);

    fake.set_webhook_targets(vec![one.url("/telegram"), two.url("/telegram")]);
    let mut rest = Vec::new();
    for text in ["2", "3", "4"] {
        rest.push(alice.send_text(text).await.update_id);
    }
    fake.wait_webhook_confirmed(rest[2], WAIT).await.unwrap();

    let urls: Vec<Url> = fake
        .webhook_deliveries()
        .into_iter()
        .map(|d| d.url)
        .collect();
    let (a, b) = (one.url("/telegram"), two.url("/telegram"));
    assert_eq!(urls, [a.clone(), b.clone(), a, b]);
    assert_eq!(one.ids(), [first, rest[1]]);
    assert_eq!(two.ids(), [rest[0], rest[2]]);
    for arrival in one.arrivals().iter().chain(&two.arrivals()) {
        assert_eq!(arrival.secret.as_deref(), Some("lb_secret"));
    }
    // The bot still sees the webhook it registered.
    assert_eq!(bot.get_webhook_info().await.unwrap().url, Some(public));
}

#[tokio::test]
async fn delete_webhook_stops_delivery_and_get_updates_takes_over() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let refused = alice.send_text("refused").await.update_id;
    hook.plan(
        refused,
        std::iter::repeat_with(|| Reply::Status(500)).take(10_000),
    );
    bot.set_webhook(hook.url("/")).await.unwrap();
    fake.wait_for(WAIT, |f| (f.webhook_deliveries().len() >= 2).then_some(()))
        .await
        .unwrap();

    bot.delete_webhook().await.unwrap();
    fake.wait_for(WAIT, |f| (f.webhook_in_flight() == 0).then_some(()))
        .await
        .unwrap();
    let attempts = fake.webhook_deliveries().len();
    let later = alice.send_text("later").await.update_id;
    let updates = bot.get_updates().await.unwrap();
    let ids: Vec<i64> = updates.iter().map(|u| i64::from(u.id.0)).collect();
    assert_eq!(ids, [refused, later]);
    assert_eq!(fake.webhook_deliveries().len(), attempts);
    assert!(!hook.ids().contains(&later));
    assert!(!fake.webhook_confirmed(refused));
    assert!(bot.get_webhook_info().await.unwrap().url.is_none());
}

#[tokio::test]
async fn setting_a_webhook_ends_a_waiting_poll_with_a_conflict() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    fake.wait_for(WAIT, |f| (f.polls_in_flight() == 1).then_some(()))
        .await
        .unwrap();
    bot.set_webhook(hook.url("/")).await.unwrap();
    let polled = poll.await.unwrap();
    assert!(matches!(polled, Err(RequestError::Api(_))), "{polled:?}");
    let sent = fake.user(UserSpec::new(1, "A")).send_text("x").await;
    fake.wait_webhook_confirmed(sent.update_id, WAIT)
        .await
        .unwrap();
}

#[tokio::test]
async fn drop_pending_updates_forgets_what_was_queued() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    alice.send_text("old 1").await;
    alice.send_text("old 2").await;
    bot.set_webhook(hook.url("/"))
        .drop_pending_updates(true)
        .await
        .unwrap();
    assert!(fake.pending_updates().is_empty());
    let new = alice.send_text("new").await.update_id;
    fake.wait_webhook_confirmed(new, WAIT).await.unwrap();
    assert_eq!(hook.ids(), [new]);
}

#[tokio::test]
async fn allowed_updates_hold_for_push_too() {
    let (fake, bot) = setup().await;
    let hook = Receiver::start().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    alice.press_data(1, "stale").await;
    bot.set_webhook(hook.url("/"))
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    let text = alice.send_text("hello").await.update_id;
    fake.wait_webhook_confirmed(text, WAIT).await.unwrap();
    assert_eq!(hook.ids(), [text]);
    assert!(fake.pending_updates().is_empty());
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.allowed_updates, Some(vec![AllowedUpdate::Message]));
}

#[tokio::test]
async fn set_webhook_refuses_what_telegram_refuses() {
    let (fake, bot) = setup().await;
    let client = reqwest::Client::new();
    let url = format!("{}bot{TOKEN}/setWebhook", fake.api_url());
    let local = "http://127.0.0.1:9/hook";
    let cases = [
        (
            json!({"url": local, "secret_token": "not allowed!"}),
            "secret token contains unallowed characters",
        ),
        (
            json!({"url": local, "secret_token": "a:b"}),
            "secret token contains unallowed characters",
        ),
        (
            json!({"url": local, "secret_token": "x".repeat(257)}),
            "secret token is too long",
        ),
        (
            json!({"url": "http://bot.example.com/hook"}),
            "bad webhook: HTTPS url must be provided for webhook",
        ),
        (
            json!({"url": "https://bot.example.com:8080/hook"}),
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
        ),
        (
            json!({"url": "bot.example.com/hook"}),
            "invalid webhook URL specified",
        ),
    ];
    for (params, description) in cases {
        let answer = client.post(&url).json(&params).send().await.unwrap();
        assert_eq!(answer.status(), 400, "{params}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            body,
            json!({"ok": false, "error_code": 400, "description": format!("Bad Request: {description}")}),
        );
    }
    assert!(fake.webhook().is_none());

    // teloxide sees the same refusal.
    let refused = bot
        .set_webhook(local.parse().unwrap())
        .secret_token("bad token")
        .await;
    assert!(
        matches!(&refused, Err(RequestError::Api(ApiError::Unknown(d))) if d.contains("unallowed characters")),
        "{refused:?}"
    );
    assert!(fake.webhook().is_none());
    // And takes a good one.
    bot.set_webhook(local.parse().unwrap())
        .secret_token("good_token-1")
        .await
        .unwrap();
    assert_eq!(fake.webhook().unwrap()["secret_token"], "good_token-1");
}

#[tokio::test]
async fn a_teloxide_webhook_bot_answers_a_fake_user() {
    let (fake, bot) = setup().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url: Url = format!("http://{addr}/telegram").parse().unwrap();
    let (updates, stop, router) =
        webhooks::axum_to_router(bot.clone(), webhooks::Options::new(addr, url.clone()))
            .await
            .unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(stop)
            .await
    });
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let text = format!("echo: {}", msg.text().unwrap_or_default());
        bot.send_message(msg.chat.id, text).await?;
        respond(())
    });
    let dispatcher = tokio::spawn(async move {
        Dispatcher::builder(bot, handler)
            .build()
            .dispatch_with_listener(updates, LoggingErrorHandler::new())
            .await;
    });

    // teloxide registered the webhook with a secret of its own, and checks it on every request.
    let registered = fake.webhook().unwrap();
    assert_eq!(registered["url"], url.as_str());
    assert_eq!(registered["secret_token"].as_str().unwrap().len(), 32);
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let sent = alice.send_text("hi").await;
    fake.wait_bot_message(42, WAIT, |m| m.text.as_deref() == Some("echo: hi"))
        .await
        .unwrap();
    assert!(fake.webhook_confirmed(sent.update_id));
    let statuses: Vec<_> = fake.webhook_deliveries().iter().map(|d| d.status).collect();
    assert_eq!(statuses, [Some(200)]);
    dispatcher.abort();
}
