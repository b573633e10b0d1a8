//! Fake users against the real teloxide `Bot`: long polling, button presses and callback
//! answers, uploads of every kind parsed by teloxide, Stars payments through a teloxide
//! dispatcher, duplicate deliveries.
//!
//! These tests must never sleep to fix a race and never reach the real Telegram.

mod common;

use std::time::Duration;

use common::{WAIT, setup};
use teloxide::{
    ApiError, RequestError,
    dispatching::UpdateHandler,
    prelude::*,
    types::{
        AllowedUpdate, InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice,
        MaybeInaccessibleMessage, TelegramTransactionId, UpdateKind,
    },
    update_listeners::Polling,
};
use tg_fake::{CallbackAnswer, MessageKind, UserMedia, UserSpec};

#[tokio::test]
async fn a_long_poll_returns_a_pushed_update_and_respects_the_offset() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice").language("ru").username("alice"));
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    fake.wait_for(WAIT, |f| (f.polls_started() >= 1).then_some(()))
        .await
        .unwrap();
    let sent = alice.send_text("/start ref_1").await;
    let updates = poll.await.unwrap().unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(i64::from(updates[0].id.0), sent.update_id);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert_eq!(message.text(), Some("/start ref_1"));
    assert_eq!(message.id.0, sent.message_id);
    assert_eq!(message.chat.id, ChatId(42));
    let from = message.from.as_ref().unwrap();
    assert_eq!(from.language_code.as_deref(), Some("ru"));
    assert_eq!(from.username.as_deref(), Some("alice"));
    let entity = &message.entities().unwrap()[0];
    assert_eq!((entity.offset, entity.length), (0, 6));

    // Not confirmed yet: delivered again. Confirmed by the offset: gone.
    assert_eq!(bot.get_updates().await.unwrap().len(), 1);
    let offset = updates[0].id.as_offset();
    assert!(
        bot.get_updates()
            .offset(offset)
            .timeout(0)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(fake.pending_updates().is_empty());

    // Order and limit.
    let ids = [
        alice.send_text("a").await,
        alice.send_text("b").await,
        alice.send_text("c").await,
    ];
    let first_two = bot.get_updates().offset(offset).limit(2).await.unwrap();
    let got: Vec<i64> = first_two.iter().map(|u| i64::from(u.id.0)).collect();
    assert_eq!(got, [ids[0].update_id, ids[1].update_id]);
}

#[tokio::test]
async fn updates_the_bot_did_not_allow_are_dropped() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    alice.press_data(1, "stale").await;
    let text = alice.send_text("hello").await;
    let updates = bot
        .get_updates()
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(i64::from(updates[0].id.0), text.update_id);
}

#[tokio::test]
async fn a_replayed_update_comes_again_with_the_same_id() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let sent = alice.send_text("once").await;
    let updates = bot.get_updates().await.unwrap();
    let offset = updates[0].id.as_offset();
    assert!(bot.get_updates().offset(offset).await.unwrap().is_empty());

    alice.replay_update(sent.update_id).await.unwrap();
    let again = bot.get_updates().offset(offset).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, updates[0].id);
    assert_eq!(again[0], updates[0]);
}

#[tokio::test]
async fn pressing_a_button_sends_a_callback_query_and_records_the_answer() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let keyboard =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("💰 Balance", "balance")]]);
    let menu = bot
        .send_message(ChatId(42), "Menu")
        .reply_markup(keyboard)
        .await
        .unwrap();

    let press = alice.press("Balance").await.unwrap();
    assert_eq!(press.message_id, menu.id.0);
    let updates = bot.get_updates().await.unwrap();
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert_eq!(query.data.as_deref(), Some("balance"));
    assert_eq!(query.from.id, UserId(42));
    let Some(MaybeInaccessibleMessage::Regular(message)) = &query.message else {
        panic!("{query:?}")
    };
    assert_eq!(message.id, menu.id);
    assert_eq!(
        message.reply_markup().unwrap().inline_keyboard[0][0].text,
        "💰 Balance"
    );

    bot.answer_callback_query(query.id.clone())
        .text("1 000 ₽")
        .show_alert(true)
        .await
        .unwrap();
    let answer = fake
        .wait_callback_answer(&press.callback_id, WAIT)
        .await
        .unwrap();
    assert_eq!(
        answer,
        CallbackAnswer {
            text: Some("1 000 ₽".into()),
            show_alert: true,
            url: None
        }
    );
    let twice = bot.answer_callback_query(query.id.clone()).await;
    assert!(
        matches!(twice, Err(RequestError::Api(ApiError::InvalidQueryId))),
        "{twice:?}"
    );

    let missing = alice.press("Top up").await.unwrap_err().to_string();
    assert!(missing.contains("[💰 Balance|balance]"), "{missing}");

    // A forged press on a deleted message arrives as Telegram's inaccessible message.
    bot.delete_message(ChatId(42), menu.id).await.unwrap();
    alice.press_data(menu.id.0, "forged").await;
    let offset = updates[0].id.as_offset();
    let updates = bot.get_updates().offset(offset).await.unwrap();
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    assert!(
        matches!(
            query.message,
            Some(MaybeInaccessibleMessage::Inaccessible(_))
        ),
        "{query:?}"
    );
}

#[tokio::test]
async fn every_kind_of_user_upload_parses_in_teloxide() {
    let (fake, bot) = setup().await;
    let bob = fake.user(UserSpec::new(7, "Bob"));
    bob.send_photo(b"jpg".to_vec(), 1280, 720).await;
    bob.send_document(b"%PDF".to_vec(), "a.pdf", "application/pdf")
        .await;
    bob.send_audio(b"mp3".to_vec(), "song.mp3", "audio/mpeg", 30)
        .await;
    bob.send_voice(b"ogg".to_vec(), 4).await;
    bob.send_video(b"mp4".to_vec(), 640, 360, 12).await;
    bob.send_media(UserMedia::photo(b"jpg2".to_vec(), 10, 10).caption("draw this"))
        .await;

    let updates = bot.get_updates().await.unwrap();
    let messages: Vec<&Message> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(messages.len(), 6);
    assert_eq!(messages[0].photo().unwrap().len(), 2);
    assert_eq!(
        messages[1].document().unwrap().file_name.as_deref(),
        Some("a.pdf")
    );
    assert_eq!(messages[2].audio().unwrap().duration.seconds(), 30);
    assert_eq!(messages[3].voice().unwrap().duration.seconds(), 4);
    assert_eq!(messages[4].video().unwrap().width, 640);
    assert_eq!(messages[5].caption(), Some("draw this"));

    let kinds: Vec<MessageKind> = fake.chat(7).iter().map(|m| m.kind).collect();
    use MessageKind::*;
    assert_eq!(kinds, [Photo, Document, Audio, Voice, Video, Photo]);
    assert!(fake.chat(7).iter().all(|m| !m.from_bot && m.file.is_some()));
}

/// A tiny bot: accepts every pre-checkout query and confirms payments.
fn payment_bot() -> UpdateHandler<RequestError> {
    dptree::entry()
        .branch(Update::filter_pre_checkout_query().endpoint(
            |bot: Bot, q: PreCheckoutQuery| async move {
                bot.answer_pre_checkout_query(q.id, true).await?;
                Ok(())
            },
        ))
        .branch(
            Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
                if let Some(payment) = msg.successful_payment() {
                    let text = format!(
                        "credited {} for {}",
                        payment.total_amount, payment.invoice_payload
                    );
                    bot.send_message(msg.chat.id, text).await?;
                }
                Ok(())
            }),
        )
}

#[tokio::test]
async fn a_stars_invoice_is_paid_through_a_teloxide_dispatcher() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let mut dispatcher = Dispatcher::builder(bot.clone(), payment_bot()).build();
    let shutdown = dispatcher.shutdown_token();
    let listener = Polling::builder(bot.clone())
        .timeout(Duration::from_secs(5))
        .build();
    let running = tokio::spawn(async move {
        dispatcher
            .dispatch_with_listener(
                listener,
                LoggingErrorHandler::with_custom_text("payment bot"),
            )
            .await;
    });

    let invoice = bot
        .send_invoice(
            ChatId(42),
            "50 Stars",
            "Top up your balance",
            "topup:50",
            "XTR",
            [LabeledPrice::new("Stars", 50)],
        )
        .await
        .unwrap();
    assert_eq!(invoice.invoice().unwrap().total_amount, 50);
    let shown = fake.last_bot_message(42).unwrap();
    assert_eq!(shown.kind, MessageKind::Invoice);
    assert!(shown.buttons[0][0].pay);
    let summary = shown.invoice.unwrap();
    assert_eq!(
        (
            summary.currency.as_str(),
            summary.total_amount,
            summary.payload.as_str()
        ),
        ("XTR", 50, "topup:50")
    );

    let paid = alice.pay_invoice().await.unwrap();
    assert!(paid.answered && paid.pre_checkout_ok, "{paid:?}");
    let charge_id = paid.charge_id.clone().unwrap();
    fake.wait_bot_message(42, WAIT, |m| {
        m.text_or_empty() == "credited 50 for topup:50"
    })
    .await
    .unwrap();
    assert_eq!(fake.charge(&charge_id).unwrap().user_id, 42);

    // The same successful_payment in a new update: a bot must not credit it twice.
    let again = alice.resend_successful_payment(&charge_id).await.unwrap();
    assert!(again.update_id > paid.update_id.unwrap());
    fake.wait_for(WAIT, |f| {
        let credits = f
            .chat(42)
            .iter()
            .filter(|m| m.text_or_empty().starts_with("credited"))
            .count();
        (credits == 2).then_some(())
    })
    .await
    .unwrap();

    shutdown.shutdown().unwrap().await;
    running.await.unwrap();

    let charge = TelegramTransactionId(charge_id.clone());
    bot.refund_star_payment(UserId(42), charge.clone())
        .await
        .unwrap();
    assert!(fake.charge(&charge_id).unwrap().refunded);
    let twice = bot.refund_star_payment(UserId(42), charge).await;
    assert!(
        matches!(&twice, Err(RequestError::Api(ApiError::Unknown(d))) if d == "Bad Request: CHARGE_ALREADY_REFUNDED"),
        "{twice:?}"
    );
    let invalid = bot
        .send_invoice(
            ChatId(42),
            "x",
            "y",
            "z",
            "XTR",
            [LabeledPrice::new("a", 1), LabeledPrice::new("b", 1)],
        )
        .await;
    assert!(invalid.is_err());
}

#[tokio::test]
async fn an_unanswered_or_refused_pre_checkout_pays_nothing() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let invoice = bot
        .send_invoice(
            ChatId(42),
            "10 Stars",
            "Top up",
            "topup:10",
            "XTR",
            [LabeledPrice::new("Stars", 10)],
        )
        .await
        .unwrap();
    let silent = alice
        .pay_invoice_in(invoice.id.0, Duration::from_millis(50))
        .await
        .unwrap();
    assert!(!silent.answered && silent.charge_id.is_none(), "{silent:?}");

    let paying = tokio::spawn({
        let alice = alice.clone();
        async move { alice.pay_invoice().await }
    });
    let query = fake
        .wait_for(WAIT, |f| {
            f.pending_updates()
                .into_iter()
                .filter_map(|u| u["pre_checkout_query"]["id"].as_str().map(str::to_owned))
                .find(|id| id != &silent.pre_checkout_id)
        })
        .await
        .unwrap();
    bot.answer_pre_checkout_query(teloxide::types::PreCheckoutQueryId(query), false)
        .error_message("Sold out")
        .await
        .unwrap();
    let refused = paying.await.unwrap().unwrap();
    assert!(refused.answered && !refused.pre_checkout_ok);
    assert_eq!(refused.error_message.as_deref(), Some("Sold out"));
    assert!(fake.charges().is_empty());
}
