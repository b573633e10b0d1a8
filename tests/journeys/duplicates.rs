//! Duplicates: Run tapped twice (and its update delivered again) makes one job and one hold,
//! also around a Stars top-up; an update delivered twice (a command, a text) is handled once;
//! a payment delivered twice is credited once with one receipt.

use journeys::{Journey, Rig, data_button, is_wizard_op, t};
use ledger::{EntryKind, UserId};
use tg_fake::PressedButton;

const PAID: &str = "google/imagen4-fast";

/// Taps the confirm screen's Run twice in a row (the second before the first is handled).
async fn double_tap_run(j: &Journey<'_>) -> (PressedButton, PressedButton) {
    let confirm = j.last();
    let run = data_button(&confirm, |d| is_wizard_op(d, "r"))
        .unwrap_or_else(|| j.fail("no Run button"))
        .to_string();
    let u = j.user();
    let first = u.press_data(confirm.id, &run).await;
    let second = u.press_data(confirm.id, &run).await;
    for p in [&first, &second] {
        if let Err(e) = j
            .tg()
            .wait_callback_answer(&p.callback_id, journeys::PATIENCE)
            .await
        {
            j.fail(&format!("a Run tap was not answered: {e:#}"));
        }
    }
    (first, second)
}

async fn count(rig: &Rig, user: i64, kind: EntryKind) -> usize {
    rig.entries(user)
        .await
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

async fn double_tap_and_replayed_run(code: &str) {
    let rig = Rig::start().await;
    let id = 500_000_801;
    let mut j = rig.journey(id, "Twice", code);
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    j.order(PAID, "a paper boat").await;
    let (first, second) = double_tap_run(&j).await;
    let answer = rig.tg().callback_answer(&second.callback_id);
    j.check(
        answer.and_then(|a| a.text) == Some(t(lang, "already-running")),
        "the second tap is told the order is already running",
    );
    // The same tap delivered again by Telegram.
    rig.tg().replay_update(first.update_id).expect("replayable");
    rig.tg()
        .replay_update(second.update_id)
        .expect("replayable");
    j.barrier().await;
    j.result().await;
    let jobs = rig.jobs(id).await;
    j.check(jobs.len() == 1, &format!("exactly one job: {jobs:#?}"));
    j.check(
        count(&rig, id, EntryKind::Hold).await == 1
            && count(&rig, id, EntryKind::Commit).await == 1,
        "one hold, committed once",
    );
    let balance = rig.balance(id).await;
    j.check(
        balance.available.amount() == rust_decimal::Decimal::from(100) - jobs[0].price.amount()
            && balance.held.is_zero(),
        "charged once",
    );
    let results = rig
        .tg()
        .bot_messages(id)
        .iter()
        .filter(|m| m.file.is_some())
        .count();
    j.check(results == 1, "one result delivered");
    rig.finish().await;
}

both_languages!(double_tap_and_replayed_run);

/// Short of money, Run twice; top up with Stars; Run twice again: one job, one hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_twice_around_a_top_up() {
    let rig = Rig::start().await;
    let id = 500_000_901;
    let mut j = rig.journey(id, "Short", "en");
    j.order(PAID, "a kite over the sea").await;
    double_tap_run(&j).await;
    j.barrier().await;
    let short = j.last();
    j.check(
        short
            .all_buttons()
            .any(|b| b.text.starts_with('⭐') && b.text.contains('→')),
        "the confirm screen says what is missing and offers a top-up",
    );
    let jobs = rig.jobs(id).await;
    j.check(
        jobs.len() == 1 && jobs[0].state == ledger::JobState::Created,
        "one order, not held",
    );
    j.check(count(&rig, id, EntryKind::Hold).await == 0, "nothing held");
    // History tells the truth about the unpaid order: nothing charged, nothing held.
    let history_title = t(j.lang, "history-title");
    j.say("/history", |m| m.text_or_empty().contains(&history_title))
        .await;
    let not_charged = t(j.lang, "job-not-charged");
    let details = j
        .press_data(j.last().id, &format!("j:{}:o", jobs[0].id.0), |m| {
            m.text_or_empty().contains(&format!("#{}", jobs[0].id.0))
        })
        .await;
    j.check(
        details.text_or_empty().contains(&not_charged),
        "the unpaid order says it was not charged (not “held”)",
    );
    j.press("⭐", |m| m.invoice.is_some()).await;
    let paid = j.user().pay_invoice().await.expect("paying");
    j.check(paid.pre_checkout_ok, "the pre-checkout query is accepted");
    let receipt = j
        .wait("the receipt with the same confirm screen", |m| {
            m.text_or_empty().contains('⭐') && data_button(m, |d| is_wizard_op(d, "r")).is_some()
        })
        .await;
    j.check(
        receipt.id == j.last().id,
        "the confirm screen is the newest message",
    );
    double_tap_run(&j).await;
    j.result().await;
    let jobs = rig.jobs(id).await;
    j.check(jobs.len() == 1, &format!("still one job: {jobs:#?}"));
    j.check(
        count(&rig, id, EntryKind::Hold).await == 1
            && count(&rig, id, EntryKind::Commit).await == 1,
        "one hold, committed once",
    );
    rig.finish().await;
}

/// A command and a text delivered twice are handled once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_updates_are_handled_once() {
    let rig = Rig::start().await;
    let id = 500_001_001;
    let mut j = rig.journey(id, "Echo", "ru");
    let balance_label = t(j.lang, "menu-balance");
    let (start, _) = j
        .say_update("/start", |m| m.button(&balance_label).is_some())
        .await;
    let before = j.snapshot();
    rig.tg().replay_update(start.update_id).expect("replayable");
    j.barrier().await;
    j.check(
        j.snapshot() == before,
        "the repeated /start got no second answer",
    );
    // A text at the wizard's prompt step.
    j.open_wizard(PAID).await;
    let (prompt, _) = j
        .say_update("a quiet harbour", journeys::is_wizard_screen)
        .await;
    let before = j.snapshot();
    rig.tg()
        .replay_update(prompt.update_id)
        .expect("replayable");
    j.barrier().await;
    j.check(
        j.snapshot() == before,
        "the repeated text got no second answer",
    );
    // A text nobody expects (the menu answers it once).
    j.say("/cancel", |m| m.button(&balance_label).is_some())
        .await;
    let unexpected = t(j.lang, "unexpected-input");
    let (stray, _) = j
        .say_update("hello?", |m| m.text_or_empty().contains(&unexpected))
        .await;
    let before = j.snapshot();
    rig.tg().replay_update(stray.update_id).expect("replayable");
    j.barrier().await;
    j.check(
        j.snapshot() == before,
        "the repeated stray text got no second answer",
    );
    rig.finish().await;
}

/// The same Stars payment delivered twice: credited once, one receipt.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_delivered_twice_is_credited_once() {
    let rig = Rig::start().await;
    let id = 500_001_101;
    let mut j = rig.journey(id, "Payer", "en");
    let lang = j.lang;
    j.start().await;
    j.say("/topup", |m| {
        m.all_buttons().any(|b| b.text.starts_with("⭐ 50 "))
    })
    .await;
    j.press("⭐ 50 ", |m| m.invoice.is_some()).await;
    let paid = j.user().pay_invoice().await.expect("paying");
    j.check(paid.pre_checkout_ok, "the pre-checkout query is accepted");
    let charge = paid.charge_id.clone().expect("a charge id");
    let receipt_marker = charge.clone();
    j.wait("a receipt naming the charge", |m| {
        m.text_or_empty().contains(&receipt_marker)
    })
    .await;
    let credited = rig.balance(id).await;
    let settings = rig.stack.app.ui.settings().await.expect("settings");
    j.check(
        credited.available == settings.stars.rub_for_stars(50),
        &format!(
            "credited {}",
            bot_ui::i18n::fmt_money(lang, settings.stars.rub_for_stars(50))
        ),
    );
    let before = j.snapshot();
    // Telegram delivers the payment again: in a new message, and as the same update.
    j.user()
        .resend_successful_payment(&charge)
        .await
        .expect("resending");
    rig.tg()
        .replay_update(paid.update_id.expect("the payment's update"))
        .expect("replayable");
    j.barrier().await;
    let second_receipts = rig
        .tg()
        .bot_messages(id)
        .iter()
        .filter(|m| !before.iter().any(|(b, ..)| *b == m.id))
        .count();
    j.check(second_receipts == 0, "no second receipt, nothing else said");
    j.check(rig.balance(id).await == credited, "credited once");
    let payments = ledger::recent_payments(&mut *rig.conn().await, UserId(id), 20)
        .await
        .expect("payments");
    j.check(payments.len() == 1, "one payment recorded");
    j.check(
        count(&rig, id, EntryKind::TopUpStars).await == 1,
        "one top-up entry",
    );
    rig.finish().await;
}
