//! The real teloxide `Bot` against the fake: what the bot sends (messages, edits, media,
//! albums, files) and the errors teloxide must see as Telegram's.
//!
//! These tests must never sleep to fix a race and never reach the real Telegram.

mod common;

use std::time::{Duration, Instant};

use common::{TOKEN, png_header, setup};
use teloxide::{
    ApiError, RequestError,
    adaptors::throttle::Limits,
    net::Download,
    prelude::*,
    types::{
        InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto,
        MessageId, ParseMode, Seconds, UpdateKind,
    },
};
use tg_fake::{Button, FakeError, MessageKind, UserSpec};

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("Buy ⭐", "buy:1"),
        InlineKeyboardButton::url("Help", "https://example.com/help".parse().unwrap()),
    ]])
}

#[tokio::test]
async fn a_message_with_a_keyboard_shows_in_the_chat() {
    let (fake, bot) = setup().await;
    let sent = bot
        .send_message(ChatId(42), "<b>Hello</b> &amp; welcome")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard())
        .await
        .unwrap();
    // The wire form is rendered, as Telegram returns it.
    assert_eq!(sent.text(), Some("Hello & welcome"));
    assert_eq!(sent.entities().unwrap().len(), 1);
    assert_eq!(
        sent.from.as_ref().unwrap().username.as_deref(),
        Some("fake_bot")
    );
    assert_eq!(sent.reply_markup().unwrap().inline_keyboard[0].len(), 2);

    let chat = fake.chat(42);
    assert_eq!(chat.len(), 1);
    let m = &chat[0];
    assert!(m.from_bot);
    assert_eq!(m.kind, MessageKind::Text);
    assert_eq!(m.id, sent.id.0);
    assert_eq!(m.text.as_deref(), Some("<b>Hello</b> &amp; welcome"));
    assert_eq!(m.parse_mode.as_deref(), Some("HTML"));
    assert_eq!(
        m.buttons,
        vec![vec![
            Button {
                text: "Buy ⭐".into(),
                callback_data: Some("buy:1".into()),
                url: None,
                pay: false
            },
            Button {
                text: "Help".into(),
                callback_data: None,
                url: Some("https://example.com/help".into()),
                pay: false
            },
        ]]
    );
    let calls = fake.calls_of("sendMessage");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "sendmessage");
    assert_eq!(calls[0].chat_id(), Some(42));
    assert_eq!(fake.last_bot_message(42).unwrap().id, sent.id.0);
}

#[tokio::test]
async fn edits_change_the_message_and_a_no_op_edit_is_refused() {
    let (fake, bot) = setup().await;
    let sent = bot
        .send_message(ChatId(7), "v1")
        .reply_markup(keyboard())
        .await
        .unwrap();
    let edited = bot
        .edit_message_text(ChatId(7), sent.id, "v2")
        .reply_markup(keyboard())
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("v2"));
    assert!(edited.edit_date().is_some());

    let same = bot
        .edit_message_text(ChatId(7), sent.id, "v2")
        .reply_markup(keyboard())
        .await;
    assert!(
        matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
        "{same:?}"
    );

    // As in Telegram, an edit without reply_markup removes the keyboard.
    bot.edit_message_text(ChatId(7), sent.id, "v2")
        .await
        .unwrap();
    let m = fake.message(7, sent.id.0).unwrap();
    assert!(m.buttons.is_empty());
    assert_eq!(m.edits, 2);

    bot.edit_message_reply_markup(ChatId(7), sent.id)
        .reply_markup(keyboard())
        .await
        .unwrap();
    assert_eq!(
        fake.message(7, sent.id.0).unwrap().button_texts(),
        ["Buy ⭐", "Help"]
    );

    let missing = bot.edit_message_text(ChatId(7), MessageId(999), "x").await;
    assert!(
        matches!(
            missing,
            Err(RequestError::Api(ApiError::MessageToEditNotFound))
        ),
        "{missing:?}"
    );

    bot.delete_message(ChatId(7), sent.id).await.unwrap();
    assert!(fake.chat(7).is_empty());
    let again = bot.delete_message(ChatId(7), sent.id).await;
    assert!(
        matches!(
            again,
            Err(RequestError::Api(ApiError::MessageToDeleteNotFound))
        ),
        "{again:?}"
    );
}

#[tokio::test]
async fn photos_and_documents_from_memory_are_stored_with_their_bytes() {
    let (fake, bot) = setup().await;
    let png = png_header(640, 480);
    let sent = bot
        .send_photo(ChatId(42), InputFile::memory(png.clone()))
        .caption("<i>Result</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard())
        .await
        .unwrap();
    let sizes = sent.photo().unwrap();
    assert_eq!(sizes.len(), 2);
    assert_eq!((sizes[1].width, sizes[1].height), (640, 480));
    assert_eq!(sent.caption(), Some("Result"));

    let m = fake.last_bot_message(42).unwrap();
    assert_eq!(m.kind, MessageKind::Photo);
    assert_eq!(m.text.as_deref(), Some("<i>Result</i>"));
    assert_eq!(m.file.as_ref().unwrap().bytes, png);
    assert_eq!(m.button_texts(), ["Buy ⭐", "Help"]);

    // teloxide uploads in multipart: `photo` = "attach://<random id>", the bytes in that part.
    let call = &fake.calls_of("sendPhoto")[0];
    let reference = call.str_param("photo").unwrap();
    let part = reference.strip_prefix("attach://").unwrap();
    assert_eq!(call.params[part]["len"], png.len());
    assert_eq!(call.params["chat_id"], 42);
    assert_eq!(
        call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "buy:1"
    );

    let doc = bot
        .send_document(
            ChatId(42),
            InputFile::memory(&b"%PDF-1.4"[..]).file_name("report.pdf"),
        )
        .await
        .unwrap();
    let document = doc.document().unwrap();
    assert_eq!(document.file_name.as_deref(), Some("report.pdf"));
    assert_eq!(
        document.mime_type.as_ref().unwrap().essence_str(),
        "application/pdf"
    );
    let m = fake.last_bot_message(42).unwrap();
    assert_eq!(m.kind, MessageKind::Document);
    assert_eq!(m.file.unwrap().name.as_deref(), Some("report.pdf"));

    // A file id is reusable, as in Telegram.
    let again = bot
        .send_photo(ChatId(43), InputFile::file_id(sizes[1].file.id.clone()))
        .await
        .unwrap();
    assert_eq!(again.photo().unwrap()[1].file.id, sizes[1].file.id);
    assert_eq!(fake.last_bot_message(43).unwrap().file.unwrap().bytes, png);
}

#[tokio::test]
async fn an_album_of_two_photos_is_two_messages_in_one_group() {
    let (fake, bot) = setup().await;
    let (a, b) = (png_header(10, 20), png_header(30, 40));
    let media = vec![
        InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(a.clone())).caption("one")),
        InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(b.clone()))),
    ];
    let sent = bot.send_media_group(ChatId(5), media).await.unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].media_group_id().is_some());
    assert_eq!(sent[0].media_group_id(), sent[1].media_group_id());

    let chat = fake.chat(5);
    assert_eq!(chat.len(), 2);
    assert!(
        chat.iter()
            .all(|m| m.kind == MessageKind::Photo && m.media_group_id.is_some())
    );
    assert_eq!(chat[0].text.as_deref(), Some("one"));
    assert_eq!(chat[0].file.as_ref().unwrap().bytes, a);
    assert_eq!(chat[1].file.as_ref().unwrap().bytes, b);

    let alone = bot
        .send_media_group(
            ChatId(5),
            [InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(
                a,
            )))],
        )
        .await;
    assert!(alone.is_err());
}

#[tokio::test]
async fn a_users_upload_is_downloadable_through_get_file() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let bytes = b"not really a jpeg".to_vec();
    alice.send_photo(bytes.clone(), 800, 600).await;
    let big = alice
        .send_document_claiming_size(
            b"tiny".to_vec(),
            "big.pdf",
            "application/pdf",
            21 * 1024 * 1024,
        )
        .await;

    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 2);
    let UpdateKind::Message(photo_message) = &updates[0].kind else {
        panic!("{:?}", updates[0])
    };
    let photo = photo_message.photo().unwrap().last().unwrap();
    assert_eq!((photo.width, photo.height), (800, 600));
    let file = bot.get_file(photo.file.id.clone()).await.unwrap();
    assert_eq!(file.meta.size as usize, bytes.len());
    let mut downloaded = Vec::new();
    bot.download_file(&file.path, &mut downloaded)
        .await
        .unwrap();
    assert_eq!(downloaded, bytes);

    let UpdateKind::Message(doc_message) = &updates[1].kind else {
        panic!("{:?}", updates[1])
    };
    assert_eq!(doc_message.id.0, big.message_id);
    let document = doc_message.document().unwrap();
    assert_eq!(document.file.size, 21 * 1024 * 1024);
    let too_big = bot.get_file(document.file.id.clone()).await;
    assert!(
        matches!(&too_big, Err(RequestError::Api(ApiError::Unknown(d))) if d == "Bad Request: file is too big"),
        "{too_big:?}"
    );
}

#[tokio::test]
async fn injected_faults_surface_as_teloxide_errors() {
    let (fake, bot) = setup().await;
    fake.fail_next(
        "sendMessage",
        1,
        FakeError::TooManyRequests { retry_after: 7 },
    );
    let limited = bot.send_message(ChatId(42), "x").await;
    assert!(
        matches!(limited, Err(RequestError::RetryAfter(s)) if s == Seconds::from_seconds(7)),
        "{limited:?}"
    );
    bot.send_message(ChatId(42), "x").await.unwrap();

    fake.fail_next(
        "SENDMESSAGE",
        1,
        FakeError::BadRequest("chat not found".into()),
    );
    let missing = bot.send_message(ChatId(42), "x").await;
    assert!(
        matches!(missing, Err(RequestError::Api(ApiError::ChatNotFound))),
        "{missing:?}"
    );

    fake.block_user(42);
    let blocked = bot.send_message(ChatId(42), "x").await;
    assert!(
        matches!(blocked, Err(RequestError::Api(ApiError::BotBlocked))),
        "{blocked:?}"
    );
    assert!(
        bot.send_chat_action(ChatId(42), teloxide::types::ChatAction::Typing)
            .await
            .is_err()
    );
    bot.send_message(ChatId(43), "others still work")
        .await
        .unwrap();
    fake.unblock_user(42);
    bot.send_message(ChatId(42), "x").await.unwrap();

    let statuses: Vec<u16> = fake
        .calls_of("sendmessage")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200, 400, 403, 200, 200]);
    // Flood accounting counts the successful sends to one chat.
    assert_eq!(fake.max_sends_per_window(42, Duration::from_secs(60)), 2);
    assert_eq!(fake.max_sends_per_window(43, Duration::from_secs(60)), 1);

    let html = bot
        .send_message(ChatId(42), "1 < 2")
        .parse_mode(ParseMode::Html)
        .await;
    assert!(
        matches!(html, Err(RequestError::Api(ApiError::CantParseEntities(_)))),
        "{html:?}"
    );

    let long = bot.send_message(ChatId(42), "x".repeat(4097)).await;
    assert!(
        matches!(long, Err(RequestError::Api(ApiError::MessageIsTooLong))),
        "{long:?}"
    );

    let data = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(65))]]);
    let oversize = bot.send_message(ChatId(42), "x").reply_markup(data).await;
    assert!(oversize.is_err());

    let stranger = Bot::new("999:WRONG").set_api_url(fake.api_url());
    let unauthorized = stranger.get_me().await;
    assert!(
        matches!(unauthorized, Err(RequestError::Api(ApiError::InvalidToken))),
        "{unauthorized:?}"
    );
}

#[tokio::test]
async fn the_raw_wire_answers_like_telegram() {
    let (fake, _bot) = setup().await;
    let client = reqwest::Client::new();
    let url = format!("{}bot{TOKEN}/noSuchMethod", fake.api_url());
    let answer = client
        .post(url)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 404);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    let url = format!("{}bot1:nope/getMe", fake.api_url());
    let answer = client.post(url).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
    );

    // Urlencoded bodies and GET with query parameters work too.
    let url = format!("{}bot{TOKEN}/sendMessage", fake.api_url());
    let answer = client
        .post(url)
        .form(&[("chat_id", "9"), ("text", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let url = format!("{}bot{TOKEN}/getme?x=1", fake.api_url());
    let body: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["result"]["id"], 123_456);
    assert_eq!(fake.chat(9)[0].text.as_deref(), Some("hi"));
}

#[tokio::test]
async fn throttle_waits_out_a_retry_after_and_resends() {
    let (fake, bot) = setup().await;
    let bot = bot.throttle(Limits::default());
    fake.fail_next(
        "sendMessage",
        1,
        FakeError::TooManyRequests { retry_after: 1 },
    );
    let start = Instant::now();
    bot.send_message(ChatId(42), "eventually").await.unwrap();
    assert!(start.elapsed() >= Duration::from_secs(1));
    let statuses: Vec<u16> = fake
        .calls_of("sendMessage")
        .iter()
        .map(|c| c.status)
        .collect();
    assert_eq!(statuses, [429, 200]);
    assert_eq!(fake.chat(42).len(), 1);
}

#[tokio::test]
async fn commands_menu_and_webhook_settings_are_recorded() {
    let (fake, bot) = setup().await;
    use teloxide::types::{BotCommand, MenuButton};
    bot.set_my_commands([
        BotCommand::new("start", "Start"),
        BotCommand::new("balance", "Balance"),
    ])
    .await
    .unwrap();
    bot.set_my_commands([BotCommand::new("start", "Начать")])
        .language_code("ru")
        .await
        .unwrap();
    assert_eq!(fake.my_commands(None).len(), 2);
    assert_eq!(fake.my_commands(Some("ru"))[0].description, "Начать");
    let ru = bot.get_my_commands().language_code("ru").await.unwrap();
    assert_eq!(ru[0].command, "start");
    assert!(
        bot.set_my_commands([BotCommand::new("Bad-Name", "x")])
            .await
            .is_err()
    );

    bot.set_chat_menu_button()
        .menu_button(MenuButton::Commands)
        .await
        .unwrap();
    assert_eq!(fake.menu_button(None).unwrap()["type"], "commands");

    bot.delete_webhook()
        .drop_pending_updates(true)
        .await
        .unwrap();
    let info = bot.get_webhook_info().await.unwrap();
    assert!(info.url.is_none());
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.id.0, 123_456);
    assert_eq!(me.username(), "fake_bot");
    bot.send_chat_action(ChatId(1), teloxide::types::ChatAction::UploadPhoto)
        .await
        .unwrap();
    assert_eq!(
        fake.calls_of("sendChatAction")[0].str_param("action"),
        Some("upload_photo")
    );
}

#[tokio::test]
async fn other_media_kinds_parse_and_captions_and_media_can_be_edited() {
    let (fake, bot) = setup().await;
    let mp4 = || InputFile::memory(&b"\0\0\0\x18ftypmp42"[..]).file_name("clip.mp4");
    let video = bot
        .send_video(ChatId(3), mp4())
        .width(640)
        .height(360)
        .duration(5)
        .await
        .unwrap();
    assert_eq!(video.video().unwrap().width, 640);
    let audio = bot
        .send_audio(
            ChatId(3),
            InputFile::memory(&b"ID3"[..]).file_name("song.mp3"),
        )
        .duration(30)
        .await
        .unwrap();
    assert_eq!(audio.audio().unwrap().duration.seconds(), 30);
    let voice = bot
        .send_voice(ChatId(3), InputFile::memory(&b"OggS"[..]))
        .await
        .unwrap();
    assert!(voice.voice().is_some());
    let animation = bot
        .send_animation(ChatId(3), mp4())
        .caption("loop")
        .await
        .unwrap();
    assert!(animation.animation().is_some());
    let kinds: Vec<MessageKind> = fake.chat(3).iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Video,
            MessageKind::Audio,
            MessageKind::Voice,
            MessageKind::Animation
        ]
    );

    let edited = bot
        .edit_message_caption(ChatId(3), animation.id)
        .caption("loop 2")
        .await
        .unwrap();
    assert_eq!(edited.caption(), Some("loop 2"));
    let same = bot
        .edit_message_caption(ChatId(3), animation.id)
        .caption("loop 2")
        .await;
    assert!(
        matches!(same, Err(RequestError::Api(ApiError::MessageNotModified))),
        "{same:?}"
    );
    let text = bot.send_message(ChatId(3), "plain").await.unwrap();
    assert!(
        bot.edit_message_caption(ChatId(3), text.id)
            .caption("x")
            .await
            .is_err()
    );

    // A progress message turned into the result: editMessageMedia with a fresh upload.
    let png = png_header(64, 64);
    let media =
        InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(png.clone())).caption("done"));
    let replaced = bot
        .edit_message_media(ChatId(3), video.id, media)
        .await
        .unwrap();
    assert_eq!(replaced.photo().unwrap()[1].width, 64);
    let m = fake.message(3, video.id.0).unwrap();
    assert_eq!(
        (m.kind, m.text.as_deref(), m.edits),
        (MessageKind::Photo, Some("done"), 1)
    );
    assert_eq!(m.file.unwrap().bytes, png);
    assert!(m.raw.get("video").is_none());
}

#[tokio::test]
async fn call_events_stream_every_answer_and_recording_can_be_turned_off() {
    let (fake, bot) = setup().await;
    let mut events = fake.subscribe_calls();
    fake.set_record_calls(false);
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let sent = bot
        .send_message(ChatId(42), "menu")
        .reply_markup(keyboard())
        .await
        .unwrap();
    let press = alice.press("Buy").await.unwrap();
    bot.answer_callback_query(teloxide::types::CallbackQueryId(press.callback_id.clone()))
        .await
        .unwrap();
    let refused = bot.edit_message_text(ChatId(42), MessageId(999), "x").await;
    assert!(refused.is_err());

    let send = events.recv().await.unwrap();
    assert_eq!(send.method, "sendmessage");
    assert_eq!(
        (send.chat_id, send.message_id, send.status),
        (Some(42), Some(sent.id.0), 200)
    );
    let answer = events.recv().await.unwrap();
    assert_eq!(answer.method, "answercallbackquery");
    // The chat of the press it answers, though the call names none.
    assert_eq!(answer.chat_id, Some(42));
    assert_eq!(answer.callback_query_id.as_ref(), Some(&press.callback_id));
    assert!(answer.at >= send.at && answer.answered_at >= answer.at);
    let edit = events.recv().await.unwrap();
    assert_eq!(
        (edit.method.as_str(), edit.message_id, edit.status),
        ("editmessagetext", Some(999), 400)
    );
    // Nothing recorded, yet the chat and the answer are there.
    assert!(fake.calls().is_empty());
    assert_eq!(fake.chat(42).len(), 1);
    assert!(fake.callback_answer(&press.callback_id).is_some());

    fake.set_record_calls(true);
    bot.send_message(ChatId(42), "again").await.unwrap();
    assert_eq!(fake.calls_of("sendMessage").len(), 1);
    assert_eq!(events.recv().await.unwrap().method, "sendmessage");
}
