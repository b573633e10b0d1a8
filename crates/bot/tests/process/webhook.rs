//! Webhook mode across processes: the secret is checked, 200 only after the update is stored,
//! 503 while the database is down (Telegram delivers again), duplicates handled once, and
//! three instances behind a load balancer keep each chat's updates in order.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use tg_fake::UserSpec;

use crate::support::{Instance, PgProxy, World, answers, wait_answers};

const SECRET: &str = "process-test-webhook-secret_0123";

fn webhook_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("BOT_MODE", "webhook"),
        ("WEBHOOK_SECRET", SECRET),
        ("PUBLIC_URL", "http://127.0.0.1:9/"),
        ("CALLBACK_SECRET", "process-test-callback-secret"),
    ]
}

/// `bot set-webhook` against the fake, then the fake delivers to `instances` in turn.
fn register(world: &World, instances: &[&Instance]) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bot"));
    cmd.arg("set-webhook")
        .env("BOT_TOKEN", crate::support::TOKEN)
        .env("TELEGRAM_API_URL", world.tg.api_url().as_str());
    for (k, v) in webhook_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "set-webhook: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let set = world.tg.webhook().expect("a webhook is set");
    assert_eq!(set["secret_token"], SECRET);
    assert_eq!(set["url"], "http://127.0.0.1:9/telegram/webhook");
    world.tg.set_webhook_targets(
        instances
            .iter()
            .map(|i| {
                format!("http://{}/telegram/webhook", i.http)
                    .parse()
                    .unwrap()
            })
            .collect(),
    );
}

async fn stored_updates(world: &World) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = world.db.connect().await;
    diesel::sql_query("SELECT count(*) AS n FROM inbox_updates")
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_or_missing_secret_is_refused_and_nothing_is_stored() {
    let world = World::new().await;
    let instance = world.spawn("hook", &webhook_env()).await;
    let url = format!("http://{}/telegram/webhook", instance.http);
    let update = serde_json::json!({"update_id": 5, "message": {"message_id": 1, "date": 0,
        "chat": {"id": 750_001, "type": "private"}, "from": {"id": 750_001, "is_bot": false, "first_name": "F"},
        "text": "/help"}});
    let client = reqwest::Client::new();
    for secret in [None, Some("wrong"), Some(&SECRET[..SECRET.len() - 1])] {
        let mut req = client.post(&url).json(&update);
        if let Some(s) = secret {
            req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "secret {secret:?}");
    }
    assert_eq!(stored_updates(&world).await, 0, "nothing stored");
    // The real secret, twice: stored once, answered once.
    for _ in 0..2 {
        let status = client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .json(&update)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    wait_answers(&world.tg, 750_001, 1, Duration::from_secs(20)).await;
    assert_eq!(stored_updates(&world).await, 1);
    let not_an_update = client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .body("{\"hello\": 1}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(not_an_update, 400);
    assert_eq!(
        answers(&world.tg, 750_001),
        1,
        "the duplicate was not answered again"
    );
    assert!(
        !instance.log().contains(SECRET),
        "the secret is never logged"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn while_the_database_is_down_telegram_gets_503_and_the_update_is_handled_after() {
    let world = World::new().await;
    let proxy = PgProxy::start(world.db.url()).await;
    let db = proxy.url(world.db.url());
    let mut env = webhook_env();
    env.push(("DATABASE_URL", db.as_str()));
    let instance = world.spawn("hook", &env).await;
    register(&world, &[&instance]);
    proxy.set_down(true);
    let chat = 751_001;
    let user = world.tg.user(UserSpec::new(chat, "Down").language("en"));
    user.send_text("/help").await;
    world
        .tg
        .wait_for(Duration::from_secs(20), |tg| {
            tg.webhook_deliveries()
                .iter()
                .any(|d| d.status == Some(503))
                .then_some(())
        })
        .await
        .expect("a 503 while the database is down");
    assert_eq!(
        instance.get("/readyz").await,
        503,
        "not ready without a database"
    );
    assert_eq!(instance.get("/healthz").await, 200, "but alive");
    proxy.set_down(false);
    wait_answers(&world.tg, chat, 1, Duration::from_secs(30)).await;
    assert_eq!(answers(&world.tg, chat), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_instances_behind_the_balancer_keep_each_chats_order() {
    let world = World::new().await;
    let instances = [
        world.spawn("a", &webhook_env()).await,
        world.spawn("b", &webhook_env()).await,
        world.spawn("c", &webhook_env()).await,
    ];
    register(&world, &instances.iter().collect::<Vec<_>>());
    let chats: Vec<i64> = (0..6).map(|n| 752_000 + n).collect();
    for &chat in &chats {
        let user = world.tg.user(UserSpec::new(chat, "Order").language("en"));
        for command in ["/help", "/balance", "/terms", "/help", "/paysupport"] {
            user.send_text(command).await;
        }
    }
    for &chat in &chats {
        wait_answers(&world.tg, chat, 5, Duration::from_secs(40)).await;
    }
    crate::support::wait_all_handled(&world).await;
    // Handled in update_id order within each chat, by whichever instance got it.
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        lane: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        update_id: i64,
    }
    let mut conn = world.db.connect().await;
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT lane, update_id FROM inbox_updates WHERE state = 'done' ORDER BY handled_at, update_id",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 30);
    for &chat in &chats {
        let order: Vec<i64> = rows
            .iter()
            .filter(|r| r.lane == chat)
            .map(|r| r.update_id)
            .collect();
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "chat {chat}: {order:?}"
        );
        assert_eq!(answers(&world.tg, chat), 5, "each answered once");
    }
    let served: Vec<_> = world
        .tg
        .webhook_deliveries()
        .iter()
        .map(|d| d.url.port())
        .collect();
    for instance in &instances {
        assert!(
            served.contains(&Some(instance.http.port())),
            "{} got updates",
            instance.name
        );
    }
}
