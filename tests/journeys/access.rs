//! Who cannot be served, and Telegram pushing back: a banned user gets one clear message per
//! update and nothing else works (buttons answer with an alert, payments are refused); a user
//! who blocked the bot before the result arrived is marked unreachable and charged for the
//! success, without the bot stumbling; a 429 from Telegram is waited out and the message still
//! arrives.

use journeys::{Rig, seen, t};
use ledger::{EntryKind, JobState, UserId};
use serde_json::json;
use tg_fake::FakeError;

/// The admin of `StackOptions::fast`.
const ADMIN: i64 = 9_000_001;

async fn banned_user(code: &str) {
    let rig = Rig::start().await;
    let id = 500_001_501;
    let mut j = rig.journey(id, "Mallory", code);
    let lang = j.lang;
    let menu = j.start().await;
    // An invoice opened before the ban.
    j.say("/topup", |m| {
        m.all_buttons().any(|b| b.text.starts_with("⭐ 50 "))
    })
    .await;
    j.press("⭐ 50 ", |m| m.invoice.is_some()).await;
    ledger::ban(&mut *rig.conn().await, UserId(ADMIN), UserId(id), "fraud")
        .await
        .expect("banning");
    let banned = t(lang, "banned");
    for (what, text) in [
        ("/start", "/start"),
        ("a text", "hello?"),
        ("/balance", "/balance"),
    ] {
        let count = rig.tg().bot_messages(id).len();
        let owned = banned.clone();
        let answer = j
            .step(
                &format!("sends {what} while banned"),
                "one clear message, no buttons",
                |u| async move {
                    u.send_text(text).await;
                    Ok(())
                },
                move |m| m.text_or_empty() == owned,
            )
            .await;
        j.barrier().await;
        j.check(answer.buttons.is_empty(), "no buttons for a banned user");
        j.check(
            rig.tg().bot_messages(id).len() == count + 1,
            "exactly one message per update",
        );
    }
    let before = j.snapshot();
    for data in ["b", "m", "h", "g:google/imagen4-fast", "t:50"] {
        let pressed = j.user().press_data(menu.id, data).await;
        let answer = rig
            .tg()
            .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
            .await
            .expect("the tap is answered");
        j.check(
            answer.show_alert && answer.text.as_deref() == Some(banned.as_str()),
            &format!("{data}: an alert saying access is blocked, got {answer:?}"),
        );
    }
    let paid = j.user().pay_invoice().await.expect("paying");
    j.check(
        paid.answered
            && !paid.pre_checkout_ok
            && paid.error_message.as_deref() == Some(banned.as_str()),
        &format!("the payment is refused before money moves: {paid:?}"),
    );
    j.barrier().await;
    j.check(j.snapshot() == before, "no screen was shown or changed");
    let balance = rig.balance(id).await;
    j.check(
        balance.available.is_zero() && balance.held.is_zero(),
        "no money moved",
    );
    j.check(rig.jobs(id).await.is_empty(), "no job");
    rig.finish().await;
}

both_languages!(banned_user);

/// A payment Telegram delivers after the user was banned (the pre-checkout query was accepted
/// before the ban): the Stars are gone from the user, so the money is credited — with a receipt
/// and nothing else — never dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_after_a_ban_is_credited() {
    let rig = Rig::start().await;
    let id = 500_001_551;
    let mut j = rig.journey(id, "Late", "en");
    j.start().await;
    let settings = rig.stack.app.ui.settings().await.expect("settings");
    let rub = settings.stars.rub_for_stars(50);
    ledger::ban(&mut *rig.conn().await, UserId(ADMIN), UserId(id), "fraud")
        .await
        .expect("banning");
    let charge = "late-charge-1";
    let update = json!({"message": {
        "message_id": 9001,
        "date": 1_790_000_000,
        "chat": {"id": id, "type": "private", "first_name": "Late"},
        "from": {"id": id, "is_bot": false, "first_name": "Late", "language_code": "en"},
        "successful_payment": {
            "currency": "XTR",
            "total_amount": 50,
            "invoice_payload": format!("t:{id}:50:{}", rub.kopecks()),
            "telegram_payment_charge_id": charge,
            "provider_payment_charge_id": "",
        },
    }});
    rig.tg().push_raw_update(update);
    let receipt = j
        .wait("a receipt naming the charge", |m| {
            m.text_or_empty().contains(charge)
        })
        .await;
    j.check(receipt.buttons.is_empty(), "a receipt and nothing else");
    j.check(rig.balance(id).await.available == rub, "credited");
    j.barrier().await;
    rig.finish().await;
}

/// The user blocks the bot while the generation runs: the delivery meets 403, the user is
/// marked unreachable, the success is charged, and the bot goes on working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_before_delivery() {
    let rig = Rig::start().await;
    let id = 500_001_601;
    let mut j = rig.journey(id, "Gone", "ru");
    j.start().await;
    rig.credit(id, "100").await;
    let before = rig.balance(id).await;
    j.order("google/imagen4-fast", "a lantern [sim:never]")
        .await;
    j.run().await;
    let task = rig
        .wait_db("the task to reach Kie", || async {
            rig.jobs(id)
                .await
                .first()
                .and_then(|job| job.kie_task_id.clone())
        })
        .await;
    rig.tg().block_user(id);
    assert!(
        rig.stack.sim.finish_now(&task),
        "the simulator knows the task"
    );
    let job = rig
        .wait_db("the user to be marked unreachable", || async {
            let user = rig.user(id).await;
            let job = rig.jobs(id).await.remove(0);
            (!user.reachable && matches!(job.state, JobState::Succeeded | JobState::Delivered))
                .then_some(job)
        })
        .await;
    let after = rig.balance(id).await;
    j.check(
        after.available.amount() == before.available.amount() - job.price.amount()
            && after.held.is_zero(),
        &format!("the success is charged once: {before:?} → {after:?}"),
    );
    let entries = rig.entries(id).await;
    j.check(
        entries
            .iter()
            .filter(|e| e.kind == EntryKind::Commit)
            .count()
            == 1
            && !entries.iter().any(|e| e.kind == EntryKind::Release),
        "committed, not released",
    );
    let refused = rig
        .tg()
        .calls()
        .iter()
        .filter(|c| c.status == 403 && c.chat_id() == Some(id))
        .count();
    j.check(refused > 0, "the delivery met the block");
    // Unblocked, the user writes again: served, and reachable again.
    rig.tg().unblock_user(id);
    j.start().await;
    j.check(
        rig.user(id).await.reachable,
        "reachable again after writing",
    );
    rig.finish().await;
}

/// Telegram answers 429 with retry_after: the bot waits and the message still arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_wait_is_waited_out() {
    let rig = Rig::start().await;
    let id = 500_001_701;
    let mut j = rig.journey(id, "Patient", "en");
    rig.tg().fail_next(
        "sendMessage",
        1,
        FakeError::TooManyRequests { retry_after: 1 },
    );
    let welcome = j.start().await;
    j.check(
        seen(&welcome).contains("Hello, Patient!"),
        "the welcome arrives",
    );
    let sends: Vec<_> = rig
        .tg()
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.chat_id() == Some(id))
        .collect();
    j.check(
        sends.len() == 2 && sends[0].status == 429 && sends[1].ok(),
        &format!(
            "one 429, then the same message sent: {:?}",
            sends.iter().map(|c| c.status).collect::<Vec<_>>()
        ),
    );
    j.check(
        sends[0].str_param("text") == sends[1].str_param("text"),
        "the same text after the wait",
    );
    rig.finish().await;
}
