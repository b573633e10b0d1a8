//! Every screen once: the menu, each category page by page, free and popular models, search,
//! balance, top-up (presets and a typed amount), help, terms, payment help, history, language,
//! cancel; then every model's card and the first screen of its wizard, which must ask exactly
//! what the model requires (its files, the prompt, required values without a default) — an
//! optional file is offered on the settings screen, never forced. The bot's output is checked
//! as a whole: every button's callback data fits Telegram's 64 bytes, and no message was
//! refused by Telegram's HTML parser (`Rig::finish` checks both for every test; here the
//! output covers every screen).

use bot_ui::i18n::{Args, code};
use bot_ui::state::{State, Step};
use catalog::ParamKind;
use journeys::{MAX_CALLBACK_BYTES, Rig, callback_data_sent, i18n, is_wizard_screen, t};

async fn every_screen(code: &str) {
    let rig = Rig::start().await;
    let id = 500_001_801;
    let mut j = rig.journey(id, "Tourist", code);
    let lang = j.lang;
    let menu = j.start().await;
    let at = menu.id;
    let back = t(lang, "back");
    // Each category, page by page.
    let categories: Vec<String> = menu
        .all_buttons()
        .filter_map(|b| b.callback_data.clone())
        .filter(|d| d.starts_with("c:"))
        .collect();
    j.check(!categories.is_empty(), "the menu lists categories");
    for data in &categories {
        let mut page = j
            .press_data(at, data, |m| {
                m.id == at
                    && m.all_buttons()
                        .any(|b| b.text.contains('₽') || b.text.contains("🆓"))
            })
            .await;
        while let Some(next) = page.button("▶️").and_then(|b| b.callback_data.clone()) {
            page = j.press_data(at, &next, move |m| m.id == at).await;
        }
        j.check(page.button(&back).is_some(), "a category page leads back");
    }
    for data in ["f:0", "p:0", "b", "t", "?", "h", "m"] {
        j.press_data(at, data, move |m| m.id == at).await;
    }
    // Search.
    j.press_data(at, "s", move |m| m.id == at).await;
    j.say("video", |m| {
        m.all_buttons().any(|b| {
            b.callback_data
                .as_deref()
                .is_some_and(|d| d.starts_with("o:"))
        })
    })
    .await;
    // A typed number of Stars.
    j.say("/topup", |m| m.button(&t(lang, "topup-other")).is_some())
        .await;
    j.press(&t(lang, "topup-other"), |_| true).await;
    j.say("42", |m| {
        m.invoice.as_ref().is_some_and(|i| i.total_amount == 42)
    })
    .await;
    for command in [
        "/balance",
        "/history",
        "/help",
        "/terms",
        "/paysupport",
        "/language",
        "/cancel",
        "/menu",
        "/search",
    ] {
        j.say(command, |m| !m.text_or_empty().is_empty()).await;
    }
    check_output(&rig);
    rig.finish().await;
}

both_languages!(every_screen);

/// Every model's card and the first screen of its wizard (in Russian, the main audience's
/// language; callback data and the wizard's steps do not depend on it, and `every_screen` runs
/// in both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_model() {
    let rig = Rig::start().await;
    let id = 500_001_901;
    let mut j = rig.journey(id, "Browser", "ru");
    let lang = j.lang;
    let at = j.start().await.id;
    let generate = t(lang, "card-generate");
    let models: Vec<String> = rig
        .stack
        .app
        .ui
        .catalog
        .models()
        .iter()
        .filter(|m| m.enabled)
        .map(|m| m.id.clone())
        .collect();
    let mut optional_asked = Vec::new();
    for model in &models {
        j.press_data(at, &format!("o:{model}"), |m| {
            m.id == at && m.button(&generate).is_some()
        })
        .await;
        j.press_data(at, &format!("g:{model}"), move |m| {
            m.id == at && is_wizard_screen(m)
        })
        .await;
        // The first pass asks only for what the model requires (its files, the prompt, and
        // required values without a default); optional files are offered on the settings
        // screen. (The state is saved after the screen is shown.)
        j.barrier().await;
        let state = State::load(&mut *rig.conn().await, id)
            .await
            .expect("the state");
        let m = rig.stack.app.ui.catalog.get(model).expect("the model");
        let asked = first_pass(m);
        if let Some(Step::Param { name }) = state.wizard.map(|w| w.step) {
            let header = i18n().tf(
                lang,
                "wizard-step",
                &Args::new()
                    .text("model", m.title.get(code(lang)))
                    .num("n", 1)
                    .num("total", asked.len() as i64),
            );
            let shown = j.last();
            if asked.first() != Some(&name) || !shown.text_or_empty().contains(&header) {
                optional_asked.push(format!(
                    "{model}: asks {name} first, in {:?}; should ask {asked:?}",
                    shown.text_or_empty().lines().next()
                ));
            }
        } else if !asked.is_empty() {
            optional_asked.push(format!("{model}: asks nothing; should ask {asked:?}"));
        }
    }
    assert!(
        optional_asked.is_empty(),
        "the wizard's first pass differs from what the models require: {optional_asked:#?}"
    );
    check_output(&rig);
    rig.finish().await;
}

/// What the wizard's first pass must ask, in order: required files, the prompt, then required
/// values without a default.
fn first_pass(model: &catalog::Model) -> Vec<String> {
    let upload = |p: &&catalog::Param| matches!(p.kind, ParamKind::Upload { .. });
    let mut out: Vec<String> = model
        .params
        .iter()
        .filter(|p| upload(p) && p.required)
        .map(|p| p.name.clone())
        .collect();
    if let Some(p) = model.prompt_param() {
        out.push(p.name.clone());
    }
    for p in &model.params {
        let has_default = match &p.kind {
            ParamKind::Choice { default, .. } => default.is_some(),
            ParamKind::Toggle { default } => default.is_some(),
            ParamKind::Integer { default, .. } => default.is_some(),
            ParamKind::Number { default, .. } => default.is_some(),
            _ => false,
        };
        if p.required && !has_default && !upload(&p) && !out.contains(&p.name) {
            out.push(p.name.clone());
        }
    }
    out
}

fn check_output(rig: &Rig) {
    let sent = callback_data_sent(rig.tg());
    assert!(sent.len() > 50, "the tour saw buttons: {}", sent.len());
    let longest = sent.iter().map(String::len).max().unwrap_or(0);
    assert!(
        longest <= MAX_CALLBACK_BYTES,
        "callback data of {longest} bytes"
    );
    let refused: Vec<String> = rig
        .tg()
        .calls()
        .iter()
        .filter(|c| c.status == 400)
        .filter(|c| {
            !c.error
                .as_deref()
                .unwrap_or("")
                .contains("message is not modified")
        })
        .map(|c| format!("{} {:?}", c.method, c.error))
        .collect();
    assert!(refused.is_empty(), "Telegram refused: {refused:#?}");
}
