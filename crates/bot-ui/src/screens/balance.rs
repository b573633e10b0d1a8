//! Balance and receipts, Telegram Stars top-ups (presets and a custom amount, invoices in XTR,
//! the pre-checkout answer, crediting exactly once per charge id), /paysupport.
//!
//! The invoice payload carries the user, the Stars and the kopecks the invoice promised:
//! `t:{user}:{stars}:{kopecks}`. The pre-checkout answer checks it against the query (same
//! user, same amount, XTR, within limits, not more rubles than the current rate gives) without
//! slow work; the successful payment credits exactly what the invoice showed, once.

use ledger::{EntryKind, StarsPayment};
use pricing::{Money, Settings};
use teloxide::payloads::{AnswerPreCheckoutQuerySetters, SendInvoiceSetters};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, LabeledPrice, MessageId, PreCheckoutQuery, SuccessfulPayment,
};

use crate::callback::Action;
use crate::i18n::{Args, Lang, fmt_money, fmt_when, language_for};
use crate::keyboard::{Screen, button};
use crate::screens::{answer, stale, wizard};
use crate::state::{Mode, State, Step};
use crate::{Ui, UiBot};
use tg_kit::send;
use tg_kit::{Ctx, HandlerResult};

/// The parts of an invoice payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload {
    /// Who the invoice is for.
    pub user: i64,
    /// Stars to pay.
    pub stars: u32,
    /// Kopecks to credit.
    pub kopecks: i64,
}

impl Payload {
    /// `t:{user}:{stars}:{kopecks}`.
    pub fn encode(&self) -> String {
        format!("t:{}:{}:{}", self.user, self.stars, self.kopecks)
    }

    /// Strict parse of [`Payload::encode`].
    pub fn decode(s: &str) -> Option<Payload> {
        let mut it = s.split(':');
        if it.next()? != "t" {
            return None;
        }
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        let (u, st, k) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || !digits(u) || !digits(st) || !digits(k) {
            return None;
        }
        Some(Payload {
            user: u.parse().ok()?,
            stars: st.parse().ok()?,
            kopecks: k.parse().ok()?,
        })
    }
}

fn entry_line(ui: &Ui, lang: Lang, e: &ledger::Entry) -> String {
    let sign = match e.kind {
        EntryKind::TopUpStars
        | EntryKind::Release
        | EntryKind::Expire
        | EntryKind::AdjustCredit
        | EntryKind::Bonus => "+",
        EntryKind::Hold | EntryKind::RefundStars | EntryKind::AdjustDebit => "−",
        EntryKind::Commit => "",
    };
    let what = ui.i18n.t(
        lang,
        &format!("entry-{}", e.kind.as_str().replace('_', "-")),
    );
    let job = e.job_id.map(|j| format!(" #{j}")).unwrap_or_default();
    format!(
        "{} · {what}{job} {sign}{}",
        fmt_when(lang, e.created_at),
        fmt_money(lang, e.amount)
    )
}

/// The balance screen.
pub async fn show_balance(bot: &UiBot, ui: &Ui, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let (balance, entries) = {
        let mut conn = ui.db().await?;
        (
            ledger::balance(&mut conn, ctx.user.id).await?,
            ledger::entries_page(&mut conn, ctx.user.id, None, 8).await?,
        )
    };
    let lang = ctx.lang;
    let i = &ui.i18n;
    let mut text = i.tf(
        lang,
        "balance-title",
        &Args::new()
            .money("available", lang, balance.available)
            .money("held", lang, balance.held),
    );
    text.push_str("\n\n");
    if entries.is_empty() {
        text.push_str(&i.t(lang, "balance-no-entries"));
    } else {
        text.push_str(&i.t(lang, "balance-entries"));
        for e in &entries {
            text.push('\n');
            text.push_str(&entry_line(ui, lang, e));
        }
    }
    let screen = Screen::new(text)
        .row(vec![button(i.t(lang, "balance-topup"), Action::TopUp)])
        .row(vec![
            button(i.t(lang, "menu-history"), Action::History { before: None }),
            button(i.t(lang, "back-menu"), Action::Menu),
        ]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// The top-up screen: presets with their ruble value, and "other amount".
pub async fn show_top_up(bot: &UiBot, ui: &Ui, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let settings = ui.settings().await?;
    let lang = ctx.lang;
    let i = &ui.i18n;
    let text = i.tf(
        lang,
        "topup-title",
        &Args::new().money("rate", lang, settings.stars.rub_for_stars(1)),
    );
    let presets = ui
        .config
        .star_presets
        .iter()
        .map(|s| {
            button(
                i.tf(
                    lang,
                    "topup-stars-button",
                    &Args::new().num("stars", i64::from(*s)).money(
                        "rub",
                        lang,
                        settings.stars.rub_for_stars(*s),
                    ),
                ),
                Action::TopUpStars { stars: *s },
            )
        })
        .collect();
    let screen = Screen::new(text)
        .grid(presets, 2)
        .row(vec![button(i.t(lang, "topup-other"), Action::TopUpCustom)])
        .row(vec![
            button(i.t(lang, "menu-balance"), Action::Balance),
            button(i.t(lang, "back-menu"), Action::Menu),
        ]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// Sends an invoice for `stars`.
pub async fn invoice(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    stars: u32,
) -> HandlerResult {
    if stars < ui.config.min_stars || stars > ui.config.max_stars {
        return stale(bot, ui, ctx, q).await;
    }
    answer(bot, q, None).await?;
    send_invoice(bot, ui, ctx, stars).await
}

async fn send_invoice(bot: &UiBot, ui: &Ui, ctx: &Ctx, stars: u32) -> HandlerResult {
    let settings = ui.settings().await?;
    let rub = settings.stars.rub_for_stars(stars);
    let lang = ctx.lang;
    let payload = Payload {
        user: ctx.user.id.0,
        stars,
        kopecks: rub.kopecks(),
    };
    let args = Args::new()
        .num("stars", i64::from(stars))
        .money("rub", lang, rub);
    // Invoice texts are plain (no HTML): strip our markup-free messages as they are.
    bot.to_chat(ctx.chat)
        .await
        .send_invoice(
            ctx.chat,
            ui.i18n.tf(lang, "invoice-title", &args),
            ui.i18n.tf(lang, "invoice-description", &args),
            payload.encode(),
            "XTR",
            vec![LabeledPrice {
                label: ui.i18n.tf(lang, "invoice-label", &args),
                amount: stars,
            }],
        )
        .provider_token("")
        .await?;
    Ok(())
}

/// "Send the number of Stars".
pub async fn ask_amount(bot: &UiBot, ui: &Ui, ctx: &Ctx) -> HandlerResult {
    crate::screens::set_mode(ui, ctx, Mode::TopUpAmount).await?;
    send::send(bot, ctx.chat, &amount_prompt(ui, ctx, "topup-ask")).await?;
    Ok(())
}

/// Asks for a number of Stars within the limits (`id`: the first ask or the retry).
fn amount_prompt(ui: &Ui, ctx: &Ctx, id: &str) -> Screen {
    let args = Args::new()
        .num("min", i64::from(ui.config.min_stars))
        .num("max", i64::from(ui.config.max_stars));
    Screen::new(ui.i18n.tf(ctx.lang, id, &args))
        .row(vec![button(ui.i18n.t(ctx.lang, "back"), Action::TopUp)])
}

/// A typed number of Stars.
pub async fn custom_amount(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    mut state: State,
    text: &str,
) -> HandlerResult {
    let parsed: Option<u32> = text.trim().parse().ok();
    match parsed.filter(|n| (ui.config.min_stars..=ui.config.max_stars).contains(n)) {
        Some(stars) => {
            state.mode = Mode::Normal;
            state.save(&mut *ui.db().await?, ctx.chat.0).await?;
            send_invoice(bot, ui, ctx, stars).await
        }
        None => {
            send::send(bot, ctx.chat, &amount_prompt(ui, ctx, "topup-bad-amount")).await?;
            Ok(())
        }
    }
}

/// Why a pre-checkout query is refused (a message id), or `None` to accept.
pub fn check_pre_checkout(
    q: &PreCheckoutQuery,
    user: Option<&ledger::User>,
    settings: &Settings,
    min: u32,
    max: u32,
) -> Option<&'static str> {
    let Some(p) = Payload::decode(&q.invoice_payload) else {
        return Some("precheckout-invalid");
    };
    if q.currency != "XTR"
        || p.user != q.from.id.0 as i64
        || p.stars != q.total_amount
        || !(min..=max).contains(&p.stars)
        || p.kopecks <= 0
    {
        return Some("precheckout-invalid");
    }
    match user {
        None => return Some("precheckout-invalid"),
        Some(u) if u.banned => return Some("banned"),
        Some(_) => {}
    }
    if p.kopecks > settings.stars.rub_for_stars(p.stars).kopecks() {
        return Some("precheckout-rate-changed");
    }
    None
}

/// The pre-checkout query: answered within Telegram's 10 seconds, from one database read.
pub async fn pre_checkout(bot: UiBot, ui: Ui, q: PreCheckoutQuery) -> HandlerResult {
    let user = ledger::user(&mut *ui.db().await?, ledger::UserId(q.from.id.0 as i64)).await?;
    let settings = ui.settings().await?;
    let lang = user
        .as_ref()
        .map(|u| u.language)
        .unwrap_or_else(|| language_for(q.from.language_code.as_deref()));
    let verdict = check_pre_checkout(
        &q,
        user.as_ref(),
        &settings,
        ui.config.min_stars,
        ui.config.max_stars,
    );
    let mut req = bot
        .api()
        .answer_pre_checkout_query(q.id.clone(), verdict.is_none());
    if let Some(why) = verdict {
        tracing::warn!(payload = %q.invoice_payload, why, "pre-checkout refused");
        req = req.error_message(ui.i18n.t(lang, why));
    }
    req.await?;
    Ok(())
}

/// A successful payment: credited exactly once per charge id, with a receipt; a confirm screen
/// waiting for the money comes back.
pub async fn successful_payment(
    bot: UiBot,
    ui: Ui,
    ctx: Ctx,
    payment: SuccessfulPayment,
) -> HandlerResult {
    let lang = ctx.lang;
    let i = &ui.i18n;
    let payload = Payload::decode(&payment.invoice_payload)
        .filter(|p| p.stars == payment.total_amount && payment.currency == "XTR");
    let Some(payload) = payload else {
        // Telegram took the Stars for an invoice we cannot read: never lose it silently.
        tracing::error!(payload = %payment.invoice_payload, "a payment with an unknown payload");
        let text = i.tf(
            lang,
            "payment-unreadable",
            &Args::new()
                .text("charge", &payment.telegram_payment_charge_id.0)
                .text("support", &ui.config.support_contact),
        );
        send::send(&bot, ctx.chat, &Screen::new(text)).await?;
        return Ok(());
    };
    let rub = Money::from_kopecks(payload.kopecks);
    let top_up = ledger::top_up_stars(
        &mut *ui.db().await?,
        &StarsPayment {
            user: ctx.user.id,
            charge_id: payment.telegram_payment_charge_id.0.clone(),
            provider_charge_id: Some(payment.provider_payment_charge_id.clone())
                .filter(|s| !s.is_empty()),
            payload: payment.invoice_payload.clone(),
            xtr: payment.total_amount as i32,
            rub,
        },
    )
    .await?;
    if !top_up.credited_now {
        tracing::info!(charge = %payment.telegram_payment_charge_id.0, "payment delivered again; credited before");
        return Ok(());
    }
    let receipt = i.tf(
        lang,
        "payment-receipt",
        &Args::new()
            .num("stars", i64::from(payment.total_amount))
            .money("rub", lang, rub)
            .money("balance", lang, top_up.balance.available)
            .text("charge", &payment.telegram_payment_charge_id.0),
    );
    if ctx.user.banned {
        // Credited (an admin may refund it), and nothing else: no screens for them.
        send::send(&bot, ctx.chat, &Screen::new(receipt)).await?;
        return Ok(());
    }
    // Back to the order that was waiting for this money, if any.
    let state = State::entry(&ctx);
    if let Some(w) = state.wizard.filter(|w| w.step == Step::Confirm)
        && let Some(model) = ui.on_sale(&w.model).await?
    {
        return wizard::show_and_save(&bot, &ui, &ctx, model, w, None, Some(receipt)).await;
    }
    let screen = Screen::new(receipt).row(vec![
        button(i.t(lang, "menu-balance"), Action::Balance),
        button(i.t(lang, "back-menu"), Action::Menu),
    ]);
    send::send(&bot, ctx.chat, &screen).await?;
    Ok(())
}

/// /paysupport: recent payments with their charge ids, and how to get help.
pub async fn pay_support(bot: &UiBot, ui: &Ui, ctx: &Ctx) -> HandlerResult {
    let payments = ledger::recent_payments(&mut *ui.db().await?, ctx.user.id, 5).await?;
    let lang = ctx.lang;
    let mut text = ui.i18n.tf(
        lang,
        "paysupport",
        &Args::new().text("support", &ui.config.support_contact),
    );
    text.push_str("\n\n");
    if payments.is_empty() {
        text.push_str(&ui.i18n.t(lang, "paysupport-none"));
    } else {
        for p in payments {
            text.push_str(
                &ui.i18n.tf(
                    lang,
                    "paysupport-line",
                    &Args::new()
                        .raw("when", fmt_when(lang, p.created_at))
                        .num("stars", i64::from(p.xtr_amount))
                        .money("rub", lang, p.rub_credited)
                        .raw(
                            "state",
                            ui.i18n.t(lang, &format!("payment-state-{}", p.state)),
                        )
                        .text("charge", &p.telegram_payment_charge_id),
                ),
            );
            text.push('\n');
        }
    }
    let screen = Screen::new(text).row(vec![
        button(ui.i18n.t(lang, "menu-balance"), Action::Balance),
        button(ui.i18n.t(lang, "back-menu"), Action::Menu),
    ]);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_refuse_forgeries() {
        let p = Payload {
            user: 42,
            stars: 100,
            kopecks: 12_000,
        };
        assert_eq!(Payload::decode(&p.encode()), Some(p));
        for bad in [
            "",
            "t:42:100",
            "t:42:100:12000:1",
            "x:42:100:1",
            "t:-42:100:1",
            "t:42:1e2:1",
        ] {
            assert_eq!(Payload::decode(bad), None, "{bad}");
        }
    }
}
