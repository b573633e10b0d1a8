//! History: after a success, /history lists the job; opening it shows its parameters and what
//! it cost; "Run again" brings back the confirm screen with the same parameters, and running
//! it makes a second job with the same input.

use bot_ui::i18n::{Args, code};
use journeys::{Rig, escape, i18n, t};

const MODEL: &str = "google/imagen4-fast";

async fn history_rerun(code_: &str) {
    let rig = Rig::start().await;
    let id = 500_000_401;
    let mut j = rig.journey(id, "Rerun", code_);
    let lang = j.lang;
    j.start().await;
    rig.credit(id, "100").await;
    let prompt = "a lighthouse at dusk";
    j.order(MODEL, prompt).await;
    j.run().await;
    j.result().await;
    let first = rig.jobs(id).await.remove(0);
    let title = rig
        .stack
        .app
        .ui
        .catalog
        .get(MODEL)
        .expect("the model")
        .title
        .get(code(lang))
        .to_string();

    let history_title = t(lang, "history-title");
    let list = j
        .say("/history", |m| m.text_or_empty().contains(&history_title))
        .await;
    let entry = format!("j:{}:o", first.id.0);
    j.check(
        list.all_buttons()
            .any(|b| b.callback_data.as_deref() == Some(&entry) && b.text.contains(&title)),
        "the history lists the job with its model",
    );
    let charged = i18n().tf(
        lang,
        "job-charged",
        &Args::new().money("price", lang, first.price),
    );
    let again = t(lang, "result-again");
    let shown_prompt = escape(prompt);
    let details = j
        .press(&title, |m| {
            m.text_or_empty().contains(&format!("#{}", first.id.0)) && m.button(&again).is_some()
        })
        .await;
    j.check(
        details.text_or_empty().contains(&charged)
            && details.text_or_empty().contains(&shown_prompt),
        "the job shows what it cost and its prompt",
    );
    let confirm_title = i18n().tf(lang, "confirm-title", &Args::new().text("model", &title));
    let pressed = details.id;
    let confirm = j
        .step(
            "taps Run again in the history",
            "the confirm screen with the same parameters",
            |u| async move {
                u.press_in(pressed, &t(lang, "result-again"))
                    .await
                    .map(|_| ())
            },
            |m| m.text_or_empty().contains(&confirm_title),
        )
        .await;
    j.check(
        confirm.text_or_empty().contains(&shown_prompt),
        "the confirm screen shows the same prompt",
    );
    j.run().await;
    j.result().await;
    let jobs = rig.jobs(id).await;
    j.check(jobs.len() == 2, "a second job");
    j.check(
        jobs[0].id != first.id && jobs[0].input == first.input && jobs[0].price == first.price,
        "the second job has the same input and price as the first",
    );
    let balance = rig.balance(id).await;
    j.check(
        balance.available.amount()
            == rust_decimal::Decimal::from(100) - first.price.amount() * rust_decimal::Decimal::TWO
            && balance.held.is_zero(),
        "both runs charged",
    );
    // "New prompt": the same settings, the prompt asked again.
    let prompt_label = rig
        .stack
        .app
        .ui
        .catalog
        .get(MODEL)
        .and_then(|m| m.prompt_param())
        .map(|p| p.label.get(code(lang)).to_string())
        .expect("a prompt");
    j.press(&t(lang, "result-new-prompt"), |m| {
        m.text_or_empty().contains(&prompt_label) && journeys::is_wizard_screen(m)
    })
    .await;
    j.say("a lighthouse at dawn", journeys::is_wizard_screen)
        .await;
    let confirm = j.to_confirm().await;
    j.check(
        confirm.text_or_empty().contains("a lighthouse at dawn")
            && !confirm.text_or_empty().contains(&shown_prompt),
        "the confirm screen has the new prompt",
    );
    rig.finish().await;
}

both_languages!(history_rerun);

/// "Run again" on the result of a run with uploads (the main journey's photo and mask): the
/// files are reused from Kie's upload host, the confirm screen comes back, and the second run
/// succeeds and is charged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_with_uploads() {
    let rig = Rig::start().await;
    let id = 500_000_451;
    let transcript = stack::main_journey(&rig.stack, id, "ru").await;
    assert!(transcript.passed(), "{}", transcript.markdown());
    let first = rig.jobs(id).await.remove(0);
    rig.credit(id, "500").await;
    let before = rig.balance(id).await;
    let mut j = rig.journey(id, "Anna <b>&</b>", "ru");
    let again = t(j.lang, "result-again");
    j.press(&again, |m| {
        journeys::data_button(m, |d| journeys::is_wizard_op(d, "r")).is_some()
    })
    .await;
    j.run().await;
    j.result().await;
    let jobs = rig.jobs(id).await;
    j.check(jobs.len() == 2, "a second job");
    let second = &jobs[0];
    j.check(
        second.model_id == first.model_id
            && second.input.get("prompt") == first.input.get("prompt")
            && matches!(
                second.state,
                ledger::JobState::Succeeded | ledger::JobState::Delivered
            ),
        &format!("the same order ran again and succeeded: {second:#?}"),
    );
    let uploads = |job: &ledger::Job| -> Vec<String> {
        ["image_url", "mask_url"]
            .iter()
            .filter_map(|k| {
                job.input
                    .get(*k)
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .collect()
    };
    j.check(
        uploads(second).len() == 2 && uploads(second).iter().all(|u| u.starts_with("http")),
        &format!("the files are Kie's uploads: {:?}", second.input),
    );
    let after = rig.balance(id).await;
    j.check(
        after.available.amount() == before.available.amount() - second.price.amount()
            && after.held.is_zero(),
        "charged once for the re-run",
    );
    rig.finish().await;
}
