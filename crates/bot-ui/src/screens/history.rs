//! History: the user's jobs, newest first, paged; one job's details with Run again, Same
//! settings with a new prompt, and Send the result again. Job buttons act only for the job's
//! owner: anyone else's job id is a stale button.

use ledger::{Job, JobId, JobState};
use teloxide::types::{CallbackQueryId, MessageId};
use teloxide::utils::html::escape;

use crate::callback::{Action, JobOp};
use crate::i18n::{Args, Lang, code, fmt_money, fmt_when};
use crate::keyboard::{Screen, button};
use crate::screens::wizard::{self, show_and_save};
use crate::screens::{answer, stale};
use crate::{Ui, UiBot};
use tg_kit::send;
use tg_kit::{Ctx, HandlerResult};

/// The status of a job in words.
pub fn state_text(ui: &Ui, lang: Lang, job: &Job) -> String {
    ui.i18n
        .t(lang, &format!("job-state-{}", job.state.as_str()))
}

fn title(ui: &Ui, lang: Lang, job: &Job) -> String {
    ui.catalog
        .get(&job.model_id)
        .map(|m| m.title.get(code(lang)).to_string())
        .unwrap_or_else(|| job.model_id.clone())
}

/// What the job cost the user, in words.
fn money_text(ui: &Ui, lang: Lang, job: &Job) -> String {
    let args = Args::new().money("price", lang, job.price);
    if job.is_free {
        ui.i18n.t(lang, "job-free")
    } else if job.state == JobState::Created {
        // Never held (Run met an empty balance): nothing was or is taken.
        ui.i18n.t(lang, "job-not-charged")
    } else if matches!(job.state, JobState::Succeeded | JobState::Delivered) && !job.late_success {
        ui.i18n.tf(lang, "job-charged", &args)
    } else if job.state.is_final() {
        ui.i18n.tf(lang, "job-refunded", &args)
    } else {
        ui.i18n.tf(lang, "job-held", &args)
    }
}

/// A page of the history.
pub async fn show_page(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    before: Option<i64>,
) -> HandlerResult {
    let size = ui.config.page_size.max(1) as i64;
    let jobs = ledger::jobs_page(
        &mut *ui.db().await?,
        ctx.user.id,
        before.map(JobId),
        size + 1,
    )
    .await?;
    let more = jobs.len() as i64 > size;
    let lang = ctx.lang;
    let i = &ui.i18n;
    let shown: Vec<&Job> = jobs.iter().take(size as usize).collect();
    let mut screen = Screen::new(if shown.is_empty() {
        i.t(lang, "history-empty")
    } else {
        i.t(lang, "history-title")
    });
    for job in &shown {
        let price = if job.is_free {
            "🆓".to_string()
        } else {
            fmt_money(lang, job.price)
        };
        let label = format!(
            "{} {} · {} · {}",
            state_icon(job.state),
            title(ui, lang, job),
            job.created_at.format("%d.%m %H:%M"),
            price
        );
        screen = screen.row(vec![button(
            label,
            Action::Job {
                job: job.id.0,
                op: JobOp::Open,
            },
        )]);
    }
    let mut nav = Vec::new();
    if more && let Some(last) = shown.last() {
        nav.push(button(
            i.t(lang, "history-older"),
            Action::History {
                before: Some(last.id.0),
            },
        ));
    }
    if before.is_some() {
        nav.push(button(
            i.t(lang, "history-newest"),
            Action::History { before: None },
        ));
    }
    screen = screen
        .row(nav)
        .row(vec![button(i.t(lang, "back-menu"), Action::Menu)]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

fn state_icon(state: JobState) -> &'static str {
    match state {
        JobState::Delivered | JobState::Succeeded => "✅",
        JobState::Failed | JobState::Expired => "❌",
        JobState::Cancelled => "✖️",
        JobState::Created => "📝",
        _ => "⏳",
    }
}

/// One job's details.
/// A job's screen; `on_sale`: its model can be run again.
fn job_screen(ui: &Ui, lang: Lang, job: &Job, on_sale: bool) -> Screen {
    let i = &ui.i18n;
    let mut text = i.tf(
        lang,
        "job-title",
        &Args::new()
            .text("model", title(ui, lang, job))
            .num("id", job.id.0)
            .raw("when", fmt_when(lang, job.created_at))
            .raw("state", state_text(ui, lang, job))
            .raw("money", money_text(ui, lang, job)),
    );
    if let (Some(model), Some(input)) = (ui.catalog.get(&job.model_id), job.input.as_object()) {
        for p in &model.params {
            if let Some(v) = input.get(&p.name) {
                let shown = match &p.kind {
                    catalog::ParamKind::Upload { .. } => {
                        let n = v.as_array().map_or(1, Vec::len);
                        i.tf(lang, "files-count", &Args::new().num("count", n as i64))
                    }
                    _ => escape(&wizard::show_value(ui, lang, p, v)),
                };
                text.push_str(&format!(
                    "\n• {}: {}",
                    escape(p.label.get(code(lang))),
                    shown
                ));
            }
        }
    }
    if let Some(reason) = &job.failure_message
        && job.state.is_final()
        && !matches!(job.state, JobState::Succeeded | JobState::Delivered)
    {
        text.push('\n');
        text.push_str(&i.tf(
            lang,
            "job-failure",
            &Args::new().text("reason", send::clip_to(reason, 200)),
        ));
    }
    let mut rows = Vec::new();
    if matches!(job.state, JobState::Delivered | JobState::Succeeded) {
        rows.push(button(
            i.t(lang, "job-redeliver"),
            Action::Job {
                job: job.id.0,
                op: JobOp::Redeliver,
            },
        ));
    }
    let mut screen = Screen::new(text).row(rows);
    if on_sale {
        let mut row = vec![button(
            i.t(lang, "result-again"),
            Action::Job {
                job: job.id.0,
                op: JobOp::Rerun,
            },
        )];
        if ui
            .catalog
            .get(&job.model_id)
            .is_some_and(|m| m.prompt_param().is_some())
        {
            row.push(button(
                i.t(lang, "result-new-prompt"),
                Action::Job {
                    job: job.id.0,
                    op: JobOp::NewPrompt,
                },
            ));
        }
        screen = screen.row(row).row(vec![button(
            i.t(lang, "preset-save"),
            Action::Job {
                job: job.id.0,
                op: JobOp::SavePreset,
            },
        )]);
    }
    screen.row(vec![
        button(i.t(lang, "history-back"), Action::History { before: None }),
        button(i.t(lang, "back-menu"), Action::Menu),
    ])
}

/// A job button: only for the job's owner.
pub async fn job_button(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    message: MessageId,
    job: i64,
    op: JobOp,
) -> HandlerResult {
    let found = ledger::job(&mut *ui.db().await?, JobId(job)).await?;
    let Some(job) = found.filter(|j| j.user_id == ctx.user.id) else {
        return stale(bot, ui, ctx, q).await;
    };
    let lang = ctx.lang;
    match op {
        JobOp::Open => {
            answer(bot, q, None).await?;
            // Back from naming a preset of this job: typed text no longer names one.
            if matches!(
                crate::state::State::entry(ctx).mode,
                crate::state::Mode::PresetName { .. }
            ) {
                crate::screens::leave_text_modes(ui, ctx, false).await?;
            }
            // A result message (photo, video) has no text to edit: history opens anew there.
            let on_sale = ui.on_sale(&job.model_id).await?.is_some();
            send::send(bot, ctx.chat, &job_screen(ui, lang, &job, on_sale)).await?;
            let _ = message;
            Ok(())
        }
        JobOp::Cancel => {
            if ui.pipeline.cancel(ctx.user.id, job.id).await? {
                // The pipeline's failure report edits the progress message and confirms the
                // refund; the answer only acknowledges the tap.
                answer(bot, q, Some(ui.i18n.t(lang, "cancel-accepted"))).await
            } else {
                answer(bot, q, Some(ui.i18n.t(lang, "cancel-too-late"))).await
            }
        }
        JobOp::Rerun | JobOp::NewPrompt => {
            let Some(model) = ui.on_sale(&job.model_id).await? else {
                return answer(bot, q, Some(ui.i18n.t(lang, "model-gone"))).await;
            };
            answer(bot, q, None).await?;
            let uploaded = ledger::uploads(&mut *ui.db().await?, job.id).await?;
            let w = wizard::from_job(model, &job, &uploaded, op == JobOp::Rerun);
            show_and_save(bot, ui, ctx, model, w, None, None).await
        }
        JobOp::SavePreset => {
            let Some(model) = ui.on_sale(&job.model_id).await? else {
                return answer(bot, q, Some(ui.i18n.t(lang, "model-gone"))).await;
            };
            answer(bot, q, None).await?;
            let back = Action::Job {
                job: job.id.0,
                op: JobOp::Open,
            };
            crate::screens::presets::ask_name(bot, ui, ctx, model, Some(job.id.0), back).await
        }
        JobOp::Redeliver => {
            answer(bot, q, None).await?;
            let sent = ui.pipeline.deliverer().resend(&job, lang).await?;
            if !sent {
                let screen = Screen::new(ui.i18n.t(lang, "job-result-gone"))
                    .row(vec![button(ui.i18n.t(lang, "back-menu"), Action::Menu)]);
                send::send(bot, ctx.chat, &screen).await?;
            }
            Ok(())
        }
    }
}
