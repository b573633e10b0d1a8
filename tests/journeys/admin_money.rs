//! The admin panel's money and settings through Telegram: an owner refunds a Stars payment
//! (the ledger debits once, Telegram refunds once, the user is told, a replayed Confirm does
//! nothing, both languages); Telegram refusing after the ledger debited leaves an explained,
//! retryable state; money already spent is not refunded; a disputed job is credited back once
//! however often it is confirmed, a failed one never; a markup below 1 is refused, a markup of
//! 3 is previewed with how many prices change and is then on the model card; `/free add` makes
//! a model free; support gets "owner only" for all of it but may look.

use bot_ui::Lang;
use bot_ui::i18n::{Args, fmt_money};
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use journeys::{Journey, Rig, confirm_action, i18n, t};
use ledger::{EntryKind, JobState, UserId};
use rust_decimal::Decimal;
use tg_fake::FakeError;

/// The owner of `StackOptions::fast` (ADMIN_IDS).
const OWNER: i64 = 9_000_001;

/// A cheap paid image model with just a prompt required.
const PAID: &str = "google/imagen4-fast";

async fn audit_count(rig: &Rig, action: &str, user: i64) -> i64 {
    rig.count(&format!(
        "SELECT count(*) AS n FROM audit_log WHERE action = '{action}' AND target_user_id = {user}"
    ))
    .await
}

fn refund_calls(rig: &Rig) -> usize {
    rig.tg().calls_of("refundStarPayment").len()
}

/// The user tops up 50 Stars; returns the charge id and the payment's id in the ledger.
async fn pay_50_stars(rig: &Rig, j: &mut Journey<'_>) -> (String, i64) {
    j.say("/topup", |m| {
        m.all_buttons().any(|b| b.text.starts_with("⭐ 50 "))
    })
    .await;
    j.press("⭐ 50 ", |m| m.invoice.is_some()).await;
    let paid = j.user().pay_invoice().await.expect("paying");
    j.check(paid.pre_checkout_ok, "the pre-checkout query is accepted");
    let charge = paid.charge_id.clone().expect("a charge id");
    let marker = charge.clone();
    j.wait("a receipt naming the charge", |m| {
        m.text_or_empty().contains(&marker)
    })
    .await;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let row: Id =
        diesel::sql_query("SELECT id FROM payments WHERE telegram_payment_charge_id = $1")
            .bind::<Text, _>(&charge)
            .get_result(&mut *rig.conn().await)
            .await
            .expect("the payment");
    (charge, row.id)
}

async fn stars_for_50(rig: &Rig) -> pricing::Money {
    let settings = rig.stack.app.ui.settings().await.expect("settings");
    settings.stars.rub_for_stars(50)
}

async fn a_stars_payment_is_refunded_once(code: &str) {
    let rig = Rig::start().await;
    let id = 700_100_101;
    let mut uma = rig.journey(id, "Uma", code);
    uma.start().await;
    let (charge, payment) = pay_50_stars(&rig, &mut uma).await;
    let rub = stars_for_50(&rig).await;
    uma.check(rig.balance(id).await.available == rub, "credited");

    let mut owner = rig.journey(OWNER, "Olga", code);
    let lang = owner.lang;
    let confirm = t(lang, "admin-confirm");
    let preview = owner
        .say(&format!("/refund {payment} asked in support"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    let text = preview.text_or_empty();
    owner.check(
        text.contains("50 ⭐")
            && text.contains(&fmt_money(lang, rub))
            && text.contains(&id.to_string())
            && text.contains("asked in support"),
        "the preview names the user, the Stars, the rubles and the reason",
    );
    owner.check(
        rig.balance(id).await.available == rub && refund_calls(&rig) == 0,
        "nothing moves before Confirm",
    );
    let done = i18n().tf(
        lang,
        "admin-done-refund",
        &Args::new().num("stars", 50).money("rub", lang, rub).money(
            "available",
            lang,
            pricing::Money::ZERO,
        ),
    );
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    owner.check(
        rig.tg().charge(&charge).is_some_and(|c| c.refunded),
        "Telegram refunded the charge",
    );
    owner.check(refund_calls(&rig) == 1, "Telegram was asked once");
    owner.check(
        rig.balance(id).await.available.is_zero(),
        "the balance is debited once",
    );
    let entries = rig.entries(id).await;
    owner.check(
        entries
            .iter()
            .filter(|e| e.kind == EntryKind::RefundStars)
            .count()
            == 1
            && entries.iter().any(|e| {
                e.kind == EntryKind::RefundStars && e.reason.as_deref() == Some("asked in support")
            }),
        "one refund, with its reason, in the user's receipts",
    );
    owner.check(
        audit_count(&rig, "refund_stars", id).await == 1
            && audit_count(&rig, "refund_stars_telegram", id).await == 1,
        "the audit log has the refund and Telegram's answer",
    );
    let told = i18n().tf(
        uma.lang,
        "admin-notice-stars-refunded",
        &Args::new()
            .num("stars", 50)
            .money("rub", uma.lang, rub)
            .text("reason", "asked in support"),
    );
    uma.wait("the user is told", move |m| m.text_or_empty() == told)
        .await;

    // A replayed Confirm does nothing more.
    let data = format!("a:y:{}", confirm_action(&preview));
    let answer = owner.tap(preview.id, &data).await;
    owner.check(
        answer.text.as_deref() == Some(t(lang, "admin-action-gone").as_str()),
        &format!("a replay is refused: {answer:?}"),
    );
    owner.barrier().await;
    owner.check(
        refund_calls(&rig) == 1 && rig.balance(id).await.available.is_zero(),
        "still refunded once",
    );
    // Asking again is refused at once: Telegram confirmed it.
    let already = t(lang, "admin-refund-already");
    owner
        .say(&format!("/refund {payment} again"), move |m| {
            m.text_or_empty() == already
        })
        .await;
    owner.check(refund_calls(&rig) == 1, "Telegram was not asked again");
    rig.finish().await;
}
both_languages!(a_stars_payment_is_refunded_once);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_refusing_after_the_ledger_debited_is_explained_and_retried() {
    let rig = Rig::start().await;
    let id = 700_100_201;
    let mut vic = rig.journey(id, "Vic", "en");
    vic.start().await;
    let (charge, payment) = pay_50_stars(&rig, &mut vic).await;
    let rub = stars_for_50(&rig).await;
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let lang = owner.lang;
    rig.tg().fail_next(
        "refundStarPayment",
        1,
        FakeError::BadRequest("STARS_REFUND_TEST_REFUSAL".into()),
    );
    let confirm = t(lang, "admin-confirm");
    owner
        .say(&format!("/refund {payment} duplicate"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    let retry_hint = format!("/refund {payment} ");
    let failed = owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty().contains("STARS_REFUND_TEST_REFUSAL")
        })
        .await;
    owner.check(
        failed.text_or_empty().contains(&retry_hint)
            && failed.text_or_empty().contains(&fmt_money(lang, rub)),
        "the admin reads what happened and how to retry",
    );
    owner.check(
        rig.tg().charge(&charge).is_some_and(|c| !c.refunded),
        "Telegram did not refund",
    );
    owner.check(
        rig.balance(id).await.available.is_zero(),
        "the ledger debited once and keeps it (the refund is owed)",
    );
    let payment_row = ledger::payment(&mut *rig.conn().await, ledger::PaymentId(payment))
        .await
        .expect("reading")
        .expect("the payment");
    owner.check(payment_row.is_refunded(), "the payment is marked refunded");
    owner.check(
        rig.count("SELECT count(*) AS n FROM admin_actions WHERE kind = 'refund_stars' AND state = 'failed'",
        )
        .await
            == 1,
        "the action ended failed",
    );
    let told = i18n().tf(
        vic.lang,
        "admin-notice-stars-refunded",
        &Args::new()
            .num("stars", 50)
            .money("rub", vic.lang, rub)
            .text("reason", "duplicate"),
    );
    vic.barrier().await;
    let told_now = told.clone();
    vic.check(
        !rig.tg()
            .bot_messages(id)
            .iter()
            .any(|m| m.text_or_empty() == told_now),
        "the user is not told of a refund that did not reach them",
    );
    // The retry asks Telegram only.
    let confirm = t(lang, "admin-confirm");
    let head: String = t(lang, "admin-preview-refund-retry")
        .chars()
        .take(8)
        .collect();
    owner
        .say(&format!("/refund {payment} duplicate"), move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().starts_with(&head)
        })
        .await;
    let done = i18n().tf(
        lang,
        "admin-done-refund",
        &Args::new().num("stars", 50).money("rub", lang, rub).money(
            "available",
            lang,
            pricing::Money::ZERO,
        ),
    );
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    owner.check(
        rig.tg().charge(&charge).is_some_and(|c| c.refunded),
        "Telegram refunded on the retry",
    );
    owner.check(
        rig.balance(id).await.available.is_zero()
            && rig
                .entries(id)
                .await
                .iter()
                .filter(|e| e.kind == EntryKind::RefundStars)
                .count()
                == 1,
        "still debited exactly once",
    );
    vic.wait("the user is told now", move |m| m.text_or_empty() == told)
        .await;
    rig.finish().await;
}

/// Runs a paid generation to its result and returns the job.
async fn a_paid_result(rig: &Rig, j: &mut Journey<'_>, prompt: &str) -> ledger::Job {
    j.order(PAID, prompt).await;
    j.run().await;
    j.result().await;
    let id = j.id();
    rig.wait_db("the job to be charged", || async {
        let job = rig.jobs(id).await.remove(0);
        matches!(job.state, JobState::Succeeded | JobState::Delivered).then_some(job)
    })
    .await
}

async fn spent_money_is_not_refunded_and_a_job_refund_credits_once(code: &str) {
    let rig = Rig::start().await;
    let id = 700_100_301;
    let mut wes = rig.journey(id, "Wes", code);
    wes.start().await;
    let (charge, payment) = pay_50_stars(&rig, &mut wes).await;
    let rub = stars_for_50(&rig).await;
    let job = a_paid_result(&rig, &mut wes, "a red fox in the snow").await;
    let price = job.price;
    let available = rig.balance(id).await.available;
    wes.check(
        !job.is_free && available == rub - price,
        "part of the Stars' money is spent",
    );

    let mut owner = rig.journey(OWNER, "Olga", code);
    let lang = owner.lang;
    let confirm = t(lang, "admin-confirm");
    let warning = i18n().tf(
        lang,
        "admin-refund-spent-warning",
        &Args::new()
            .money("rub", lang, rub)
            .money("available", lang, available),
    );
    owner
        .say(&format!("/refund {payment} asked"), move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().contains(&warning)
        })
        .await;
    let spent = i18n().tf(
        lang,
        "admin-refund-spent",
        &Args::new()
            .money("needed", lang, rub)
            .money("available", lang, available),
    );
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty() == spent
        })
        .await;
    owner.check(
        refund_calls(&rig) == 0 && rig.tg().charge(&charge).is_some_and(|c| !c.refunded),
        "Telegram was not asked",
    );
    owner.check(
        rig.balance(id).await.available == available,
        "nothing was debited",
    );

    // The disputed job: two proposals (as two admins would), both confirmed: credited once.
    let confirm = t(lang, "admin-confirm");
    let wanted = confirm.clone();
    let first = owner
        .say(
            &format!("/refundjob {} blurry result", job.id.0),
            move |m| m.button(&wanted).is_some(),
        )
        .await;
    owner.check(
        first.text_or_empty().contains(&fmt_money(lang, price)),
        "the preview says what goes back",
    );
    let wanted = confirm.clone();
    let second = owner
        .say(
            &format!("/refundjob {} blurry result", job.id.0),
            move |m| m.button(&wanted).is_some(),
        )
        .await;
    let done = i18n().tf(
        lang,
        "admin-done-refundjob",
        &Args::new()
            .money("rub", lang, price)
            .money("available", lang, rub),
    );
    owner
        .press_data(
            first.id,
            &format!("a:y:{}", confirm_action(&first)),
            move |m| m.text_or_empty() == done,
        )
        .await;
    let already = t(lang, "admin-refundjob-already");
    let owned = already.clone();
    owner
        .press_data(
            second.id,
            &format!("a:y:{}", confirm_action(&second)),
            move |m| m.text_or_empty() == owned,
        )
        .await;
    owner.check(
        rig.balance(id).await.available == rub,
        "the job's price is back once",
    );
    let credits: Vec<_> = rig
        .entries(id)
        .await
        .into_iter()
        .filter(|e| e.kind == EntryKind::AdjustCredit)
        .collect();
    owner.check(
        credits.len() == 1
            && credits[0].job_id == Some(job.id.0)
            && credits[0].amount == price
            && credits[0].reason.as_deref() == Some("blurry result"),
        &format!("one credit naming the job and the reason: {credits:?}"),
    );
    owner.check(
        audit_count(&rig, "refund_job", id).await == 1,
        "the audit log has it",
    );
    let told = i18n().tf(
        wes.lang,
        "admin-notice-job-refunded",
        &Args::new()
            .num("job", job.id.0)
            .money("rub", wes.lang, price)
            .text("reason", "blurry result"),
    );
    wes.wait("the user is told", move |m| m.text_or_empty() == told)
        .await;
    owner
        .say(&format!("/refundjob {} again", job.id.0), move |m| {
            m.text_or_empty() == already
        })
        .await;

    // A failed generation was never charged.
    wes.order(PAID, "a broken fox [sim:fail=501]").await;
    wes.run().await;
    let failed = rig
        .wait_db("the job to fail", || async {
            let job = rig.jobs(id).await.remove(0);
            (job.state == JobState::Failed).then_some(job)
        })
        .await;
    let never = t(lang, "admin-refundjob-not-charged");
    owner
        .say(&format!("/refundjob {} it failed", failed.id.0), move |m| {
            m.text_or_empty() == never
        })
        .await;
    owner.check(
        rig.balance(id).await.available == rub,
        "nothing more was credited",
    );
    rig.finish().await;
}
both_languages!(spent_money_is_not_refunded_and_a_job_refund_credits_once);

async fn a_markup_change_is_checked_previewed_and_priced(code: &str) {
    let rig = Rig::start().await;
    let id = 700_100_401;
    let mut xia = rig.journey(id, "Xia", code);
    let menu = xia.start().await;
    let mut owner = rig.journey(OWNER, "Olga", code);
    let lang = owner.lang;
    let refused = i18n().tf(
        lang,
        "admin-setting-refused",
        &Args::new().text(
            "problem",
            "pricing.markup must be at least 1 (never sell below cost)",
        ),
    );
    owner
        .say("/set pricing.markup 0.5 x", move |m| {
            m.text_or_empty() == refused
        })
        .await;
    owner.check(
        rig.count("SELECT count(*) AS n FROM settings_history")
            .await
            == 0,
        "a markup below 1 is never written",
    );

    // What the preview must say, computed here from the storefront the users see.
    let store = rig.stack.app.ui.store().await.expect("the storefront");
    let before = store.settings().pricing.clone();
    let mut after = before.clone();
    after.markup = Decimal::from(3);
    let models = store.models();
    let changed = models
        .iter()
        .filter(|m| {
            let (a, b) = (m.price_range(&before), m.price_range(&after));
            (a.min, a.max) != (b.min, b.max)
        })
        .count();
    let cheapest = |s: &pricing::PriceSettings| {
        let (price, model) = models
            .iter()
            .map(|m| (m.price_range(s).min, m.id.clone()))
            .min()
            .expect("models on sale");
        format!("{} (<code>{model}</code>)", fmt_money(lang, price))
    };
    let effect = i18n().tf(
        lang,
        "admin-setting-prices",
        &Args::new()
            .num("changed", changed as i64)
            .num("on_sale", models.len() as i64)
            .raw("before", cheapest(&before))
            .raw("after", cheapest(&after)),
    );
    owner.check(changed > 0, "a markup changes prices");
    let confirm = t(lang, "admin-confirm");
    owner
        .say("/set pricing.markup 3 summer prices", move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().contains(&effect)
        })
        .await;
    let done = i18n().tf(
        lang,
        "admin-done-setting",
        &Args::new()
            .raw("key", "<code>pricing.markup</code>")
            .raw("value", "<code>3</code>"),
    );
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    owner.check(
        rig.count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'setting' \
                 AND details->>'key' = 'pricing.markup' AND details->>'value' = '3'",
        )
        .await
            == 1,
        "the change is in the audit log",
    );
    // The model card shows the new price.
    let model = rig.stack.app.ui.catalog.get(PAID).expect("the model");
    let new_min = fmt_money(xia.lang, model.price_range(&after).min);
    let old_min = fmt_money(xia.lang, model.price_range(&before).min);
    owner.check(new_min != old_min, "the model's price changes");
    xia.press_data(menu.id, &format!("o:{PAID}"), move |m| {
        m.text_or_empty().contains(&new_min)
    })
    .await;
    // /settings shows the value and its history.
    owner
        .say("/settings", |m| {
            m.text_or_empty()
                .contains("<code>pricing.markup</code> = <b><code>3</code></b>")
                && m.text_or_empty().contains("summer prices")
        })
        .await;
    rig.finish().await;
}
both_languages!(a_markup_change_is_checked_previewed_and_priced);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn free_add_makes_a_model_free_for_users() {
    let rig = Rig::start().await;
    let id = 700_100_501;
    let mut yan = rig.journey(id, "Yan", "ru");
    yan.start().await;
    let free_before = rig.stack.app.ui.free_models().await.expect("free models");
    yan.check(
        !free_before.iter().any(|m| m == PAID),
        "the model is paid at first",
    );
    let mut owner = rig.journey(OWNER, "Olga", "ru");
    let lang = owner.lang;
    owner
        .say("/free", |m| {
            m.text_or_empty().starts_with(
                &t(Lang::Ru, "admin-free-screen")
                    .chars()
                    .take(8)
                    .collect::<String>(),
            )
        })
        .await;
    let confirm = t(lang, "admin-confirm");
    owner
        .say(&format!("/free add {PAID}"), move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().contains(PAID)
        })
        .await;
    owner
        .press(&t(lang, "admin-confirm"), |m| {
            m.text_or_empty().contains("free.models")
        })
        .await;
    let free_after = rig.stack.app.ui.free_models().await.expect("free models");
    owner.check(
        free_after.iter().any(|m| m == PAID) && free_before.iter().all(|m| free_after.contains(m)),
        &format!("the model joins the free set, the others stay: {free_after:?}"),
    );
    yan.order(PAID, "a cat on a windowsill").await;
    yan.check(
        yan.last()
            .button(&t(yan.lang, "confirm-run-free"))
            .is_some(),
        "the user is offered a free run",
    );
    yan.run().await;
    yan.result().await;
    let job = rig.jobs(id).await.remove(0);
    yan.check(job.is_free && job.price.is_zero(), "the run was free");
    yan.check(rig.balance(id).await.available.is_zero(), "nothing charged");
    // Removing it again puts it back on the paid list.
    let confirm = t(lang, "admin-confirm");
    owner
        .say(&format!("/free remove {PAID} back to paid"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    owner
        .press(&t(lang, "admin-confirm"), |m| {
            m.text_or_empty().contains("free.models")
        })
        .await;
    let free_again = rig.stack.app.ui.free_models().await.expect("free models");
    owner.check(!free_again.iter().any(|m| m == PAID), "paid again");
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_may_look_but_not_refund_or_change_settings() {
    let rig = Rig::start().await;
    let customer = 700_100_601;
    let helper = 700_100_602;
    let mut zoe = rig.journey(customer, "Zoe", "en");
    zoe.start().await;
    let (charge, payment) = pay_50_stars(&rig, &mut zoe).await;
    let mut support = rig.journey(helper, "Sam", "en");
    support.start().await;
    admin::roles::grant(
        &mut *rig.conn().await,
        UserId(OWNER),
        UserId(helper),
        admin::Role::Support,
    )
    .await
    .expect("granting support");
    let only = t(support.lang, "admin-owner-only");
    for command in [
        format!("/refund {payment} please"),
        "/refundjob 1 please".to_string(),
        "/set pricing.markup 3 please".to_string(),
        "/set pricing.markup 0.5 please".to_string(),
        format!("/free add {PAID}"),
    ] {
        let owned = only.clone();
        support
            .say(&command, move |m| m.text_or_empty() == owned)
            .await;
    }
    support
        .say("/settings", |m| {
            m.text_or_empty().contains("pricing.markup")
        })
        .await;
    let per_hour = rig
        .stack
        .app
        .ui
        .settings()
        .await
        .expect("settings")
        .free
        .per_hour;
    support
        .say("/free", move |m| {
            m.text_or_empty().contains(&format!(" {per_hour} "))
        })
        .await;
    support.check(
        rig.count("SELECT count(*) AS n FROM admin_actions").await == 0,
        "nothing was proposed",
    );
    support.check(
        refund_calls(&rig) == 0
            && rig.tg().charge(&charge).is_some_and(|c| !c.refunded)
            && rig.balance(customer).await.available == stars_for_50(&rig).await,
        "no money moved",
    );
    support.check(
        rig.count("SELECT count(*) AS n FROM settings_history")
            .await
            == 0,
        "no setting changed",
    );
    rig.finish().await;
}
