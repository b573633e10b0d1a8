//! The confirm screen (parameters, price with its breakdown, balance before and after or the
//! free quota; Run / Edit / Cancel) and Run itself: the user's files are downloaded, the order
//! goes to the pipeline with the price this screen showed, and the confirm message becomes the
//! progress message.
//!
//! A second tap on Run carries the same idempotency key and finds the first job; the pipeline
//! refuses to charge a price other than the one shown.

use catalog::Model;
use generation::{InputFile, Order, Progress, Submission};
use ledger::FreeLimits;
use pricing::{FreeStatus, Money, Settings};
use rust_decimal::Decimal;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{CallbackQueryId, MessageId};

use crate::callback::{Action, WizardOp};
use crate::deliver::progress_screen;
use crate::i18n::{Args, code, fmt_when};
use crate::keyboard::{Screen, button};
use crate::screens::wizard::{self, show_and_save};
use crate::screens::{answer, stale};
use crate::state::{Mode, State, Step, Upload, Wizard};
use crate::{Ui, UiBot};
use tg_kit::send;
use tg_kit::{Ctx, HandlerResult};

/// What a confirm screen committed to: its idempotency key, price and whether it is free.
#[derive(Clone, Debug)]
pub struct ConfirmKey {
    /// The key the pipeline creates the job under.
    pub key: String,
    /// The price shown (zero for a free run).
    pub price: Decimal,
    /// A free run.
    pub free: bool,
}

/// The confirm screen, and the key it commits to (none when the input no longer validates).
pub async fn confirm_screen(
    ui: &Ui,
    ctx: &Ctx,
    model: &Model,
    w: &Wizard,
    settings: &Settings,
    notice: Option<String>,
) -> anyhow::Result<(Screen, Option<ConfirmKey>)> {
    let lang = ctx.lang;
    let i = &ui.i18n;
    let c = code(lang);
    let act = |op| Action::Wizard { rev: w.rev, op };
    let quote = match wizard::validated(model, w) {
        Ok(v) => model.quote(&v, &settings.pricing).ok(),
        Err(_) => None,
    };
    let Some(quote) = quote else {
        let screen = Screen::new(i.t(lang, "confirm-incomplete")).row(vec![
            button(i.t(lang, "confirm-edit"), act(WizardOp::Settings)),
            button(i.t(lang, "wizard-cancel"), act(WizardOp::Cancel)),
        ]);
        return Ok((screen, None));
    };
    let is_free_model = ui.store().await?.is_free(&model.id);
    let (balance, used, budget_spent) = {
        let mut conn = ui.db().await?;
        let balance = ledger::balance(&mut conn, ctx.user.id).await?;
        // Today's free budget (if any) with too little left for this run: offered paid.
        let budget_spent = match settings.free.daily_budget_usd {
            Some(budget) if is_free_model => {
                let today = chrono::Utc::now().date_naive();
                ledger::free_budget_spent(&mut conn, today).await? + quote.cost_usd > budget
            }
            _ => false,
        };
        let used = if is_free_model {
            Some(ledger::free_quota(&mut conn, ctx.user.id, &model.id, chrono::Utc::now()).await?)
        } else {
            None
        };
        (balance, used, budget_spent)
    };
    let status = match used {
        Some(_) if budget_spent => FreeStatus::NotFree,
        Some(used) => settings.free.status(true, used),
        None => FreeStatus::NotFree,
    };
    let free = matches!(status, FreeStatus::Free { .. });
    let mut text = crate::keyboard::notice_prefix(notice);
    text.push_str(&i.tf(
        lang,
        "confirm-title",
        &Args::new().text("model", model.title.get(c)),
    ));
    text.push('\n');
    text.push_str(&wizard::summary(ui, lang, model, w));
    text.push_str("\n\n");
    let breakdown = quote.breakdown.render(c, |param, v| {
        model
            .param(param)
            .map(|p| wizard::show_value(ui, lang, p, v))
            .unwrap_or_else(|| v.to_string())
    });
    let mut short = false;
    match status {
        FreeStatus::Free { left } => {
            text.push_str(
                &i.tf(
                    lang,
                    "confirm-free",
                    &Args::new()
                        .num("left", i64::from(left))
                        .money("price", lang, quote.price),
                ),
            );
        }
        _ => {
            // A fixed price has nothing to break down: no empty "()".
            let id = if breakdown.is_empty() {
                "confirm-price-fixed"
            } else {
                "confirm-price"
            };
            text.push_str(
                &i.tf(
                    lang,
                    id,
                    &Args::new()
                        .money("price", lang, quote.price)
                        .text("breakdown", &breakdown),
                ),
            );
            if status == FreeStatus::QuotaUsed {
                text.push('\n');
                text.push_str(&i.t(lang, "confirm-free-used"));
            }
            if budget_spent {
                text.push('\n');
                text.push_str(&i.t(lang, "free-budget-spent"));
            }
            text.push('\n');
            match balance.available.checked_sub(quote.price) {
                Some(after) => text.push_str(
                    &i.tf(
                        lang,
                        "confirm-balance",
                        &Args::new()
                            .money("before", lang, balance.available)
                            .money("after", lang, after),
                    ),
                ),
                None => {
                    short = true;
                    let missing = Money::ceil(quote.price.amount() - balance.available.amount());
                    text.push_str(
                        &i.tf(
                            lang,
                            "confirm-short",
                            &Args::new()
                                .money("available", lang, balance.available)
                                .money("missing", lang, missing),
                        ),
                    );
                }
            }
        }
    }
    if !quote.confirmed {
        text.push('\n');
        text.push_str(&i.t(lang, "card-preliminary"));
    }
    let price = if free {
        Decimal::ZERO
    } else {
        quote.price.amount()
    };
    let key = match (&w.confirm_key, w.confirm_price) {
        (Some(k), Some(p)) if p == price && w.confirm_free == free => k.clone(),
        _ => format!("{}:{}:{:016x}", ctx.chat.0, w.rev, fastrand::u64(..)),
    };
    let run_label = if free {
        i.t(lang, "confirm-run-free")
    } else {
        i.tf(
            lang,
            "confirm-run",
            &Args::new().money("price", lang, quote.price),
        )
    };
    let mut screen = Screen::new(text).row(vec![button(run_label, act(WizardOp::Run))]);
    if short {
        screen = screen.row(top_up_buttons(
            ui,
            ctx,
            settings,
            balance.available,
            quote.price,
        ));
    }
    screen = screen.row(vec![button(
        i.t(lang, "preset-save"),
        act(WizardOp::SavePreset),
    )]);
    screen = screen.row(vec![
        button(i.t(lang, "confirm-edit"), act(WizardOp::Settings)),
        button(i.t(lang, "wizard-cancel"), act(WizardOp::Cancel)),
    ]);
    Ok((screen, Some(ConfirmKey { key, price, free })))
}

/// "Top up N ⭐" for the smallest preset covering what is missing, and "Other amount".
fn top_up_buttons(
    ui: &Ui,
    ctx: &Ctx,
    settings: &Settings,
    available: Money,
    price: Money,
) -> Vec<teloxide::types::InlineKeyboardButton> {
    let missing = Money::ceil(price.amount() - available.amount());
    let needed = settings
        .stars
        .stars_for_rub(missing)
        .max(ui.config.min_stars);
    let stars = ui
        .config
        .star_presets
        .iter()
        .copied()
        .find(|s| *s >= needed)
        .unwrap_or(needed)
        .min(ui.config.max_stars);
    vec![
        button(
            ui.i18n.tf(
                ctx.lang,
                "topup-stars-button",
                &Args::new().num("stars", i64::from(stars)).money(
                    "rub",
                    ctx.lang,
                    settings.stars.rub_for_stars(stars),
                ),
            ),
            Action::TopUpStars { stars },
        ),
        button(ui.i18n.t(ctx.lang, "topup-other"), Action::TopUp),
    ]
}

/// Run: downloads the user's files, submits, and turns the confirm message into progress.
pub async fn run(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    message: MessageId,
    model: &Model,
    mut w: Wizard,
) -> HandlerResult {
    if let Step::Submitted { .. } = w.step {
        return answer(bot, q, Some(ui.i18n.t(ctx.lang, "already-running"))).await;
    }
    let (Step::Confirm, Some(key), Some(price)) = (&w.step, w.confirm_key.clone(), w.confirm_price)
    else {
        return stale(bot, ui, ctx, q).await;
    };
    answer(bot, q, Some(ui.i18n.t(ctx.lang, "run-started"))).await?;
    // Read fresh, not from the few-seconds cache: these are the settings the charge uses.
    let settings = ledger::effective_settings(&mut *ui.db().await?, &ui.base_settings).await?;
    let input = match wizard::validated(model, &w) {
        Ok(v) => v,
        Err(_) => return wizard::go_confirm(bot, ui, ctx, model, w, Some(message)).await,
    };
    // The files, as bytes: the Telegram URL contains the bot token and never leaves us.
    let mut files = Vec::new();
    for (name, uploads) in &w.uploads {
        for (pos, u) in uploads.iter().enumerate() {
            let Upload::Telegram {
                file_id,
                size,
                name: file_name,
                mime,
                ..
            } = u
            else {
                continue;
            };
            match download(bot, file_id, *size, ui.config.max_download_bytes).await {
                Ok(bytes) => files.push(InputFile {
                    param: name.clone(),
                    position: pos as u32,
                    file_name: file_name.clone(),
                    mime: mime.clone(),
                    bytes,
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "downloading a user's file failed");
                    let name = name.clone();
                    w.uploads.remove(&name);
                    w.step = Step::Edit { name };
                    let notice = ui.i18n.t(ctx.lang, "error-download");
                    return show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice))
                        .await;
                }
            }
        }
    }
    let order = Order {
        user: ctx.user.id,
        idempotency_key: key,
        input,
        files,
        free: w.confirm_free.then(|| FreeLimits::from(&settings.free)),
        expected_price: (!w.confirm_free).then(|| Money::ceil(price)),
        chat_id: Some(ctx.chat.0),
        progress_message_id: Some(message.0),
    };
    let submission = ui.pipeline.submit(order, &settings.pricing).await?;
    let lang = ctx.lang;
    let i = &ui.i18n;
    match submission {
        Submission::Queued { job, position } => {
            show_progress(bot, ui, ctx, message, &job, position).await?;
            w.step = Step::Submitted { job: job.id.0 };
            save(ui, ctx, w).await
        }
        Submission::AlreadySubmitted { job } => {
            let position = ui
                .pipeline
                .status(job.id)
                .await?
                .and_then(|s| s.position)
                .unwrap_or(0);
            show_progress(bot, ui, ctx, message, &job, position).await?;
            w.step = Step::Submitted { job: job.id.0 };
            save(ui, ctx, w).await
        }
        Submission::InsufficientFunds { available, missing } => {
            let notice = i.tf(
                lang,
                "run-short",
                &Args::new()
                    .money("available", lang, available)
                    .money("missing", lang, missing),
            );
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        Submission::FreeQuotaUsed { resets_at } => {
            let notice = i.tf(
                lang,
                "run-free-used",
                &Args::new().raw("when", fmt_when(lang, resets_at)),
            );
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        Submission::FreeBudgetSpent => {
            let notice = i.t(lang, "free-budget-spent");
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        Submission::PriceChanged { price } => {
            let notice = i.tf(
                lang,
                "run-price-changed",
                &Args::new().money("price", lang, price),
            );
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        Submission::Paused => {
            let notice = i.t(lang, "run-paused");
            show_and_save(bot, ui, ctx, model, w, Some(message), Some(notice)).await
        }
        Submission::ModelUnavailable => {
            State::default()
                .save(&mut *ui.db().await?, ctx.chat.0)
                .await?;
            let screen = Screen::new(i.t(lang, "model-gone"))
                .row(vec![button(i.t(lang, "back-menu"), Action::Menu)]);
            send::show(bot, ctx.chat, Some(message), &screen).await?;
            Ok(())
        }
    }
}

async fn save(ui: &Ui, ctx: &Ctx, w: Wizard) -> HandlerResult {
    State {
        mode: Mode::Normal,
        wizard: Some(w),
    }
    .save(&mut *ui.db().await?, ctx.chat.0)
    .await
}

async fn show_progress(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    message: MessageId,
    job: &ledger::Job,
    position: i64,
) -> HandlerResult {
    let eta = ui.pipeline.status(job.id).await?.and_then(|s| s.eta);
    let title = ui
        .catalog
        .get(&job.model_id)
        .map(|m| m.title.get(code(ctx.lang)).to_string())
        .unwrap_or_else(|| job.model_id.clone());
    let progress = if job.state.is_final() || job.submitted_at.is_some() {
        Progress::Generating {
            elapsed: std::time::Duration::ZERO,
            eta,
        }
    } else {
        Progress::Queued { position, eta }
    };
    let screen = progress_screen(&ui.i18n, ctx.lang, job, &title, &progress);
    send::edit(bot, ctx.chat, message, &screen).await?;
    Ok(())
}

/// Downloads a user's file from Telegram (refusing anything over `max` bytes).
async fn download(bot: &UiBot, file_id: &str, size: u64, max: u64) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(size <= max, "file of {size} bytes is over the {max} limit");
    let file = bot
        .api()
        .get_file(teloxide::types::FileId(file_id.to_string()))
        .await?;
    let mut bytes = Vec::with_capacity(file.size as usize);
    bot.api().download_file(&file.path, &mut bytes).await?;
    anyhow::ensure!(bytes.len() as u64 <= max, "file over the limit");
    Ok(bytes)
}
