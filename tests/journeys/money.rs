//! Journeys about money: a failed generation refunds exactly; a free model is free until the
//! hourly quota is used, then the confirm screen shows and charges the paid price; a job
//! cancelled while queued releases its money in full.

use bot_ui::i18n::{Args, fmt_money};
use journeys::{Rig, i18n, t};
use ledger::{EntryKind, JobState};

/// A cheap paid image model with just a prompt required.
const PAID: &str = "google/imagen4-fast";

async fn failure_refunds(code: &str) {
    let rig = Rig::start().await;
    let id = 500_000_101;
    let mut j = rig.journey(id, "Fox", code);
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    let before = rig.balance(id).await;
    j.order(PAID, "a red fox in the snow [sim:fail=501]").await;
    j.run().await;
    let job = rig.jobs(id).await.remove(0);
    let refund = i18n().tf(
        lang,
        "refund-money",
        &Args::new().money("price", lang, job.price),
    );
    let failure = t(lang, "failure-generation");
    let told = j
        .wait(
            "a failure message in the user's language: what happened, and the money is back",
            |m| m.text_or_empty().contains(&refund),
        )
        .await;
    j.check(
        told.text_or_empty().contains('❌') && told.text_or_empty().contains(&failure),
        "the failure message says the generation failed",
    );
    let after = rig.balance(id).await;
    j.check(after == before, "the balance is exactly as before the run");
    j.check(after.held.is_zero(), "nothing stays held");
    let job = rig.jobs(id).await.remove(0);
    j.check(job.state == JobState::Failed, "the job is failed");
    let kinds: Vec<EntryKind> = rig.entries(id).await.iter().map(|e| e.kind).collect();
    j.check(
        kinds.iter().filter(|k| **k == EntryKind::Hold).count() == 1
            && kinds.iter().filter(|k| **k == EntryKind::Release).count() == 1
            && !kinds.contains(&EntryKind::Commit),
        "one hold, released once, never committed",
    );
    rig.finish().await;
}

both_languages!(failure_refunds);

async fn free_until_quota_then_paid(code: &str) {
    let rig = Rig::start().await;
    let ui = &rig.stack.app.ui;
    let settings = ui.settings().await.expect("settings");
    let per_hour = settings.free.per_hour;
    // A free model asked with a prompt and nothing to upload.
    let model = ui
        .free_models()
        .await
        .expect("the free models")
        .into_iter()
        .find(|m| {
            ui.catalog
                .get(m)
                .is_some_and(|m| m.prompt_param().is_some() && m.upload_params().count() == 0)
        })
        .expect("a free model with a prompt and no uploads");
    let id = 500_000_201;
    let mut j = rig.journey(id, "Free", code);
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    let before = rig.balance(id).await;
    let run_free = t(lang, "confirm-run-free");
    let again = t(lang, "result-again");
    j.order(&model, "rain on a tin roof").await;
    for n in 1..=per_hour {
        j.check(
            confirm_is_free(&j, &run_free),
            &format!("run {n}: the confirm screen offers a free run"),
        );
        j.run().await;
        j.result().await;
        j.check(
            rig.balance(id).await == before,
            &format!("run {n}: the balance is unchanged"),
        );
        // Run again from the result: the same order on a new confirm screen.
        j.press(&again, |m| m.all_buttons().any(|b| b.text.contains("▶️")))
            .await;
    }
    // The quota is used: the same confirm screen now shows the paid price.
    let confirm = j.last();
    let jobs = rig.jobs(id).await;
    j.check(
        jobs.len() == per_hour as usize && jobs.iter().all(|job| job.is_free),
        "the first runs were free jobs",
    );
    let text = confirm.text_or_empty();
    j.check(
        !confirm_is_free(&j, &run_free) && text.contains(&t(lang, "confirm-free-used")),
        "after the quota the confirm screen says the free runs are used up",
    );
    j.run().await;
    j.result().await;
    let after = rig.balance(id).await;
    let paid = rig.jobs(id).await.remove(0);
    let price = paid.price;
    j.check(!paid.is_free && !price.is_zero(), "the last job is paid");
    let run_paid = i18n().tf(
        lang,
        "confirm-run",
        &Args::new().money("price", lang, price),
    );
    j.check(
        confirm.button(&run_paid).is_some(),
        &format!("the Run button showed the price charged: {run_paid}"),
    );
    j.check(
        after.available.amount() == before.available.amount() - price.amount()
            && after.held.is_zero(),
        &format!(
            "charged exactly {}: {:?} → {:?}",
            fmt_money(lang, price),
            before,
            after
        ),
    );
    rig.finish().await;
}

fn confirm_is_free(j: &journeys::Journey<'_>, run_free: &str) -> bool {
    j.last().button(run_free).is_some()
}

both_languages!(free_until_quota_then_paid);

async fn cancel_while_queued(code: &str) {
    let rig = Rig::start().await;
    let id = 500_000_301;
    let mut j = rig.journey(id, "Queue", code);
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    let before = rig.balance(id).await;
    // Two runs that never finish fill the user's two places in flight.
    for n in 0..2 {
        j.order(PAID, &format!("a slow painting {n} [sim:never]"))
            .await;
        j.run().await;
    }
    rig.wait_db("both runs to be at Kie", || async {
        let jobs = rig.jobs(id).await;
        (jobs.len() == 2 && jobs.iter().all(|j| j.submitted_at.is_some())).then_some(())
    })
    .await;
    // The third waits in the queue, with a Cancel button.
    j.order(PAID, "a third painting").await;
    let cancel = t(lang, "progress-cancel");
    let progress = j.run().await;
    j.check(
        progress.button(&cancel).is_some(),
        "the queued run's progress message has a Cancel button",
    );
    let job = rig.jobs(id).await.remove(0);
    j.check(job.state == JobState::Held, "the third run is queued");
    let held = rig.balance(id).await;
    j.check(
        held.held.amount() == job.price.amount() * rust_decimal::Decimal::from(3),
        "three prices held",
    );
    let pressed = j
        .user()
        .press_in(progress.id, &cancel)
        .await
        .expect("the Cancel button");
    let answer = rig
        .tg()
        .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
        .await
        .expect("the tap is answered");
    j.check(
        answer.text.as_deref() == Some(t(lang, "cancel-accepted").as_str()),
        "the tap is acknowledged: cancelling, the money goes back",
    );
    let refund = i18n().tf(
        lang,
        "refund-money",
        &Args::new().money("price", lang, job.price),
    );
    let cancelled = t(lang, "failure-cancelled");
    j.wait("the cancellation is confirmed with the refund", |m| {
        m.text_or_empty().contains(&cancelled) && m.text_or_empty().contains(&refund)
    })
    .await;
    let job = ledger::job(&mut *rig.conn().await, job.id)
        .await
        .expect("reading the job")
        .expect("the job");
    j.check(job.state == JobState::Cancelled, "the job is cancelled");
    let after = rig.balance(id).await;
    j.check(
        after.held.amount() == job.price.amount() * rust_decimal::Decimal::from(2)
            && after.available.amount() + after.held.amount() == before.available.amount(),
        &format!("the cancelled run's money is back in full: {before:?} → {after:?}"),
    );
    rig.finish().await;
}

both_languages!(cancel_while_queued);
