//! [`TelegramDeliver`]: the pipeline's results, failures, progress and alerts as Telegram
//! messages in the user's language.
//!
//! Results go out as native media by kind and size (photo, or document past the photo limits;
//! video; audio; text for speech-to-text; several images as a media group; a link past the
//! upload limit), with Run again / New prompt / Menu buttons. The file ids Telegram gives back
//! are recorded so history can send the result again without Kie. A user who blocked the bot is
//! marked unreachable and the delivery is final (their money is already settled by the
//! pipeline); flood limits and network trouble are retried by the pipeline.
//! This module must never move money or change a job's state: it only reports.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use catalog::Catalog;
use generation::{
    Alert, Deliver, DeliveryError, Failure, FailureKind, Progress, ResultFile, ResultKind,
};
use ledger::Job;
use serde_json::{Value, json};
use teloxide::RequestError;
use teloxide::payloads::{
    SendAudioSetters, SendDocumentSetters, SendMessageSetters, SendPhotoSetters, SendVideoSetters,
};
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, InputMedia, InputMediaPhoto, MessageId, ParseMode};
use teloxide::utils::html::escape;

use crate::callback::{Action, JobOp};
use crate::i18n::{Args, I18n, Lang, code, fmt_duration};
use crate::keyboard::{Screen, button};
use crate::{UiBot, UiConfig};
use tg_kit::send::{self, clip_to, is_unreachable};

/// Telegram's upload limits (bytes).
const PHOTO_UPLOAD_LIMIT: usize = 10 * 1024 * 1024;
const FILE_UPLOAD_LIMIT: usize = 50 * 1024 * 1024;
/// Media caption limit (characters).
const CAPTION_CHARS: usize = 1024;

/// Implements [`Deliver`] over the Telegram bot.
pub struct TelegramDeliver {
    bot: UiBot,
    pool: ledger::Pool,
    catalog: Arc<Catalog>,
    i18n: Arc<I18n>,
    config: UiConfig,
    last_progress: Mutex<HashMap<i64, Instant>>,
    alert_recipients: std::sync::RwLock<Option<AlertRecipients>>,
}

/// Who receives the pipeline's alerts, asked at each alert (the admin panel knows its admins;
/// `bot` wires it in with [`TelegramDeliver::alert_to`]). Without it, `UiConfig::admin_ids`.
pub type AlertRecipients = Arc<
    dyn Fn() -> futures_util::future::BoxFuture<'static, anyhow::Result<Vec<i64>>> + Send + Sync,
>;

/// The progress message of a job.
pub fn progress_screen(i18n: &I18n, lang: Lang, job: &Job, title: &str, p: &Progress) -> Screen {
    let eta = |eta: Option<std::time::Duration>| match eta {
        Some(d) if !d.is_zero() => i18n.tf(
            lang,
            "progress-eta",
            &Args::new().raw("eta", fmt_duration(lang, d)),
        ),
        _ => String::new(),
    };
    match p {
        Progress::Queued { position, eta: e } => Screen::new(
            i18n.tf(
                lang,
                "progress-queued",
                &Args::new()
                    .text("model", title)
                    .num("position", position + 1)
                    .raw("eta", eta(*e)),
            ),
        )
        .row(vec![button(
            i18n.t(lang, "progress-cancel"),
            Action::Job {
                job: job.id.0,
                op: JobOp::Cancel,
            },
        )]),
        Progress::Generating { elapsed, eta: e } => Screen::new(
            i18n.tf(
                lang,
                "progress-generating",
                &Args::new()
                    .text("model", title)
                    .raw("elapsed", fmt_duration(lang, *elapsed))
                    .raw("eta", eta(*e)),
            ),
        ),
    }
}

fn delivery_error(e: RequestError) -> DeliveryError {
    match &e {
        RequestError::Api(_) if is_unreachable(&e) => DeliveryError::Permanent(e.to_string()),
        _ => DeliveryError::Retry(e.to_string()),
    }
}

impl TelegramDeliver {
    /// A deliverer over these parts.
    pub fn new(
        bot: UiBot,
        pool: ledger::Pool,
        catalog: Arc<Catalog>,
        i18n: Arc<I18n>,
        config: UiConfig,
    ) -> TelegramDeliver {
        TelegramDeliver {
            bot,
            pool,
            catalog,
            i18n,
            config,
            last_progress: Mutex::new(HashMap::new()),
            alert_recipients: std::sync::RwLock::new(None),
        }
    }

    /// Sends alerts to whoever `recipients` names at the time (each in their own language).
    pub fn alert_to(&self, recipients: AlertRecipients) {
        *self.alert_recipients.write().unwrap() = Some(recipients);
    }

    async fn alert_recipients(&self) -> Vec<i64> {
        let recipients = self.alert_recipients.read().unwrap().clone();
        match recipients {
            Some(recipients) => match recipients().await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the alert recipients failed; using ADMIN_IDS");
                    self.config.admin_ids.clone()
                }
            },
            None => self.config.admin_ids.clone(),
        }
    }

    async fn lang_of(&self, user: ledger::UserId) -> Lang {
        match self.pool.get().await {
            Ok(mut conn) => ledger::user(&mut conn, user)
                .await
                .ok()
                .flatten()
                .map(|u| u.language)
                .unwrap_or(Lang::Ru),
            Err(_) => Lang::Ru,
        }
    }

    fn title(&self, job: &Job, lang: Lang) -> String {
        self.catalog
            .get(&job.model_id)
            .map(|m| m.title.get(code(lang)).to_string())
            .unwrap_or_else(|| job.model_id.clone())
    }

    fn result_buttons(&self, job: &Job, lang: Lang) -> Screen {
        let mut row = vec![button(
            self.i18n.t(lang, "result-again"),
            Action::Job {
                job: job.id.0,
                op: JobOp::Rerun,
            },
        )];
        if self
            .catalog
            .get(&job.model_id)
            .is_some_and(|m| m.prompt_param().is_some())
        {
            row.push(button(
                self.i18n.t(lang, "result-new-prompt"),
                Action::Job {
                    job: job.id.0,
                    op: JobOp::NewPrompt,
                },
            ));
        }
        Screen::default()
            .row(row)
            .row(vec![button(self.i18n.t(lang, "back-menu"), Action::Menu)])
    }

    /// A user who blocked the bot: marked unreachable (their money is safe in the ledger).
    async fn note_unreachable(&self, job: &Job, e: &RequestError) {
        if is_unreachable(e)
            && let Ok(mut conn) = self.pool.get().await
            && let Err(err) = ledger::mark_unreachable(&mut conn, job.user_id).await
        {
            tracing::warn!(error = %err, "marking a user unreachable failed");
        }
    }

    async fn finish_progress(&self, job: &Job, chat: ChatId, text: String) {
        if let Some(id) = job.progress_message_id {
            let _ = send::edit_plain(&self.bot, chat, MessageId(id), &Screen::new(text)).await;
        }
        self.last_progress.lock().unwrap().remove(&job.id.0);
    }

    async fn send_results(
        &self,
        job: &Job,
        chat: ChatId,
        lang: Lang,
        files: Vec<ResultFile>,
        caption: String,
    ) -> Result<Vec<Value>, RequestError> {
        let keyboard = self.result_buttons(job, lang).markup();
        let mut sent = Vec::new();
        let is_photo = |f: &ResultFile| {
            f.kind == ResultKind::Image
                && f.bytes
                    .as_ref()
                    .is_some_and(|b| b.len() <= PHOTO_UPLOAD_LIMIT)
        };
        let (photos, rest): (Vec<ResultFile>, Vec<ResultFile>) =
            files.into_iter().partition(|f| is_photo(f));
        if photos.len() >= 2 {
            // A media group carries no buttons: they follow in a short message.
            for chunk in photos.chunks(10) {
                let media: Vec<InputMedia> = chunk
                    .iter()
                    .enumerate()
                    .map(|(k, f)| {
                        let mut m = InputMediaPhoto::new(
                            InputFile::memory(f.bytes.clone().unwrap_or_default())
                                .file_name(format!("result-{k}.png")),
                        );
                        if k == 0 {
                            m = m.caption(caption.clone()).parse_mode(ParseMode::Html);
                        }
                        InputMedia::Photo(m)
                    })
                    .collect();
                let msgs = send::limited(&self.bot, chat, || {
                    self.bot
                        .api()
                        .send_media_group(chat, media.clone())
                        .into_future()
                })
                .await?;
                sent.extend(msgs.iter().filter_map(file_record));
            }
            for f in rest {
                sent.extend(self.send_one(chat, lang, f, String::new(), None).await?);
            }
            let mut screen = self.result_buttons(job, lang);
            screen.text = self.i18n.t(lang, "result-buttons");
            send::send(&self.bot, chat, &screen).await?;
            return Ok(sent);
        }
        let files: Vec<ResultFile> = photos.into_iter().chain(rest).collect();
        let n = files.len();
        for (k, f) in files.into_iter().enumerate() {
            let last = k + 1 == n;
            let cap = if k == 0 {
                caption.clone()
            } else {
                String::new()
            };
            let kb = if last { keyboard.clone() } else { None };
            sent.extend(self.send_one(chat, lang, f, cap, kb).await?);
        }
        Ok(sent)
    }

    async fn send_one(
        &self,
        chat: ChatId,
        lang: Lang,
        f: ResultFile,
        caption: String,
        keyboard: Option<teloxide::types::InlineKeyboardMarkup>,
    ) -> Result<Option<Value>, RequestError> {
        let caption = clip_to(&caption, CAPTION_CHARS);
        let bot = self.bot.api();
        macro_rules! with_kb {
            ($req:expr) => {{
                let mut r = $req.caption(caption.clone()).parse_mode(ParseMode::Html);
                if let Some(k) = &keyboard {
                    r = r.reply_markup(k.clone());
                }
                r
            }};
        }
        let msg = match (f.kind, f.bytes) {
            (ResultKind::Text, _) => {
                let body = f.text.unwrap_or_default();
                let text = format!("{caption}\n\n{}", escape(&clip_to(&body, 3500)));
                let mut r = bot.send_message(chat, text).parse_mode(ParseMode::Html);
                if let Some(k) = &keyboard {
                    r = r.reply_markup(k.clone());
                }
                send::limited(&self.bot, chat, || r.clone().into_future()).await?
            }
            (ResultKind::Image, Some(bytes)) if bytes.len() <= PHOTO_UPLOAD_LIMIT => {
                let file = InputFile::memory(bytes.clone()).file_name("result.png");
                match send::limited(&self.bot, chat, || {
                    with_kb!(bot.send_photo(chat, file.clone())).into_future()
                })
                .await
                {
                    Ok(m) => m,
                    // Telegram refuses some images as photos (sides, ratio): send the file.
                    Err(RequestError::Api(e)) if !is_unreachable(&RequestError::Api(e.clone())) => {
                        let file = InputFile::memory(bytes).file_name("result.png");
                        send::limited(&self.bot, chat, || {
                            with_kb!(bot.send_document(chat, file.clone())).into_future()
                        })
                        .await?
                    }
                    Err(e) => return Err(e),
                }
            }
            (kind, Some(bytes)) if bytes.len() <= FILE_UPLOAD_LIMIT => {
                let name = match kind {
                    ResultKind::Video => "result.mp4",
                    ResultKind::Audio => "result.mp3",
                    _ => "result.png",
                };
                let file = InputFile::memory(bytes).file_name(name);
                match kind {
                    ResultKind::Video => {
                        send::limited(&self.bot, chat, || {
                            with_kb!(bot.send_video(chat, file.clone())).into_future()
                        })
                        .await?
                    }
                    ResultKind::Audio => {
                        send::limited(&self.bot, chat, || {
                            with_kb!(bot.send_audio(chat, file.clone())).into_future()
                        })
                        .await?
                    }
                    _ => {
                        send::limited(&self.bot, chat, || {
                            with_kb!(bot.send_document(chat, file.clone())).into_future()
                        })
                        .await?
                    }
                }
            }
            (_, _) => {
                // Too large to upload (or not downloaded): a link, which Telegram users open in
                // the browser. Kie's result links are public and temporary.
                let link = f.url.as_ref().map(|u| u.to_string()).unwrap_or_default();
                let text = format!(
                    "{caption}\n\n{}",
                    self.i18n
                        .tf(lang, "result-link", &Args::new().text("url", link))
                );
                let mut r = bot.send_message(chat, text).parse_mode(ParseMode::Html);
                if let Some(k) = &keyboard {
                    r = r.reply_markup(k.clone());
                }
                send::limited(&self.bot, chat, || r.clone().into_future()).await?
            }
        };
        Ok(file_record(&msg))
    }

    /// Sends a delivered result again from the file ids recorded at delivery. False when there
    /// is nothing recorded.
    pub async fn resend(&self, job: &Job, lang: Lang) -> anyhow::Result<bool> {
        let Some(chat) = job.chat_id.map(ChatId) else {
            return Ok(false);
        };
        let files = job
            .result
            .as_ref()
            .and_then(|r| r.get("telegram"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if files.is_empty() {
            return Ok(false);
        }
        let caption = format!("🔁 <b>{}</b>", escape(&self.title(job, lang)));
        let keyboard = self.result_buttons(job, lang).markup();
        let n = files.len();
        for (k, f) in files.iter().enumerate() {
            let kb = if k + 1 == n { keyboard.clone() } else { None };
            let cap = if k == 0 {
                caption.clone()
            } else {
                String::new()
            };
            let kind = f.get("kind").and_then(Value::as_str).unwrap_or("");
            if kind == "text" {
                let text = f.get("text").and_then(Value::as_str).unwrap_or("");
                let mut r = self
                    .bot
                    .api()
                    .send_message(chat, format!("{cap}\n\n{}", escape(&clip_to(text, 3500))))
                    .parse_mode(ParseMode::Html);
                if let Some(k) = kb {
                    r = r.reply_markup(k);
                }
                send::limited(&self.bot, chat, || r.clone().into_future()).await?;
                continue;
            }
            let Some(id) = f.get("file_id").and_then(Value::as_str) else {
                continue;
            };
            let file = InputFile::file_id(FileId(id.to_string()));
            macro_rules! go {
                ($req:expr) => {{
                    let mut r = $req.caption(cap.clone()).parse_mode(ParseMode::Html);
                    if let Some(k) = &kb {
                        r = r.reply_markup(k.clone());
                    }
                    send::limited(&self.bot, chat, || r.clone().into_future()).await?;
                }};
            }
            let api = self.bot.api();
            match kind {
                "photo" => go!(api.send_photo(chat, file)),
                "video" => go!(api.send_video(chat, file)),
                "audio" => go!(api.send_audio(chat, file)),
                _ => go!(api.send_document(chat, file)),
            }
        }
        Ok(true)
    }
}

/// The file id Telegram assigned to what a message carries.
fn file_record(m: &Message) -> Option<Value> {
    if let Some(p) = m
        .photo()
        .and_then(|s| s.iter().max_by_key(|p| p.width * p.height))
    {
        return Some(json!({"kind": "photo", "file_id": p.file.id.to_string()}));
    }
    if let Some(v) = m.video() {
        return Some(json!({"kind": "video", "file_id": v.file.id.to_string()}));
    }
    if let Some(a) = m.audio() {
        return Some(json!({"kind": "audio", "file_id": a.file.id.to_string()}));
    }
    if let Some(d) = m.document() {
        return Some(json!({"kind": "document", "file_id": d.file.id.to_string()}));
    }
    m.text().map(|t| json!({"kind": "text", "text": t}))
}

impl Deliver for TelegramDeliver {
    async fn deliver(
        &self,
        job: &Job,
        files: Vec<ResultFile>,
        goodwill: bool,
    ) -> Result<(), DeliveryError> {
        let Some(chat) = job.chat_id.map(ChatId) else {
            return Err(DeliveryError::Permanent("the job has no chat".into()));
        };
        let lang = self.lang_of(job.user_id).await;
        let title = self.title(job, lang);
        self.finish_progress(
            job,
            chat,
            self.i18n
                .tf(lang, "progress-done", &Args::new().text("model", &title)),
        )
        .await;
        let mut caption = format!("✅ <b>{}</b>", escape(&title));
        if goodwill {
            caption.push('\n');
            caption.push_str(&self.i18n.t(lang, "result-goodwill"));
        }
        // Speech-to-text results carry their text; everything else is a file.
        let texts: Vec<String> = files.iter().filter_map(|f| f.text.clone()).collect();
        match self.send_results(job, chat, lang, files, caption).await {
            Ok(mut records) => {
                for r in &mut records {
                    if r.get("kind").and_then(Value::as_str) == Some("text") {
                        *r = json!({"kind": "text", "text": texts.join("\n")});
                    }
                }
                if let Ok(mut conn) = self.pool.get().await
                    && let Err(e) =
                        ledger::record_delivered_files(&mut conn, job.id, &Value::Array(records))
                            .await
                {
                    tracing::warn!(error = %e, "recording delivered file ids failed");
                }
                Ok(())
            }
            Err(e) => {
                self.note_unreachable(job, &e).await;
                Err(delivery_error(e))
            }
        }
    }

    async fn failed(&self, job: &Job, failure: &Failure) -> Result<(), DeliveryError> {
        let Some(chat) = job.chat_id.map(ChatId) else {
            return Err(DeliveryError::Permanent("the job has no chat".into()));
        };
        let lang = self.lang_of(job.user_id).await;
        let title = self.title(job, lang);
        let i = &self.i18n;
        let reason_id = match failure.kind {
            FailureKind::Rejected => "failure-rejected",
            FailureKind::GenerationFailed => "failure-generation",
            FailureKind::Deadline => "failure-deadline",
            FailureKind::ServiceUnavailable => "failure-unavailable",
            FailureKind::Uncertain => "failure-uncertain",
            FailureKind::Cancelled => "failure-cancelled",
            FailureKind::Expired => "failure-expired",
        };
        self.finish_progress(
            job,
            chat,
            i.tf(lang, "progress-failed", &Args::new().text("model", &title)),
        )
        .await;
        let mut text = format!("❌ <b>{}</b>\n{}", escape(&title), i.t(lang, reason_id));
        if failure.kind == FailureKind::Rejected && !failure.message.is_empty() {
            text.push('\n');
            text.push_str(&i.tf(
                lang,
                "failure-kie-says",
                &Args::new().text("message", clip_to(&failure.message, 300)),
            ));
        }
        text.push_str("\n\n");
        text.push_str(&if job.is_free {
            i.t(lang, "refund-free")
        } else {
            i.tf(
                lang,
                "refund-money",
                &Args::new().money("price", lang, job.price),
            )
        });
        let mut screen = self.result_buttons(job, lang);
        screen.text = text;
        match send::send(&self.bot, chat, &screen).await {
            Ok(_) => Ok(()),
            Err(e) => {
                self.note_unreachable(job, &e).await;
                Err(delivery_error(e))
            }
        }
    }

    async fn progress(&self, job: &Job, progress: Progress) {
        let (Some(chat), Some(id)) = (job.chat_id, job.progress_message_id) else {
            return;
        };
        {
            let mut last = self.last_progress.lock().unwrap();
            let now = Instant::now();
            if last
                .get(&job.id.0)
                .is_some_and(|t| now.duration_since(*t) < self.config.progress_interval)
            {
                return;
            }
            last.insert(job.id.0, now);
        }
        let lang = self.lang_of(job.user_id).await;
        let title = self.title(job, lang);
        let screen = progress_screen(&self.i18n, lang, job, &title, &progress);
        // Nobody tapped for this edit: it must not take the allowance answers need.
        self.bot.bulk_allowance().await;
        if let Err(e) = send::edit_plain(&self.bot, ChatId(chat), MessageId(id), &screen).await {
            tracing::debug!(error = %e, "progress edit failed");
        }
    }

    async fn alert(&self, alert: Alert) {
        for admin in self.alert_recipients().await {
            let lang = self.lang_of(ledger::UserId(admin)).await;
            let text = alert_text(&self.i18n, lang, &alert);
            if let Err(e) = send::send(&self.bot, ChatId(admin), &Screen::new(text)).await {
                tracing::warn!(admin, error = %e, "alerting an admin failed");
            }
        }
    }
}

/// An alert in `lang`.
pub fn alert_text(i18n: &I18n, lang: Lang, alert: &Alert) -> String {
    match alert {
        Alert::KiePaused { code, message } => i18n.tf(
            lang,
            "alert-kie-paused",
            &Args::new()
                .num("code", i64::from(*code))
                .text("message", clip_to(message, 300)),
        ),
        Alert::KieResumed => i18n.t(lang, "alert-kie-resumed"),
        Alert::LateSuccess { job } => {
            i18n.tf(lang, "alert-late-success", &Args::new().num("job", *job))
        }
        Alert::AmbiguousSubmit { job } => {
            i18n.tf(lang, "alert-ambiguous", &Args::new().num("job", *job))
        }
    }
}
