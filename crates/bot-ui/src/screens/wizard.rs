//! The wizard, generated from a model's input schema (via `catalog::Param`) for every model:
//! one step per required parameter (uploads first, then the prompt, then required choices),
//! then a settings screen for the rest, then the confirm screen.
//!
//! Widgets: choices as buttons (default marked), toggles, numbers as suggested values plus
//! typed entry, text with its length limits, uploads checked for kind, format, size and
//! duration, dialogue lines. Bad input gets a clear message and the same step again.
//! The wizard never prices on its own: it asks the model (`Model::validate` + `Model::quote`),
//! the same path the pipeline charges through.

use catalog::{MediaKind, Model, Param, ParamKind, ValidatedInput};
use pricing::Settings;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use teloxide::types::{CallbackQueryId, Message, MessageId};
use teloxide::utils::html::escape;

use crate::callback::{Action, WizardOp};
use crate::i18n::{Args, Lang, code};
use crate::keyboard::{Screen, button};
use crate::screens::{answer, confirm, stale};
use crate::state::{Mode, State, Step, Upload, Wizard};
use crate::{Ui, UiBot};
use tg_kit::send::{self, clip_to};
use tg_kit::{Ctx, HandlerResult};

/// The parameters asked one by one, in order: required uploads, the prompt, then required
/// parameters without a default. An optional upload (an end frame, a reference image) is not
/// asked, even when it takes at least one file once given: the settings screen offers it.
pub fn required_steps(model: &Model) -> Vec<&Param> {
    let mut out: Vec<&Param> = model
        .params
        .iter()
        .filter(|p| matches!(p.kind, ParamKind::Upload { .. }) && p.required)
        .collect();
    if let Some(p) = model.prompt_param() {
        out.push(p);
    }
    for p in &model.params {
        if out.iter().any(|o| o.name == p.name) || !p.required {
            continue;
        }
        if default_of(p).is_none() {
            out.push(p);
        }
    }
    out
}

/// The schema default of a parameter, as JSON.
pub fn default_of(p: &Param) -> Option<Value> {
    match &p.kind {
        ParamKind::Choice { default, .. } => default.clone(),
        ParamKind::Toggle { default } => default.map(Value::Bool),
        ParamKind::Integer { default, .. } => default.map(|d| json!(d)),
        ParamKind::Number { default, .. } => default.map(decimal_json),
        _ => None,
    }
}

fn decimal_json(d: Decimal) -> Value {
    let d = d.normalize();
    if d.fract().is_zero() {
        json!(i64::try_from(d.mantissa() / 10i128.pow(d.scale())).unwrap_or(0))
    } else {
        serde_json::from_str(&d.to_string()).unwrap_or(Value::Null)
    }
}

/// True when `p` has what it needs (a value, a default, or enough files).
fn is_filled(p: &Param, w: &Wizard) -> bool {
    match &p.kind {
        ParamKind::Upload { min_items, .. } => {
            w.uploads.get(&p.name).map_or(0, |u| u.len() as u64) >= (*min_items).max(1)
        }
        _ => w.values.contains_key(&p.name) || default_of(p).is_some(),
    }
}

/// The first required step still missing.
fn next_missing<'m>(model: &'m Model, w: &Wizard) -> Option<&'m Param> {
    required_steps(model).into_iter().find(|p| !is_filled(p, w))
}

/// The input as the model validates it: the user's values, defaults (applied by `validate`),
/// and upload placeholders the pipeline replaces with Kie's URLs.
pub fn build_input(model: &Model, w: &Wizard) -> Map<String, Value> {
    let mut input = w.values.clone();
    for p in model.upload_params() {
        let Some(files) = w.uploads.get(&p.name).filter(|f| !f.is_empty()) else {
            continue;
        };
        let urls: Vec<Value> = files
            .iter()
            .enumerate()
            .map(|(i, f)| match f {
                Upload::Telegram { .. } => {
                    Value::String(generation::pending_upload_url(&p.name, i as u32))
                }
                Upload::Url { url } => Value::String(url.clone()),
            })
            .collect();
        let multiple = matches!(p.kind, ParamKind::Upload { multiple: true, .. });
        input.insert(
            p.name.clone(),
            if multiple {
                Value::Array(urls)
            } else {
                urls.into_iter().next().unwrap_or(Value::Null)
            },
        );
    }
    input
}

/// Validates the wizard's input and records the measures of priced uploads (their duration).
pub fn validated(model: &Model, w: &Wizard) -> Result<ValidatedInput, Vec<catalog::InputError>> {
    let mut input = model.validate(&build_input(model, w))?;
    for (name, files) in &w.uploads {
        let seconds: u32 = files
            .iter()
            .filter_map(|f| match f {
                Upload::Telegram { seconds, .. } => *seconds,
                Upload::Url { .. } => None,
            })
            .sum();
        if seconds > 0 {
            input.set_media_measure(name, Decimal::from(seconds));
        }
    }
    Ok(input)
}

/// "💰 19 ₽" when the input is complete, else "💰 from 19 ₽".
pub fn price_line(ui: &Ui, lang: Lang, model: &Model, w: &Wizard, settings: &Settings) -> String {
    match validated(model, w)
        .ok()
        .and_then(|v| model.quote(&v, &settings.pricing).ok())
    {
        Some(q) => ui.i18n.tf(
            lang,
            "wizard-price",
            &Args::new().money("price", lang, q.price),
        ),
        None => {
            let range = model.price_range(&settings.pricing);
            ui.i18n.tf(
                lang,
                "wizard-price-from",
                &Args::new().money("price", lang, range.min),
            )
        }
    }
}

/// A value as the user reads it.
pub fn show_value(ui: &Ui, lang: Lang, p: &Param, v: &Value) -> String {
    let c = code(lang);
    match (&p.kind, v) {
        (ParamKind::Choice { labels, .. }, v) => {
            let raw = value_text(v);
            labels
                .get(&raw)
                .map(|t| t.get(c).to_string())
                .unwrap_or(raw)
        }
        (ParamKind::Toggle { .. }, Value::Bool(b)) => {
            ui.i18n.t(lang, if *b { "toggle-on" } else { "toggle-off" })
        }
        (ParamKind::Text { .. }, Value::String(s)) => format!("«{}»", clip_to(s, 40)),
        (ParamKind::Dialogue { .. }, Value::Array(lines)) => ui.i18n.tf(
            lang,
            "dialogue-lines",
            &Args::new().num("count", lines.len() as i64),
        ),
        (_, v) => value_text(v),
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The current value of `p` for the settings screen (escaped HTML).
fn current_value(ui: &Ui, lang: Lang, p: &Param, w: &Wizard) -> String {
    if let ParamKind::Upload { .. } = p.kind {
        let n = w.uploads.get(&p.name).map_or(0, Vec::len);
        return ui
            .i18n
            .tf(lang, "files-count", &Args::new().num("count", n as i64));
    }
    match (w.values.get(&p.name), default_of(p)) {
        (Some(v), _) => escape(&show_value(ui, lang, p, v)),
        (None, Some(d)) => ui.i18n.tf(
            lang,
            "value-default",
            &Args::new().text("value", show_value(ui, lang, p, &d)),
        ),
        (None, None) => "—".into(),
    }
}

/// Suggested values of a number parameter (the buttons).
pub fn presets(p: &Param) -> Vec<Value> {
    match &p.kind {
        ParamKind::Integer { min, max, default } => {
            let (min, max) = (*min, *max);
            let mut v: Vec<i64> = if max - min <= 7 {
                (min..=max).collect()
            } else {
                let span = max - min;
                vec![min, min + span / 4, min + span / 2, min + 3 * span / 4, max]
            };
            if let Some(d) = default {
                v.push(*d);
            }
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(|n| json!(n)).collect()
        }
        ParamKind::Number { min, max, default } => {
            let mut v = vec![*min, (*min + *max) / Decimal::TWO, *max];
            if let Some(d) = default {
                v.push(*d);
            }
            v.iter_mut().for_each(|d| *d = d.round_dp(2).normalize());
            v.sort_unstable();
            v.dedup();
            v.into_iter().map(decimal_json).collect()
        }
        _ => Vec::new(),
    }
}

fn media_word(ui: &Ui, lang: Lang, media: MediaKind) -> String {
    ui.i18n.t(
        lang,
        match media {
            MediaKind::Image => "media-image",
            MediaKind::Video => "media-video",
            MediaKind::Audio => "media-audio",
        },
    )
}

fn mb(bytes: u64) -> String {
    let tenths = bytes.div_ceil(104_858); // 1 MiB / 10, rounded up
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// The screen for one parameter.
pub fn step_screen(
    ui: &Ui,
    lang: Lang,
    model: &Model,
    w: &Wizard,
    settings: &Settings,
    name: &str,
    notice: Option<String>,
) -> Screen {
    let i = &ui.i18n;
    let c = code(lang);
    let Some((pi, p)) = model
        .params
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name)
    else {
        return settings_screen(ui, lang, model, w, settings, notice);
    };
    let pi = pi as u8;
    let rev = w.rev;
    let act = |op| Action::Wizard { rev, op };
    let steps = required_steps(model);
    let header = match (&w.step, steps.iter().position(|s| s.name == p.name)) {
        (Step::Param { .. }, Some(k)) => i.tf(
            lang,
            "wizard-step",
            &Args::new()
                .text("model", model.title.get(c))
                .num("n", k as i64 + 1)
                .num("total", steps.len() as i64),
        ),
        _ => format!("<b>{}</b>", escape(model.title.get(c))),
    };
    let mut text = crate::keyboard::notice_prefix(notice);
    text.push_str(&header);
    text.push_str("\n\n<b>");
    text.push_str(&escape(p.label.get(c)));
    text.push_str("</b>");
    if let Some(note) = &p.note {
        text.push_str("\n<i>");
        text.push_str(&escape(note.get(c)));
        text.push_str("</i>");
    }
    text.push('\n');
    let mut screen = Screen::default();
    let current = w.values.get(&p.name);
    let default = default_of(p);
    match &p.kind {
        ParamKind::Choice { values, .. } => {
            text.push_str(&i.t(lang, "wizard-choose"));
            let buttons = values
                .iter()
                .take(100)
                .enumerate()
                .map(|(vi, v)| {
                    let mut label = show_value(ui, lang, p, v);
                    if current == Some(v) {
                        label = format!("• {label}");
                    }
                    if default.as_ref() == Some(v) {
                        label.push_str(&i.t(lang, "default-mark"));
                    }
                    button(
                        label,
                        act(WizardOp::Choose {
                            param: pi,
                            value: vi as u8,
                        }),
                    )
                })
                .collect();
            screen = screen.grid(buttons, if values.len() > 6 { 3 } else { 2 });
        }
        ParamKind::Toggle { default } => {
            text.push_str(&i.t(lang, "wizard-toggle"));
            let mark = |on: bool| {
                let mut l = i.t(lang, if on { "toggle-on" } else { "toggle-off" });
                if current == Some(&Value::Bool(on)) {
                    l = format!("• {l}");
                }
                if *default == Some(on) {
                    l.push_str(&i.t(lang, "default-mark"));
                }
                l
            };
            screen = screen.row(vec![
                button(
                    mark(true),
                    act(WizardOp::Toggle {
                        param: pi,
                        on: true,
                    }),
                ),
                button(
                    mark(false),
                    act(WizardOp::Toggle {
                        param: pi,
                        on: false,
                    }),
                ),
            ]);
        }
        ParamKind::Integer { min, max, .. } => {
            text.push_str(
                &i.tf(
                    lang,
                    "wizard-number",
                    &Args::new()
                        .raw("min", min.to_string())
                        .raw("max", max.to_string()),
                ),
            );
            screen = preset_buttons(screen, p, pi, current, default.as_ref(), ui, lang, rev);
        }
        ParamKind::Number { min, max, .. } => {
            text.push_str(
                &i.tf(
                    lang,
                    "wizard-number",
                    &Args::new()
                        .raw("min", min.normalize().to_string())
                        .raw("max", max.normalize().to_string()),
                ),
            );
            screen = preset_buttons(screen, p, pi, current, default.as_ref(), ui, lang, rev);
        }
        ParamKind::Text {
            min_len, max_len, ..
        } => {
            text.push_str(
                &i.tf(
                    lang,
                    "wizard-text",
                    &Args::new()
                        .num("min", *min_len as i64)
                        .num("max", *max_len as i64),
                ),
            );
            if let Some(Value::String(s)) = current {
                text.push('\n');
                text.push_str(
                    &i.tf(
                        lang,
                        "wizard-text-current",
                        &Args::new()
                            .text("text", clip_to(s, 300))
                            .num("len", s.chars().count() as i64),
                    ),
                );
            }
        }
        ParamKind::Upload {
            media,
            min_items,
            max_items,
            max_bytes,
            formats,
            max_seconds,
            ..
        } => {
            let have = w.uploads.get(&p.name).map_or(0, Vec::len) as u64;
            text.push_str(
                &i.tf(
                    lang,
                    "wizard-upload",
                    &Args::new()
                        .raw("kind", media_word(ui, lang, *media))
                        .raw(
                            "formats",
                            formats
                                .iter()
                                .map(|f| f.to_uppercase())
                                .collect::<Vec<_>>()
                                .join(", "),
                        )
                        .raw("mb", mb((*max_bytes).min(ui.config.max_download_bytes))),
                ),
            );
            if let Some(s) = max_seconds {
                text.push('\n');
                text.push_str(&i.tf(
                    lang,
                    "wizard-upload-seconds",
                    &Args::new().num("seconds", *s as i64),
                ));
            }
            if *max_items > 1 {
                text.push('\n');
                text.push_str(
                    &i.tf(
                        lang,
                        "wizard-upload-count",
                        &Args::new()
                            .num("have", have as i64)
                            .num("min", (*min_items).max(1) as i64)
                            .num("max", *max_items as i64),
                    ),
                );
                if have >= (*min_items).max(1) {
                    screen = screen.row(vec![button(
                        i.t(lang, "wizard-upload-done"),
                        act(WizardOp::UploadsDone { param: pi }),
                    )]);
                }
            }
        }
        ParamKind::Dialogue {
            max_lines,
            max_line_len,
            voices,
            voice_labels,
        } => {
            let names: Vec<String> = voices
                .iter()
                .enumerate()
                .map(|(k, v)| {
                    let label = voice_labels
                        .get(v)
                        .map(|t| t.get(c).to_string())
                        .unwrap_or_else(|| v.clone());
                    format!("{} — {}", k + 1, escape(&label))
                })
                .collect();
            text.push_str(
                &i.tf(
                    lang,
                    "wizard-dialogue",
                    &Args::new()
                        .num("lines", *max_lines as i64)
                        .num("len", *max_line_len as i64)
                        .raw("voices", names.join("\n")),
                ),
            );
        }
    }
    text.push_str("\n\n");
    text.push_str(&price_line(ui, lang, model, w, settings));
    screen.text = text;
    let mut nav = Vec::new();
    if matches!(w.step, Step::Edit { .. }) {
        nav.push(button(
            i.t(lang, "wizard-back-settings"),
            act(WizardOp::Settings),
        ));
        let optional = !required_steps(model).iter().any(|r| r.name == p.name);
        if optional && (w.values.contains_key(&p.name) || w.uploads.contains_key(&p.name)) {
            nav.push(button(
                i.t(lang, "wizard-reset"),
                act(WizardOp::Default { param: pi }),
            ));
        }
    }
    nav.push(button(i.t(lang, "wizard-cancel"), act(WizardOp::Cancel)));
    screen.row(nav)
}

#[allow(clippy::too_many_arguments)]
fn preset_buttons(
    screen: Screen,
    p: &Param,
    pi: u8,
    current: Option<&Value>,
    default: Option<&Value>,
    ui: &Ui,
    lang: Lang,
    rev: u32,
) -> Screen {
    let buttons = presets(p)
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let mut label = value_text(v);
            if current.is_some_and(|c| same_number(c, v)) {
                label = format!("• {label}");
            }
            if default.is_some_and(|d| same_number(d, v)) {
                label.push_str(&ui.i18n.t(lang, "default-mark"));
            }
            button(
                label,
                Action::Wizard {
                    rev,
                    op: WizardOp::Preset {
                        param: pi,
                        index: k as u8,
                    },
                },
            )
        })
        .collect();
    screen.grid(buttons, 3)
}

fn same_number(a: &Value, b: &Value) -> bool {
    let d = |v: &Value| v.to_string().parse::<Decimal>().ok();
    d(a).is_some() && d(a) == d(b)
}

/// The settings screen: every parameter with its value, each a button to change it.
pub fn settings_screen(
    ui: &Ui,
    lang: Lang,
    model: &Model,
    w: &Wizard,
    settings: &Settings,
    notice: Option<String>,
) -> Screen {
    let i = &ui.i18n;
    let c = code(lang);
    let mut text = crate::keyboard::notice_prefix(notice);
    text.push_str(&i.tf(
        lang,
        "settings-title",
        &Args::new().text("model", model.title.get(c)),
    ));
    text.push('\n');
    let mut buttons = Vec::new();
    for (pi, p) in model.params.iter().enumerate() {
        let value = current_value(ui, lang, p, w);
        text.push_str(&format!("\n• {}: {}", escape(p.label.get(c)), value));
        let short = clip_to(&strip_tags(&value), 18);
        buttons.push(button(
            format!("✏️ {} · {}", clip_to(p.label.get(c), 18), short),
            Action::Wizard {
                rev: w.rev,
                op: WizardOp::Edit { param: pi as u8 },
            },
        ));
    }
    text.push_str("\n\n");
    text.push_str(&price_line(ui, lang, model, w, settings));
    Screen::new(text)
        .grid(buttons, 1)
        .row(vec![button(
            i.t(lang, "preset-save"),
            Action::Wizard {
                rev: w.rev,
                op: WizardOp::SavePreset,
            },
        )])
        .row(vec![
            button(
                i.t(lang, "wizard-continue"),
                Action::Wizard {
                    rev: w.rev,
                    op: WizardOp::Continue,
                },
            ),
            button(
                i.t(lang, "wizard-cancel"),
                Action::Wizard {
                    rev: w.rev,
                    op: WizardOp::Cancel,
                },
            ),
        ])
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Renders whatever step the wizard is at.
pub async fn render(
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    w: &Wizard,
    notice: Option<String>,
) -> anyhow::Result<Screen> {
    let settings = ui.settings().await?;
    Ok(match &w.step {
        Step::Param { name } | Step::Edit { name } => {
            step_screen(ui, ctx.lang, model, w, &settings, name, notice)
        }
        Step::Settings => settings_screen(ui, ctx.lang, model, w, &settings, notice),
        Step::Confirm | Step::Submitted { .. } => {
            confirm::confirm_screen(ui, ctx, model, w, &settings, notice)
                .await?
                .0
        }
    })
}

/// Moves a wizard to its next step after a value was set.
fn advance(model: &Model, w: &mut Wizard) {
    w.step = match (&w.step, next_missing(model, w)) {
        (Step::Param { .. }, Some(p)) => Step::Param {
            name: p.name.clone(),
        },
        (Step::Param { .. }, None) => {
            if settings_worth_showing(model) {
                Step::Settings
            } else {
                Step::Confirm
            }
        }
        _ => Step::Settings,
    };
}

/// A model whose every parameter is asked in the first pass goes straight to confirm.
fn settings_worth_showing(model: &Model) -> bool {
    let asked = required_steps(model);
    model
        .params
        .iter()
        .any(|p| !asked.iter().any(|a| a.name == p.name))
}

/// The first step of a new wizard for `model`.
pub fn first_step(model: &Model, w: &Wizard) -> Step {
    match next_missing(model, w) {
        Some(p) => Step::Param {
            name: p.name.clone(),
        },
        None if settings_worth_showing(model) => Step::Settings,
        None => Step::Confirm,
    }
}

/// Starts the wizard for `model` (the card's Generate button).
pub async fn start(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    model_id: &str,
) -> HandlerResult {
    let Some(model) = ui.on_sale(model_id).await? else {
        return crate::screens::catalog::show_card(bot, ui, ctx, at, model_id).await;
    };
    let mut w = Wizard::new(&model.id, Step::Settings);
    w.step = first_step(model, &w);
    let presets = ledger::presets(&mut *ui.db().await?, ctx.user.id, &model.id).await?;
    show_and_save_with(bot, ui, ctx, model, w, at, None, &presets).await
}

/// A wizard filled from a preset's parameters, exactly as history's re-run fills one (see
/// [`from_job`]): its non-file values (anything else in `input` is ignored), then the first
/// required step still missing (a file) or the confirm screen, which re-validates and re-prices.
pub fn from_preset(model: &Model, input: &Value) -> Wizard {
    let mut w = Wizard::new(&model.id, Step::Confirm);
    if let Some(obj) = input.as_object() {
        w.values = crate::screens::presets::preset_input(model, obj);
    }
    w.step = match next_missing(model, &w) {
        Some(p) => Step::Param {
            name: p.name.clone(),
        },
        None => Step::Confirm,
    };
    w
}

/// Shows the wizard (editing `at`, or its own message, or a new one) and stores the state.
pub async fn show_and_save(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    w: Wizard,
    at: Option<MessageId>,
    notice: Option<String>,
) -> HandlerResult {
    show_and_save_with(bot, ui, ctx, model, w, at, notice, &[]).await
}

/// [`show_and_save`], offering the user's `presets` of the model first (the first screen).
#[allow(clippy::too_many_arguments)]
pub async fn show_and_save_with(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    mut w: Wizard,
    at: Option<MessageId>,
    notice: Option<String>,
    presets: &[ledger::Preset],
) -> HandlerResult {
    let screen = if matches!(w.step, Step::Confirm) {
        let settings = ui.settings().await?;
        let (screen, key) = confirm::confirm_screen(ui, ctx, model, &w, &settings, notice).await?;
        if let Some(k) = key {
            w.confirm_key = Some(k.key);
            w.confirm_price = Some(k.price);
            w.confirm_free = k.free;
        }
        screen
    } else {
        // Anything but the confirm screen may change the order: the next confirm gets a new key.
        w.confirm_key = None;
        w.confirm_price = None;
        w.confirm_free = false;
        render(ui, ctx, model, &w, notice).await?
    };
    let screen = crate::screens::presets::with_presets(ui, ctx.lang, screen, presets);
    let id = send::show(bot, ctx.chat, at, &screen).await?;
    w.message_id = Some(id.0);
    let state = State {
        mode: Mode::Normal,
        wizard: Some(w),
    };
    state.save(&mut *ui.db().await?, ctx.chat.0).await?;
    Ok(())
}

/// A wizard button.
pub async fn on_button(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    message: MessageId,
    rev: u32,
    op: WizardOp,
) -> HandlerResult {
    let state = State::entry(ctx);
    let Some(mut w) = state.wizard.filter(|w| w.rev == rev) else {
        return stale(bot, ui, ctx, q).await;
    };
    let Some(model) = ui.on_sale(&w.model).await? else {
        // Taken off sale while the wizard was open: it cannot run, so it is closed.
        State::default()
            .save(&mut *ui.db().await?, ctx.chat.0)
            .await?;
        return answer(bot, q, Some(ui.i18n.t(ctx.lang, "model-gone"))).await;
    };
    let param = |i: u8| model.params.get(usize::from(i));
    let at = Some(message);
    match op {
        WizardOp::Cancel => {
            answer(bot, q, None).await?;
            State::default()
                .save(&mut *ui.db().await?, ctx.chat.0)
                .await?;
            let mut screen = crate::screens::menu::menu_for(ui, ctx).await?;
            screen.text = format!("{}\n\n{}", ui.i18n.t(ctx.lang, "cancelled"), screen.text);
            send::show(bot, ctx.chat, at, &screen).await?;
            return Ok(());
        }
        WizardOp::Run => {
            return confirm::run(bot, ui, ctx, q, message, model, w).await;
        }
        _ if matches!(w.step, Step::Submitted { .. }) => {
            return answer(bot, q, Some(ui.i18n.t(ctx.lang, "already-running"))).await;
        }
        WizardOp::Choose { param: pi, value } => {
            let Some(p) = param(pi) else {
                return stale(bot, ui, ctx, q).await;
            };
            let ParamKind::Choice { values, .. } = &p.kind else {
                return stale(bot, ui, ctx, q).await;
            };
            let Some(v) = values.get(usize::from(value)) else {
                return stale(bot, ui, ctx, q).await;
            };
            w.values.insert(p.name.clone(), v.clone());
            advance(model, &mut w);
        }
        WizardOp::Toggle { param: pi, on } => {
            let Some(p) = param(pi).filter(|p| matches!(p.kind, ParamKind::Toggle { .. })) else {
                return stale(bot, ui, ctx, q).await;
            };
            w.values.insert(p.name.clone(), Value::Bool(on));
            advance(model, &mut w);
        }
        WizardOp::Preset { param: pi, index } => {
            let Some(p) = param(pi) else {
                return stale(bot, ui, ctx, q).await;
            };
            let Some(v) = presets(p).get(usize::from(index)).cloned() else {
                return stale(bot, ui, ctx, q).await;
            };
            w.values.insert(p.name.clone(), v);
            advance(model, &mut w);
        }
        WizardOp::Default { param: pi } => {
            let Some(p) = param(pi) else {
                return stale(bot, ui, ctx, q).await;
            };
            if required_steps(model).iter().any(|r| r.name == p.name) {
                return stale(bot, ui, ctx, q).await;
            }
            w.values.remove(&p.name);
            w.uploads.remove(&p.name);
            w.step = Step::Settings;
        }
        WizardOp::UploadsDone { param: pi } => {
            let Some(p) = param(pi) else {
                return stale(bot, ui, ctx, q).await;
            };
            let ParamKind::Upload { min_items, .. } = p.kind else {
                return stale(bot, ui, ctx, q).await;
            };
            if w.uploads.get(&p.name).map_or(0, Vec::len) < min_items.max(1) as usize {
                return answer(bot, q, Some(ui.i18n.t(ctx.lang, "upload-need-more"))).await;
            }
            advance(model, &mut w);
        }
        WizardOp::Edit { param: pi } => {
            let Some(p) = param(pi) else {
                return stale(bot, ui, ctx, q).await;
            };
            w.step = Step::Edit {
                name: p.name.clone(),
            };
        }
        WizardOp::Settings => w.step = Step::Settings,
        WizardOp::SavePreset => {
            if !matches!(w.step, Step::Settings | Step::Confirm) || validated(model, &w).is_err() {
                return answer(bot, q, Some(ui.i18n.t(ctx.lang, "preset-incomplete"))).await;
            }
            answer(bot, q, None).await?;
            let back = Action::Wizard {
                rev: w.rev,
                op: WizardOp::Settings,
            };
            return crate::screens::presets::ask_name(bot, ui, ctx, model, None, back).await;
        }
        WizardOp::Continue => {
            answer(bot, q, None).await?;
            return go_confirm(bot, ui, ctx, model, w, at).await;
        }
    }
    answer(bot, q, None).await?;
    show_and_save(bot, ui, ctx, model, w, at, None).await
}

/// Validates everything and shows the confirm screen, or the first parameter at fault.
pub async fn go_confirm(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    mut w: Wizard,
    at: Option<MessageId>,
) -> HandlerResult {
    if let Some(p) = next_missing(model, &w) {
        w.step = Step::Param {
            name: p.name.clone(),
        };
        return show_and_save(bot, ui, ctx, model, w, at, None).await;
    }
    match validated(model, &w) {
        Ok(_) => {
            w.step = Step::Confirm;
            show_and_save(bot, ui, ctx, model, w, at, None).await
        }
        Err(errors) => {
            let first = &errors[0];
            let name = first.field.split('/').next().unwrap_or("").to_string();
            let notice = Some(input_error_text(ui, ctx.lang, model, first));
            w.step = if model.param(&name).is_some() {
                Step::Edit { name }
            } else {
                Step::Settings
            };
            show_and_save(bot, ui, ctx, model, w, at, notice).await
        }
    }
}

/// A validation error in the user's words.
pub fn input_error_text(ui: &Ui, lang: Lang, model: &Model, e: &catalog::InputError) -> String {
    use catalog::InputErrorKind as K;
    let name = e.field.split('/').next().unwrap_or("");
    let label = model
        .param(name)
        .map(|p| p.label.get(code(lang)).to_string())
        .unwrap_or_else(|| name.to_string());
    let args = Args::new().text("param", label);
    match &e.kind {
        K::Required => ui.i18n.tf(lang, "error-required", &args),
        K::TooLong { max } => ui
            .i18n
            .tf(lang, "error-too-long", &args.num("max", *max as i64)),
        K::TooShort { min } => ui
            .i18n
            .tf(lang, "error-too-short", &args.num("min", *min as i64)),
        K::BelowMinimum { min } => {
            ui.i18n
                .tf(lang, "error-below-min", &args.raw("min", value_text(min)))
        }
        K::AboveMaximum { max } => {
            ui.i18n
                .tf(lang, "error-above-max", &args.raw("max", value_text(max)))
        }
        _ => ui.i18n.tf(lang, "error-invalid", &args),
    }
}

/// A message while a wizard is open: the value for the current step.
pub async fn input(bot: &UiBot, ui: &Ui, ctx: &Ctx, state: State, msg: &Message) -> HandlerResult {
    let Some(mut w) = state.wizard else {
        return Ok(());
    };
    let Some(model) = ui.on_sale(&w.model).await? else {
        State::default()
            .save(&mut *ui.db().await?, ctx.chat.0)
            .await?;
        return crate::screens::menu::unexpected_input(bot, ui, ctx).await;
    };
    let name = match &w.step {
        Step::Param { name } | Step::Edit { name } => name.clone(),
        Step::Submitted { .. } | Step::Settings | Step::Confirm => {
            let notice = ui.i18n.t(ctx.lang, "wizard-use-buttons");
            return show_and_save(bot, ui, ctx, model, w, None, Some(notice)).await;
        }
    };
    let Some(p) = model.param(&name) else {
        return show_and_save(bot, ui, ctx, model, w, None, None).await;
    };
    let outcome = match &p.kind {
        ParamKind::Upload { .. } => read_upload(ui, ctx.lang, p, msg, &mut w),
        _ => match msg.text() {
            Some(text) => read_text(ui, ctx.lang, p, text, &mut w),
            None => Err(ui.i18n.t(ctx.lang, "wizard-expect-text")),
        },
    };
    match outcome {
        Ok(StepDone::Advance) => advance(model, &mut w),
        Ok(StepDone::Stay) => {}
        Err(notice) => {
            let notice = format!("⚠️ {notice}");
            return show_and_save(bot, ui, ctx, model, w, None, Some(notice)).await;
        }
    }
    show_and_save(bot, ui, ctx, model, w, None, None).await
}

enum StepDone {
    Advance,
    Stay,
}

fn read_text(
    ui: &Ui,
    lang: Lang,
    p: &Param,
    text: &str,
    w: &mut Wizard,
) -> Result<StepDone, String> {
    let i = &ui.i18n;
    let value = match &p.kind {
        ParamKind::Text {
            min_len, max_len, ..
        } => {
            let len = text.chars().count() as u64;
            if len > *max_len {
                return Err(i.tf(
                    lang,
                    "error-text-too-long",
                    &Args::new()
                        .num("len", len as i64)
                        .num("max", *max_len as i64),
                ));
            }
            if len < (*min_len).max(1) || text.trim().is_empty() {
                return Err(i.tf(
                    lang,
                    "error-text-too-short",
                    &Args::new().num("min", (*min_len).max(1) as i64),
                ));
            }
            Value::String(text.to_string())
        }
        ParamKind::Integer { min, max, .. } => {
            let n: i64 = text
                .trim()
                .replace([' ', '\u{a0}'], "")
                .parse()
                .map_err(|_| i.t(lang, "error-not-a-number"))?;
            if n < *min || n > *max {
                return Err(i.tf(
                    lang,
                    "error-out-of-range",
                    &Args::new()
                        .raw("min", min.to_string())
                        .raw("max", max.to_string()),
                ));
            }
            json!(n)
        }
        ParamKind::Number { min, max, .. } => {
            let d: Decimal = text
                .trim()
                .replace(',', ".")
                .parse()
                .map_err(|_| i.t(lang, "error-not-a-number"))?;
            if d < *min || d > *max {
                return Err(i.tf(
                    lang,
                    "error-out-of-range",
                    &Args::new()
                        .raw("min", min.normalize().to_string())
                        .raw("max", max.normalize().to_string()),
                ));
            }
            decimal_json(d)
        }
        ParamKind::Choice { values, .. } => {
            let typed = text.trim().to_lowercase();
            values
                .iter()
                .find(|v| {
                    value_text(v).to_lowercase() == typed
                        || show_value(ui, lang, p, v).to_lowercase() == typed
                })
                .cloned()
                .ok_or_else(|| i.t(lang, "wizard-use-buttons"))?
        }
        ParamKind::Toggle { .. } => return Err(i.t(lang, "wizard-use-buttons")),
        ParamKind::Dialogue {
            max_lines,
            max_line_len,
            voices,
            ..
        } => Value::Array(parse_dialogue(
            ui,
            lang,
            text,
            *max_lines,
            *max_line_len,
            voices,
        )?),
        ParamKind::Upload { .. } => return Err(i.t(lang, "wizard-expect-file")),
    };
    w.values.insert(p.name.clone(), value);
    Ok(StepDone::Advance)
}

/// Lines "N: text" (N = voice number); a line without a number keeps the previous voice.
fn parse_dialogue(
    ui: &Ui,
    lang: Lang,
    text: &str,
    max_lines: u64,
    max_len: u64,
    voices: &[String],
) -> Result<Vec<Value>, String> {
    let i = &ui.i18n;
    let mut out = Vec::new();
    let mut voice = 0usize;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (v, said) = match line.split_once([':', '.', ')']) {
            Some((n, rest))
                if n.trim().chars().all(|c| c.is_ascii_digit()) && !n.trim().is_empty() =>
            {
                let n: usize = n.trim().parse().unwrap_or(0);
                if n == 0 || n > voices.len() {
                    return Err(i.tf(
                        lang,
                        "error-voice",
                        &Args::new().num("max", voices.len() as i64),
                    ));
                }
                (n - 1, rest.trim())
            }
            _ => (voice, line),
        };
        voice = v;
        if said.chars().count() as u64 > max_len {
            return Err(i.tf(
                lang,
                "error-line-too-long",
                &Args::new().num("max", max_len as i64),
            ));
        }
        if said.is_empty() {
            continue;
        }
        out.push(json!({"text": said, "voice": voices[v]}));
    }
    if out.is_empty() {
        return Err(i.t(lang, "error-no-lines"));
    }
    if out.len() as u64 > max_lines {
        return Err(i.tf(
            lang,
            "error-too-many-lines",
            &Args::new().num("max", max_lines as i64),
        ));
    }
    Ok(out)
}

/// What a message carries as a file.
struct Incoming {
    media: MediaKind,
    file_id: String,
    size: u64,
    name: String,
    mime: String,
    seconds: Option<u32>,
}

impl Incoming {
    /// A video, audio or voice message's file, with fallbacks for what Telegram left out.
    fn media(
        media: MediaKind,
        file: &teloxide::types::FileMeta,
        name: &str,
        mime: Option<String>,
        default_mime: &str,
        seconds: Option<u32>,
    ) -> Incoming {
        Incoming {
            media,
            file_id: file.id.to_string(),
            size: u64::from(file.size),
            name: name.to_string(),
            mime: mime.unwrap_or_else(|| default_mime.to_string()),
            seconds,
        }
    }
}

fn incoming(msg: &Message) -> Option<Incoming> {
    if let Some(sizes) = msg.photo() {
        let best = sizes.iter().max_by_key(|s| s.width * s.height)?;
        return Some(Incoming {
            media: MediaKind::Image,
            file_id: best.file.id.to_string(),
            size: u64::from(best.file.size),
            name: "photo.jpg".into(),
            mime: "image/jpeg".into(),
            seconds: None,
        });
    }
    if let Some(v) = msg.video() {
        return Some(Incoming::media(
            MediaKind::Video,
            &v.file,
            v.file_name.as_deref().unwrap_or("video.mp4"),
            v.mime_type.as_ref().map(|m| m.to_string()),
            "video/mp4",
            Some(v.duration.seconds()),
        ));
    }
    if let Some(a) = msg.audio() {
        return Some(Incoming::media(
            MediaKind::Audio,
            &a.file,
            a.file_name.as_deref().unwrap_or("audio.mp3"),
            a.mime_type.as_ref().map(|m| m.to_string()),
            "audio/mpeg",
            Some(a.duration.seconds()),
        ));
    }
    if let Some(v) = msg.voice() {
        return Some(Incoming::media(
            MediaKind::Audio,
            &v.file,
            "voice.ogg",
            v.mime_type.as_ref().map(|m| m.to_string()),
            "audio/ogg",
            Some(v.duration.seconds()),
        ));
    }
    if let Some(d) = msg.document() {
        let mime = d
            .mime_type
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let media = if mime.starts_with("image/") {
            MediaKind::Image
        } else if mime.starts_with("video/") {
            MediaKind::Video
        } else if mime.starts_with("audio/") {
            MediaKind::Audio
        } else {
            // A document of another type: refused below as the wrong kind, by its extension.
            MediaKind::Image
        };
        let known =
            mime.starts_with("image/") || mime.starts_with("video/") || mime.starts_with("audio/");
        return Some(Incoming {
            media,
            file_id: d.file.id.to_string(),
            size: u64::from(d.file.size),
            name: d.file_name.clone().unwrap_or_else(|| "file".into()),
            mime: if known { mime } else { String::new() },
            seconds: None,
        });
    }
    None
}

fn extension(name: &str, mime: &str) -> String {
    let from_name = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !from_name.is_empty() {
        return from_name;
    }
    mime.rsplit('/').next().unwrap_or("").to_ascii_lowercase()
}

fn format_allowed(formats: &[String], ext: &str) -> bool {
    if formats.is_empty() {
        return true;
    }
    let alias = |e: &str| match e {
        "jpeg" => "jpg".to_string(),
        "oga" | "opus" => "ogg".to_string(),
        "mpeg" => "mp3".to_string(),
        "x-wav" | "wave" => "wav".to_string(),
        "x-m4a" | "mp4a" => "m4a".to_string(),
        "quicktime" => "mov".to_string(),
        other => other.to_string(),
    };
    let ext = alias(ext);
    formats
        .iter()
        .any(|f| alias(&f.to_ascii_lowercase()) == ext)
}

fn read_upload(
    ui: &Ui,
    lang: Lang,
    p: &Param,
    msg: &Message,
    w: &mut Wizard,
) -> Result<StepDone, String> {
    let i = &ui.i18n;
    let ParamKind::Upload {
        media,
        max_items,
        max_bytes,
        formats,
        max_seconds,
        ..
    } = &p.kind
    else {
        return Err(i.t(lang, "wizard-expect-text"));
    };
    let expected = media_word(ui, lang, *media);
    let Some(file) = incoming(msg) else {
        return Err(i.tf(
            lang,
            "error-expect-file",
            &Args::new().raw("kind", expected),
        ));
    };
    if file.media != *media || file.mime.is_empty() {
        return Err(i.tf(lang, "error-wrong-kind", &Args::new().raw("kind", expected)));
    }
    let ext = extension(&file.name, &file.mime);
    if !format_allowed(formats, &ext) {
        return Err(i.tf(
            lang,
            "error-wrong-format",
            &Args::new().text("ext", ext.to_uppercase()).raw(
                "formats",
                formats
                    .iter()
                    .map(|f| f.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ));
    }
    let limit = (*max_bytes).min(ui.config.max_download_bytes);
    if file.size > limit {
        return Err(i.tf(
            lang,
            "error-too-big",
            &Args::new().raw("size", mb(file.size)).raw("max", mb(limit)),
        ));
    }
    if let (Some(max), Some(s)) = (max_seconds, file.seconds)
        && u64::from(s) > *max
    {
        return Err(i.tf(
            lang,
            "error-too-long-media",
            &Args::new()
                .num("seconds", i64::from(s))
                .num("max", *max as i64),
        ));
    }
    let upload = Upload::Telegram {
        file_id: file.file_id,
        size: file.size,
        name: file.name,
        mime: file.mime,
        seconds: file.seconds,
    };
    let files = w.uploads.entry(p.name.clone()).or_default();
    if *max_items <= 1 {
        files.clear();
        files.push(upload);
        return Ok(StepDone::Advance);
    }
    if files.len() as u64 >= *max_items {
        return Err(i.tf(
            lang,
            "error-too-many-files",
            &Args::new().num("max", *max_items as i64),
        ));
    }
    files.push(upload);
    Ok(if files.len() as u64 >= *max_items {
        StepDone::Advance
    } else {
        StepDone::Stay
    })
}

/// How long a file on Kie's upload host can be reused for a re-run (Kie deletes uploads after
/// three days; a day of margin).
pub const UPLOAD_REUSE: chrono::Duration = chrono::Duration::days(2);

/// A wizard for re-running an earlier job: its parameters, and its files as the URLs Kie's
/// upload host gave them while those still live (else the wizard asks for the files again).
/// The registry's fixed inputs are not copied (the pipeline adds them at submit).
pub fn from_job(
    model: &Model,
    job: &ledger::Job,
    uploaded: &[ledger::JobUpload],
    keep_prompt: bool,
) -> Wizard {
    let mut w = Wizard::new(&model.id, Step::Confirm);
    let fresh = chrono::Utc::now() - job.created_at < UPLOAD_REUSE;
    if let Some(obj) = job.input.as_object() {
        for p in &model.params {
            let Some(v) = obj.get(&p.name) else { continue };
            match &p.kind {
                ParamKind::Upload { .. } => {
                    let mut files: Vec<&ledger::JobUpload> =
                        uploaded.iter().filter(|u| u.param == p.name).collect();
                    files.sort_by_key(|u| u.position);
                    let urls: Option<Vec<Upload>> = files
                        .iter()
                        .map(|u| u.kie_url.clone().map(|url| Upload::Url { url }))
                        .collect();
                    // Values that are already URLs (a re-run of a re-run) carry over as is.
                    let direct: Vec<Upload> = match v {
                        Value::Array(a) => a.iter().filter_map(|x| x.as_str()).collect(),
                        Value::String(u) => vec![u.as_str()],
                        _ => Vec::new(),
                    }
                    .into_iter()
                    .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                    .map(|u| Upload::Url { url: u.to_string() })
                    .collect();
                    let chosen = match urls {
                        Some(u) if !u.is_empty() => u,
                        _ => direct,
                    };
                    if fresh && !chosen.is_empty() {
                        w.uploads.insert(p.name.clone(), chosen);
                    }
                }
                _ => {
                    let is_prompt = model.prompt_param().is_some_and(|pp| pp.name == p.name);
                    if keep_prompt || !is_prompt {
                        w.values.insert(p.name.clone(), v.clone());
                    }
                }
            }
        }
    }
    w.step = match next_missing(model, &w) {
        Some(p) => Step::Param {
            name: p.name.clone(),
        },
        None => Step::Confirm,
    };
    w
}

/// For the confirm screen: each parameter with its value (escaped).
pub fn summary(ui: &Ui, lang: Lang, model: &Model, w: &Wizard) -> String {
    let c = code(lang);
    model
        .params
        .iter()
        .map(|p| {
            format!(
                "• {}: {}",
                escape(p.label.get(c)),
                current_value(ui, lang, p, w)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
