//! Presets: a model's settings saved under a name (from the wizard's settings or confirm
//! screen, or from a job in the history), offered first on the wizard's first screen the next
//! time the user opens that model. Applying one fills a new wizard exactly as history's re-run
//! does ([`wizard::from_preset`]); the confirm screen re-validates and re-prices it like any
//! other input.
//!
//! A preset holds only non-file parameters: uploads live on Kie's host for days, not forever,
//! so the wizard asks for files again (the user is told so when saving). Preset buttons carry
//! the preset's id; its owner is re-checked on every press, so anyone else's id is "this button
//! is out of date". Names are the user's text: escaped (`Args::text`) wherever they are shown.

use catalog::{Model, ParamKind};
use serde_json::{Map, Value};
use teloxide::types::{CallbackQueryId, MessageId};

use crate::callback::{Action, PresetOp};
use crate::i18n::{Args, Lang, code};
use crate::keyboard::{Screen, button};
use crate::screens::wizard::{self, show_and_save};
use crate::screens::{answer, stale};
use crate::state::{Mode, State};
use crate::{Ui, UiBot};
use tg_kit::send::{self, clip_to};
use tg_kit::{Ctx, HandlerResult};

/// What a preset stores of `input`: the model's parameters that are not files (the registry's
/// fixed inputs and anything unknown are dropped too).
pub fn preset_input(model: &Model, input: &Map<String, Value>) -> Map<String, Value> {
    model
        .params
        .iter()
        .filter(|p| !matches!(p.kind, ParamKind::Upload { .. }))
        .filter_map(|p| input.get(&p.name).map(|v| (p.name.clone(), v.clone())))
        .collect()
}

/// The name as typed, trimmed, if it can name a preset (1–32 characters).
pub fn preset_name(text: &str) -> Option<String> {
    let name = text.trim();
    ledger::valid_preset_name(name).then(|| name.to_string())
}

/// The wizard's first screen with the user's presets first: "Use preset: <name>" and 🗑 for
/// each (button labels are plain text: Telegram does not parse them).
pub fn with_presets(ui: &Ui, lang: Lang, mut screen: Screen, presets: &[ledger::Preset]) -> Screen {
    if presets.is_empty() {
        return screen;
    }
    let i = &ui.i18n;
    let rows = presets.iter().map(|p| {
        vec![
            button(
                format!(
                    "{} {}",
                    i.t(lang, "preset-use"),
                    clip_to(&p.name, ledger::MAX_PRESET_NAME_CHARS)
                ),
                Action::Preset {
                    id: p.id,
                    op: PresetOp::Apply,
                },
            ),
            button(
                i.t(lang, "preset-delete"),
                Action::Preset {
                    id: p.id,
                    op: PresetOp::Delete,
                },
            ),
        ]
    });
    screen.rows.splice(0..0, rows);
    screen.text = format!("{}\n\n{}", screen.text, i.t(lang, "wizard-presets"));
    screen
}

/// Asks for the name of a preset of `model`'s settings: the wizard's (`job: None`) or a job's.
/// Typed text is the name until another screen is chosen; `back` leaves.
pub async fn ask_name(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    job: Option<i64>,
    back: Action,
) -> HandlerResult {
    crate::screens::set_mode(ui, ctx, Mode::PresetName { job }).await?;
    let lang = ctx.lang;
    let i = &ui.i18n;
    let mut text = i.tf(
        lang,
        "preset-ask",
        &Args::new().num("max", ledger::MAX_PRESET_NAME_CHARS as i64),
    );
    if model.upload_params().next().is_some() {
        text.push('\n');
        text.push_str(&i.t(lang, "preset-no-files"));
    }
    let screen = Screen::new(text).row(vec![button(i.t(lang, "back"), back)]);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// The name typed for a preset: saves the wizard's validated settings or the job's parameters
/// (re-checked for the job's owner), then says what happened.
pub async fn name_typed(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    mut state: State,
    job: Option<i64>,
    text: &str,
) -> HandlerResult {
    let lang = ctx.lang;
    let i = &ui.i18n;
    let Some(name) = preset_name(text) else {
        let screen = Screen::new(i.tf(
            lang,
            "preset-name-bad",
            &Args::new().num("max", ledger::MAX_PRESET_NAME_CHARS as i64),
        ))
        .row(vec![button(i.t(lang, "back-menu"), Action::Menu)]);
        send::send(bot, ctx.chat, &screen).await?;
        return Ok(());
    };
    // What is saved: a job's parameters (its owner's only), or the wizard's validated input.
    let source = match job {
        Some(id) => {
            let found = ledger::job(&mut *ui.db().await?, ledger::JobId(id)).await?;
            match found.filter(|j| j.user_id == ctx.user.id) {
                Some(job) => ui
                    .on_sale(&job.model_id)
                    .await?
                    .and_then(|m| job.input.as_object().map(|o| (m, preset_input(m, o)))),
                None => None,
            }
        }
        None => match &state.wizard {
            Some(w) => match ui.on_sale(&w.model).await? {
                Some(m) => wizard::validated(m, w)
                    .ok()
                    .map(|v| (m, preset_input(m, v.params()))),
                None => None,
            },
            None => None,
        },
    };
    state.mode = Mode::Normal;
    let Some((model, input)) = source else {
        state.save(&mut *ui.db().await?, ctx.chat.0).await?;
        let mut screen = crate::screens::menu::menu_for(ui, ctx).await?;
        screen.text = format!("{}\n\n{}", i.t(lang, "preset-source-gone"), screen.text);
        send::send(bot, ctx.chat, &screen).await?;
        return Ok(());
    };
    let outcome = ledger::save_preset(
        &mut *ui.db().await?,
        ctx.user.id,
        &model.id,
        &name,
        &Value::Object(input),
    )
    .await?;
    let args = Args::new()
        .text("name", &name)
        .text("model", model.title.get(code(lang)))
        .num("max", i64::from(ledger::MAX_PRESETS_PER_MODEL));
    let notice = match outcome {
        ledger::SaveOutcome::Added(_) => i.tf(lang, "preset-saved", &args),
        ledger::SaveOutcome::Replaced(_) => i.tf(lang, "preset-replaced", &args),
        ledger::SaveOutcome::Full => i.tf(lang, "preset-full", &args),
    };
    match (job, state.wizard.clone()) {
        (None, Some(w)) => show_and_save(bot, ui, ctx, model, w, None, Some(notice)).await,
        _ => {
            state.save(&mut *ui.db().await?, ctx.chat.0).await?;
            let screen = Screen::new(notice).row(vec![
                button(
                    i.t(lang, "card-generate"),
                    Action::Generate {
                        model: model.id.clone(),
                    },
                ),
                button(i.t(lang, "back-menu"), Action::Menu),
            ]);
            send::send(bot, ctx.chat, &screen).await?;
            Ok(())
        }
    }
}

/// A preset button: only for the preset's owner. Apply fills a new wizard and shows its
/// confirm screen (or the file it still needs); Delete removes it and shows the first screen
/// again.
pub async fn on_button(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    message: MessageId,
    id: i64,
    op: PresetOp,
) -> HandlerResult {
    let found = ledger::preset(&mut *ui.db().await?, ctx.user.id, id).await?;
    let Some(preset) = found else {
        return stale(bot, ui, ctx, q).await;
    };
    let lang = ctx.lang;
    match op {
        PresetOp::Apply => {
            let Some(model) = ui.on_sale(&preset.model_id).await? else {
                return answer(bot, q, Some(ui.i18n.t(lang, "model-gone"))).await;
            };
            answer(bot, q, None).await?;
            let w = wizard::from_preset(model, &preset.input);
            let notice = ui.i18n.tf(
                lang,
                "preset-applied",
                &Args::new().text("name", &preset.name),
            );
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        PresetOp::Delete => {
            if !ledger::delete_preset(&mut *ui.db().await?, ctx.user.id, id).await? {
                return stale(bot, ui, ctx, q).await;
            }
            answer(bot, q, Some(ui.i18n.t(lang, "preset-deleted"))).await?;
            wizard::start(bot, ui, ctx, Some(message), &preset.model_id).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Step;
    use serde_json::json;

    fn catalog() -> catalog::Catalog {
        let registry = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry");
        catalog::Catalog::load_dir(&registry).expect("the registry loads")
    }

    #[test]
    fn names_are_trimmed_and_one_to_32_characters() {
        assert_eq!(
            preset_name("  My <b>style</b> "),
            Some("My <b>style</b>".into())
        );
        assert_eq!(preset_name(&"я".repeat(32)), Some("я".repeat(32)));
        for bad in ["", "   ", "\n", &"x".repeat(33)] {
            assert_eq!(preset_name(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_preset_keeps_only_the_models_non_file_parameters() {
        let catalog = catalog();
        let model = catalog
            .get("ideogram/v3-edit")
            .expect("a model with uploads");
        let input = json!({
            "prompt": "a red door",
            "image_url": "https://files.example/a.png",
            "mask_url": "https://files.example/m.png",
            "rendering_speed": "TURBO",
            "callBackUrl": "https://evil.example",
            "unknown": 1,
        });
        let kept = preset_input(model, input.as_object().unwrap());
        assert_eq!(
            Value::Object(kept),
            json!({"prompt": "a red door", "rendering_speed": "TURBO"})
        );
    }

    #[test]
    fn applying_a_preset_goes_to_confirm_or_to_the_files_it_needs() {
        let catalog = catalog();
        let plain = catalog.get("google/imagen4-fast").expect("a model");
        let w = wizard::from_preset(plain, &json!({"prompt": "a cat", "aspect_ratio": "1:1"}));
        assert_eq!(w.step, Step::Confirm);
        assert_eq!(w.values.get("aspect_ratio"), Some(&json!("1:1")));
        assert!(wizard::validated(plain, &w).is_ok());
        // Without its prompt the wizard asks for it, like a re-run with a new prompt.
        let w = wizard::from_preset(plain, &json!({"aspect_ratio": "1:1"}));
        assert!(matches!(w.step, Step::Param { ref name } if name == "prompt"));

        let edit = catalog
            .get("ideogram/v3-edit")
            .expect("a model with uploads");
        let w = wizard::from_preset(
            edit,
            &json!({"prompt": "a red door", "image_url": "https://files.example/a.png"}),
        );
        assert!(w.uploads.is_empty(), "files never come from a preset");
        assert!(!w.values.contains_key("image_url"));
        assert!(
            matches!(&w.step, Step::Param { name } if edit.param(name).is_some_and(|p| matches!(p.kind, ParamKind::Upload { .. })))
        );
        // Two wizards from the same preset are different wizards (their buttons too).
        let again = wizard::from_preset(edit, &json!({"prompt": "a red door"}));
        assert_ne!(again.rev, w.rev);
    }
}
