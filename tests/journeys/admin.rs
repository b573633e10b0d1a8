//! The admin panel through Telegram: an owner finds a user, credits them and sees it in the
//! audit log (both languages); a non-admin who tries any admin command or button sees exactly
//! what they would for an unknown command or a stale button, and nothing changes; support
//! cannot move money; a replayed, expired or foreign Confirm does nothing more.

use diesel_async::RunQueryDsl;
use journeys::{PATIENCE, Rig, confirm_action, plain, t};
use ledger::{EntryKind, UserId};

/// The owner of `StackOptions::fast` (ADMIN_IDS).
const OWNER: i64 = 9_000_001;

async fn owner_finds_credits_and_sees_it_in_the_log(code: &str) {
    let rig = Rig::start().await;
    let customer = 700_000_101;
    let mut alice = rig.journey(customer, "Alice", code);
    alice.start().await;
    let mut owner = rig.journey(OWNER, "Olga", code);
    let lang = owner.lang;
    let newest = t(lang, "admin-users-newest");
    owner
        .say("/admin", move |m| m.button(&newest).is_some())
        .await;
    let found = owner
        .say("/find Alice", |m| m.text_or_empty().contains("700000101"))
        .await;
    owner.check(found.button("1").is_some(), "a button opens the card");
    let id = customer.to_string();
    owner
        .press("1", move |m| {
            m.text_or_empty().contains(&id) && m.text_or_empty().contains("/credit")
        })
        .await;
    let confirm = t(lang, "admin-confirm");
    let preview = owner
        .say(&format!("/credit {customer} 150 goodwill"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    owner.check(
        rig.balance(customer).await.available.is_zero(),
        "nothing moves before Confirm",
    );
    let done = plain(&t(lang, "admin-done-money"));
    let done_head: String = done.chars().take(8).collect();
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty().starts_with(&done_head)
        })
        .await;
    let balance = rig.balance(customer).await;
    owner.check(
        balance.available.to_string() == "150.00",
        &format!("credited once: {balance:?}"),
    );
    let entries = rig.entries(customer).await;
    owner.check(
        entries
            .iter()
            .filter(|e| e.kind == EntryKind::AdjustCredit)
            .count()
            == 1
            && entries
                .iter()
                .any(|e| e.reason.as_deref() == Some("goodwill")),
        "one credit, with its reason, in the user's receipts",
    );
    let notice_head: String = plain(&t(alice.lang, "admin-notice-credited"))
        .chars()
        .take(10)
        .collect();
    alice
        .wait("the user is told", move |m| {
            m.text_or_empty().starts_with(&notice_head)
        })
        .await;
    // A replayed Confirm (the same button again) does nothing more.
    let data = format!("a:y:{}", confirm_action(&preview));
    let answer = owner.tap(preview.id, &data).await;
    owner.check(
        answer.text.as_deref() == Some(plain(&t(lang, "admin-action-gone")).as_str()),
        &format!("a replay is refused: {answer:?}"),
    );
    owner.barrier().await;
    owner.check(
        rig.balance(customer).await.available.to_string() == "150.00",
        "still credited once",
    );
    let log = t(lang, "admin-log");
    owner.say("/admin", move |m| m.button(&log).is_some()).await;
    owner
        .press(&t(lang, "admin-log"), |m| {
            m.text_or_empty().contains("adjust_credit")
                && m.text_or_empty().contains("admin_view_user")
        })
        .await;
    rig.finish().await;
}
both_languages!(owner_finds_credits_and_sees_it_in_the_log);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_see_what_they_saw_before_and_change_nothing() {
    let rig = Rig::start().await;
    let mallory = 700_000_201;
    let mut j = rig.journey(mallory, "Mallory", "en");
    j.start().await;
    let unknown = t(j.lang, "unknown-command");
    for command in [
        "/admin",
        "/find Alice",
        &format!("/credit {mallory} 1000 free money"),
        &format!("/debit {OWNER} 1 x"),
        &format!("/ban {OWNER} coup"),
        &format!("/grant {mallory} owner"),
        "/disable google/imagen4-fast nope",
    ] {
        let expected = unknown.clone();
        j.say(command, move |m| m.text_or_empty().starts_with(&expected))
            .await;
    }
    let menu = j.last().id;
    let stale = t(j.lang, "stale-button");
    for data in [
        "a:h",
        "a:u:n:0",
        &format!("a:c:{OWNER}"),
        "a:y:1",
        "a:n:1",
        "a:r",
        "a:l",
        "a:e:google/imagen4-fast",
    ] {
        let answer = j.tap(menu, data).await;
        j.check(
            answer.text.as_deref() == Some(stale.as_str()),
            &format!("{data}: {answer:?}"),
        );
    }
    j.barrier().await;
    j.check(rig.balance(mallory).await.available.is_zero(), "no money");
    j.check(
        rig.count("SELECT count(*) AS n FROM admin_actions").await == 0,
        "no pending action",
    );
    j.check(
        rig.count("SELECT count(*) AS n FROM audit_log WHERE actor_id = 700000201")
            .await
            == 0,
        "nothing in the audit log",
    );
    j.check(
        rig.count("SELECT count(*) AS n FROM users WHERE banned")
            .await
            == 0,
        "nobody was banned",
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_cannot_move_money_nor_confirm_anothers_action() {
    let rig = Rig::start().await;
    let customer = 700_000_301;
    let helper = 700_000_302;
    rig.journey(customer, "Carol", "en").start().await;
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
    let newest = t(support.lang, "admin-users-newest");
    let home = support
        .say("/admin", move |m| m.button(&newest).is_some())
        .await;
    support.check(
        home.button(&t(support.lang, "admin-admins")).is_none(),
        "no admins button for support",
    );
    let refused = t(support.lang, "admin-owner-only");
    support
        .say(&format!("/credit {customer} 500 because"), move |m| {
            m.text_or_empty() == refused
        })
        .await;
    // The owner proposes a credit; support forges its Confirm.
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let confirm = t(owner.lang, "admin-confirm");
    let preview = owner
        .say(&format!("/credit {customer} 10 promo"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    let data = format!("a:y:{}", confirm_action(&preview));
    let answer = support.tap(home.id, &data).await;
    support.check(
        answer.text.as_deref() == Some(plain(&t(support.lang, "admin-action-gone")).as_str()),
        &format!("another admin's action cannot be confirmed: {answer:?}"),
    );
    support.barrier().await;
    support.check(
        rig.balance(customer).await.available.is_zero(),
        "no money moved",
    );
    // Revoked: the next tap is a stale button, like anyone's.
    admin::roles::revoke(&mut *rig.conn().await, UserId(OWNER), UserId(helper))
        .await
        .expect("revoking");
    let answer = support.tap(home.id, "a:h").await;
    support.check(
        answer.text.as_deref() == Some(t(support.lang, "stale-button").as_str()),
        &format!("a revoked admin is refused at once: {answer:?}"),
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debit_never_goes_below_zero_and_an_expired_confirm_does_nothing() {
    let rig = Rig::start().await;
    let customer = 700_000_401;
    rig.journey(customer, "Dave", "ru").start().await;
    rig.credit(customer, "10").await;
    let mut owner = rig.journey(OWNER, "Olga", "ru");
    let lang = owner.lang;
    let confirm = t(lang, "admin-confirm");
    let insufficient = plain(&t(lang, "admin-insufficient"));
    let owned = insufficient.clone();
    owner
        .say(&format!("/debit {customer} 50 chargeback"), move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().contains(&owned)
        })
        .await;
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.text_or_empty() == insufficient
        })
        .await;
    owner.check(
        rig.balance(customer).await.available.to_string() == "10.00",
        "not below zero",
    );
    // An expired confirmation.
    let confirm = t(lang, "admin-confirm");
    let preview = owner
        .say(&format!("/debit {customer} 5 fee"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    diesel::sql_query(
        "UPDATE admin_actions SET created_at = now() - interval '10 minutes', \
         expires_at = now() - interval '5 minutes' WHERE state = 'pending'",
    )
    .execute(&mut *rig.conn().await)
    .await
    .expect("ageing the action");
    let data = format!("a:y:{}", confirm_action(&preview));
    let answer = owner.tap(preview.id, &data).await;
    owner.check(
        answer.text.as_deref() == Some(plain(&t(lang, "admin-action-gone")).as_str()),
        &format!("expired: {answer:?}"),
    );
    owner.barrier().await;
    owner.check(
        rig.balance(customer).await.available.to_string() == "10.00",
        "nothing debited",
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_from_the_panel_is_told_once_and_an_unban_restores_access() {
    let rig = Rig::start().await;
    let customer = 700_000_501;
    let mut eve = rig.journey(customer, "Eve", "en");
    eve.start().await;
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let confirm = t(owner.lang, "admin-confirm");
    owner
        .say(&format!("/ban {customer} spam"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    let done = t(owner.lang, "admin-done-ban");
    owner
        .press(&t(owner.lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    let told = t(eve.lang, "admin-notice-banned");
    let owned = told.clone();
    eve.wait("told once", move |m| m.text_or_empty() == owned)
        .await;
    eve.barrier().await;
    let times = rig
        .tg()
        .bot_messages(customer)
        .iter()
        .filter(|m| m.text_or_empty() == told)
        .count();
    eve.check(times == 1, &format!("told exactly once, not {times} times"));
    eve.check(
        rig.user(customer).await.ban_reason.as_deref() == Some("spam"),
        "banned with the reason",
    );
    let banned = t(eve.lang, "banned");
    eve.say("/start", move |m| m.text_or_empty() == banned)
        .await;
    let unban = t(owner.lang, "admin-unban");
    owner
        .say(&format!("/find {customer}"), |m| m.button("1").is_some())
        .await;
    owner.press("1", move |m| m.button(&unban).is_some()).await;
    let confirm = t(owner.lang, "admin-confirm");
    owner
        .press(&t(owner.lang, "admin-unban"), move |m| {
            m.button(&confirm).is_some()
        })
        .await;
    let done = t(owner.lang, "admin-done-unban");
    owner
        .press(&t(owner.lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    eve.start().await;
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_model_cannot_be_run_by_any_path() {
    let rig = Rig::start().await;
    let model = "google/imagen4-fast";
    let customer = 700_000_601;
    rig.journey(customer, "Frank", "en").start().await;
    rig.credit(customer, "100").await;
    let mut j = rig.journey(customer, "Frank", "en");
    let lang = j.lang;
    j.order(model, "a lighthouse").await;
    j.run().await;
    j.result().await;
    let job = rig.jobs(customer).await[0].id.0;
    // A confirm screen drawn before the disable, with its Run button.
    let confirm = j.order(model, "a second lighthouse").await;
    let run = journeys::data_button(&confirm, |d| journeys::is_wizard_op(d, "r"))
        .expect("Run")
        .to_string();
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let yes = t(owner.lang, "admin-confirm");
    owner
        .say(&format!("/disable {model} upstream outage"), move |m| {
            m.button(&yes).is_some()
        })
        .await;
    let done = t(owner.lang, "admin-done-disable");
    owner
        .press(&t(owner.lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    let listed = format!("⛔ <code>{model}</code>");
    owner
        .say("/models imagen4", move |m| {
            m.text_or_empty().contains(&listed)
        })
        .await;
    let balance_before = rig.balance(customer).await;
    let jobs_before = rig.jobs(customer).await.len();
    let gone = t(lang, "model-gone");
    j.check(
        j.tap(confirm.id, &run).await.text.as_deref() == Some(gone.as_str()),
        "the old Run button is refused",
    );
    j.check(
        j.tap(confirm.id, &format!("j:{job}:r"))
            .await
            .text
            .as_deref()
            == Some(gone.as_str()),
        "history's re-run is refused",
    );
    let title = rig
        .stack
        .app
        .ui
        .catalog
        .get(model)
        .expect("the model")
        .title
        .en
        .clone();
    let menu = j.start().await;
    let category = rig
        .stack
        .app
        .ui
        .catalog
        .get(model)
        .expect("the model")
        .category;
    let owned = title.clone();
    let listed = j
        .press_data(menu.id, &format!("c:{}:0", category.as_str()), |m| {
            m.text_or_empty().len() > 1
        })
        .await;
    j.check(listed.button(&owned).is_none(), "not in its category");
    let card = j
        .press_data(menu.id, &format!("g:{model}"), |m| {
            m.text_or_empty().contains(&t(lang, "card-disabled"))
        })
        .await;
    j.check(
        card.button(&t(lang, "card-generate")).is_none(),
        "the card offers no Generate",
    );
    j.say("/search", |m| m.text_or_empty().len() > 1).await;
    let nothing = t(lang, "search-nothing")
        .split('{')
        .next()
        .unwrap_or_default()
        .to_string();
    j.say(&title, move |m| {
        m.text_or_empty().starts_with(nothing.trim())
    })
    .await;
    j.barrier().await;
    j.check(rig.jobs(customer).await.len() == jobs_before, "no new job");
    j.check(
        rig.balance(customer).await == balance_before,
        "nothing held",
    );
    // Back on sale.
    let yes = t(owner.lang, "admin-confirm");
    owner
        .say(&format!("/enable {model}"), move |m| {
            m.button(&yes).is_some()
        })
        .await;
    let done = t(owner.lang, "admin-done-enable");
    owner
        .press(&t(owner.lang, "admin-confirm"), move |m| {
            m.text_or_empty() == done
        })
        .await;
    let at = j.last().id;
    let generate = t(lang, "card-generate");
    j.press_data(at, &format!("o:{model}"), move |m| {
        m.button(&generate).is_some()
    })
    .await;
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_reach_every_admin_in_their_own_language() {
    let rig = Rig::start().await;
    let helper = 700_000_702;
    // The owner speaks English, the support admin Russian.
    rig.journey(OWNER, "Olga", "en").start().await;
    rig.journey(helper, "Саша", "ru").start().await;
    admin::roles::grant(
        &mut *rig.conn().await,
        UserId(OWNER),
        UserId(helper),
        admin::Role::Support,
    )
    .await
    .expect("granting support");
    let customer = 700_000_701;
    rig.journey(customer, "Gina", "en").start().await;
    rig.credit(customer, "100").await;
    rig.stack.sim.set_credits(0.0);
    let mut j = rig.journey(customer, "Gina", "en");
    j.order("google/imagen4-fast", "a quiet harbour").await;
    j.run().await;
    let head = |lang| {
        plain(&t(lang, "alert-kie-paused"))
            .chars()
            .take(12)
            .collect::<String>()
    };
    let (en, ru) = (head(ledger::Language::En), head(ledger::Language::Ru));
    rig.tg()
        .wait_bot_message(OWNER, PATIENCE, move |m| m.text_or_empty().starts_with(&en))
        .await
        .expect("the owner is alerted in English");
    rig.tg()
        .wait_bot_message(helper, PATIENCE, move |m| {
            m.text_or_empty().starts_with(&ru)
        })
        .await
        .expect("support is alerted in Russian");
    rig.stack.sim.set_credits(1_000.0);
    rig.finish().await;
}

/// Every admin command (with plausible arguments) and one admin button of every kind, from a
/// user who is not an admin: the answers are exactly the unknown-command help and the stale
/// button, nothing is proposed, audited or changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_entry_point_refuses_a_non_admin() {
    let rig = Rig::start().await;
    let mallory = 700_000_801;
    let mut j = rig.journey(mallory, "Mallory", "ru");
    j.start().await;
    rig.credit(mallory, "10").await;
    let unknown = t(j.lang, "unknown-command");
    for name in admin::command::NAMES {
        let text = format!("/{name} {mallory} 100 because");
        let expected = unknown.clone();
        j.say(&text, move |m| m.text_or_empty().starts_with(&expected))
            .await;
    }
    let at = j.last().id;
    let stale = t(j.lang, "stale-button");
    for button in admin::button::examples() {
        let data = button.encode();
        j.check(
            j.tap(at, &data).await.text.as_deref() == Some(stale.as_str()),
            &format!("{data}: a stale button for a non-admin"),
        );
    }
    j.barrier().await;
    j.check(
        rig.balance(mallory).await.available.to_string() == "10.00",
        "no money moved",
    );
    for (table, sql) in [
        ("admin_actions", "SELECT count(*) AS n FROM admin_actions"),
        ("broadcasts", "SELECT count(*) AS n FROM broadcasts"),
        (
            "audit_log",
            "SELECT count(*) AS n FROM audit_log WHERE actor_id = 700000801",
        ),
        (
            "model_overrides",
            "SELECT count(*) AS n FROM model_overrides",
        ),
        (
            "settings_history",
            "SELECT count(*) AS n FROM settings_history",
        ),
        (
            "banned users",
            "SELECT count(*) AS n FROM users WHERE banned",
        ),
    ] {
        j.check(rig.count(sql).await == 0, &format!("nothing in {table}"));
    }
    rig.finish().await;
}

/// Runs `outcomes` (true: success) of `model` for `user` one after another, each to its end.
async fn runs(rig: &Rig, j: &mut journeys::Journey<'_>, model: &str, outcomes: &[bool]) {
    for (n, ok) in outcomes.iter().enumerate() {
        let prompt = if *ok {
            format!("a calm sea {n}")
        } else {
            format!("a stormy sea {n} [sim:fail=501]")
        };
        j.order(model, &prompt).await;
        j.run().await;
        let user = j.id();
        rig.wait_db("the run to end", || async {
            let ended = rig
                .jobs(user)
                .await
                .iter()
                .filter(|job| job.state.is_final())
                .count();
            (ended > n).then_some(())
        })
        .await;
    }
}

async fn card_of(j: &mut journeys::Journey<'_>, model: &str) -> tg_fake::ChatMessage {
    let menu = j.start().await;
    j.press_data(menu.id, &format!("o:{model}"), |m| {
        m.text_or_empty().contains('₽')
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_often_fails_says_so_on_its_card() {
    let rig = Rig::start().await;
    let model = "google/imagen4-fast";
    let customer = 700_000_901;
    rig.journey(customer, "Hana", "en").start().await;
    rig.credit(customer, "200").await;
    let mut j = rig.journey(customer, "Hana", "en");
    // Three failures in five runs, the last three not all failed: "often fails".
    runs(&rig, &mut j, model, &[true, false, false, true, false]).await;
    let failing = plain(&t(j.lang, "card-failing"));
    let card = card_of(&mut j, model).await;
    j.check(card.text_or_empty().contains(&failing), "the card warns");
    j.check(
        card.button(&t(j.lang, "card-generate")).is_some(),
        "and still sells it",
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_model_is_shown_unavailable_instead_of_sold() {
    let rig = Rig::start().await;
    let model = "google/imagen4-fast";
    let customer = 700_000_902;
    rig.journey(customer, "Ivan", "ru").start().await;
    rig.credit(customer, "200").await;
    let mut j = rig.journey(customer, "Ivan", "ru");
    // The last three runs all failed: broken.
    runs(&rig, &mut j, model, &[true, false, false, false]).await;
    let broken = plain(&t(j.lang, "card-broken"));
    let card = card_of(&mut j, model).await;
    j.check(
        card.text_or_empty().contains(&broken),
        "the card says it is unavailable",
    );
    j.check(
        card.button(&t(j.lang, "card-generate")).is_none(),
        "and offers no Generate",
    );
    let jobs = rig.jobs(customer).await;
    let succeeded = |job: &&ledger::Job| {
        matches!(
            job.state,
            ledger::JobState::Delivered | ledger::JobState::Succeeded
        )
    };
    let charged = jobs
        .iter()
        .filter(succeeded)
        .fold(pricing::Money::ZERO, |sum, job| sum + job.price);
    let balance = rig.balance(customer).await;
    j.check(
        balance.available == pricing::Money::parse("200").unwrap() - charged,
        &format!("only the success was charged ({charged}): {balance:?}"),
    );
    rig.finish().await;
}
