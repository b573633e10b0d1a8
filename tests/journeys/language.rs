//! The language switch: the menu's language button and /language switch every text, and the
//! choice sticks across /start (Telegram's language code only sets a new user's language).

use bot_ui::Lang;
use journeys::{Rig, t};

async fn language_switch(code: &str) {
    let rig = Rig::start().await;
    let id = 500_000_501;
    let mut j = rig.journey(id, "Lang", code);
    let from = j.lang;
    let to = match from {
        Lang::Ru => Lang::En,
        Lang::En => Lang::Ru,
    };
    let menu = j.start().await;
    j.check(
        menu.text_or_empty().contains(&t(from, "menu-title")),
        "the first menu speaks the Telegram language",
    );
    // The menu's language button.
    let switch = t(from, "menu-language");
    let pressed = j
        .user()
        .press_in(menu.id, &switch)
        .await
        .expect("the button");
    let answer = rig
        .tg()
        .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
        .await
        .expect("answered");
    j.check(
        answer.text.as_deref() == Some(t(to, "language-set").as_str()),
        "the tap is answered in the new language",
    );
    let menu_id = menu.id;
    let title = t(to, "menu-title");
    j.wait("the menu in the new language", |m| {
        m.id == menu_id && m.text_or_empty().contains(&title)
    })
    .await;
    j.check(rig.user(id).await.language == to, "the language is stored");
    j.lang = to;
    // It sticks: /start, a command and a screen speak the new language.
    let welcome = j.start().await;
    j.check(
        welcome.text_or_empty().contains(&t(to, "menu-title"))
            && welcome.button(&t(to, "menu-balance")).is_some(),
        "/start speaks the chosen language, not Telegram's",
    );
    let help_marker = t(to, "back-menu");
    let balance = j
        .say("/balance", |m| m.button(&help_marker).is_some())
        .await;
    j.check(
        balance.button(&t(to, "balance-topup")).is_some(),
        "the balance screen speaks the chosen language",
    );
    // /language switches back.
    let choose = t(to, "language-choose");
    let chooser = j
        .say("/language", |m| m.text_or_empty().contains(&choose))
        .await;
    let back = match from {
        Lang::Ru => "Русский",
        Lang::En => "English",
    };
    let chooser_id = chooser.id;
    let title = t(from, "menu-title");
    j.press(back, |m| {
        m.id == chooser_id && m.text_or_empty().contains(&title)
    })
    .await;
    j.lang = from;
    let again = j.start().await;
    j.check(
        again.text_or_empty().contains(&t(from, "menu-title")),
        "back in the first language after /start",
    );
    j.check(rig.user(id).await.language == from, "stored again");
    rig.finish().await;
}

both_languages!(language_switch);
