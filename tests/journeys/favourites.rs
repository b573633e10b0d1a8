//! Favourites and presets (issue 13): a model starred from its card is in "⭐ Favourites" and
//! leaves it when unstarred; a wizard's settings saved as a preset (its name escaped on screen)
//! are offered first when the model is opened again, and applying the preset reaches the
//! confirm screen with the same price; another user's press on that preset is "out of date";
//! a favourite taken off sale is hidden from the list, not deleted.

use bot_ui::i18n::{Args, code};
use journeys::{Journey, Rig, data_button, escape, i18n, is_wizard_op, t};
use ledger::UserId;

const MODEL: &str = "google/imagen4-fast";

/// Presses `data` on message `at` as `j`'s user and checks the answer is "out of date".
async fn press_stale(j: &Journey<'_>, at: i32, data: &str) {
    let pressed = j.user().press_data(at, data).await;
    let answer = j
        .tg()
        .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
        .await
        .unwrap_or_else(|e| j.fail(&format!("{data:?} was not answered: {e:#}")));
    j.check(
        answer.text.as_deref() == Some(t(j.lang, "stale-button").as_str()),
        &format!("{data:?} is answered “out of date”, got {answer:?}"),
    );
}

fn run_label(j: &Journey<'_>, m: &tg_fake::ChatMessage) -> String {
    m.all_buttons()
        .find(|b| {
            b.callback_data
                .as_deref()
                .is_some_and(|d| is_wizard_op(d, "r"))
        })
        .map(|b| b.text.clone())
        .unwrap_or_else(|| j.fail("no Run button"))
}

async fn favourites_and_presets(code_: &str) {
    let rig = Rig::start().await;
    let id = 500_001_301;
    let mut j = rig.journey(id, "Stella", code_);
    let lang = j.lang;
    let menu = j.start().await;
    rig.credit(id, "100").await;
    let title = rig
        .stack
        .app
        .ui
        .catalog
        .get(MODEL)
        .expect("the model")
        .title
        .get(code(lang))
        .to_string();
    let is_favourites_button = |d: &str| d == "v:0";
    j.check(
        data_button(&menu, is_favourites_button).is_none(),
        "no ⭐ Favourites in the menu before any star",
    );

    // Star from the card: the card re-renders with ⭐.
    let (star, unstar) = (t(lang, "card-star"), t(lang, "card-unstar"));
    let at = menu.id;
    j.press_data(at, &format!("o:{MODEL}"), |m| {
        m.id == at && m.button(&star).is_some()
    })
    .await;
    j.press(&star, |m| m.id == at && m.button(&unstar).is_some())
        .await;
    let favs = i18n().tf(lang, "menu-favourites", &Args::new().num("count", 1));
    let menu = j.start().await;
    j.check(
        menu.button(&favs).is_some(),
        "⭐ Favourites (1) in the menu",
    );
    let list_title = t(lang, "favourites-title");
    let card_data = format!("o:{MODEL}");
    let list = j
        .press(&favs, |m| m.text_or_empty().contains(&list_title))
        .await;
    j.check(
        list.all_buttons()
            .any(|b| b.callback_data.as_deref() == Some(&card_data) && b.text.contains(&title)),
        "the favourites list has the model",
    );
    let at = list.id;
    j.press_data(at, &card_data, |m| {
        m.id == at && m.button(&unstar).is_some()
    })
    .await;
    j.press(&unstar, |m| m.id == at && m.button(&star).is_some())
        .await;
    let menu = j.start().await;
    j.check(
        data_button(&menu, is_favourites_button).is_none(),
        "no ⭐ Favourites once unstarred",
    );

    // A preset from the confirm screen, its name escaped wherever it is shown.
    j.open_wizard(MODEL).await;
    j.say("a lighthouse in the fog", journeys::is_wizard_screen)
        .await;
    let confirm = j.to_confirm().await;
    let price = run_label(&j, &confirm);
    let ask = i18n().tf(lang, "preset-ask", &Args::new().num("max", 32));
    j.press(&t(lang, "preset-save"), |m| m.text_or_empty() == ask)
        .await;
    let name = "My <b>style</b>";
    let saved = i18n().tf(
        lang,
        "preset-saved",
        &Args::new().text("name", name).text("model", &title),
    );
    let after = j.say(name, |m| m.text_or_empty().contains(&saved)).await;
    j.check(
        after.text_or_empty().contains(&escape(name)) && !after.text_or_empty().contains(name),
        "the preset's name is escaped",
    );
    let presets = ledger::presets(&mut *rig.conn().await, UserId(id), MODEL)
        .await
        .expect("presets");
    j.check(
        presets.len() == 1 && presets[0].name == name,
        "one preset stored",
    );
    let preset = presets[0].clone();
    j.check(
        preset.input.get("prompt").and_then(|p| p.as_str()) == Some("a lighthouse in the fog"),
        &format!("the preset holds the wizard's input: {}", preset.input),
    );

    // /start again, open the model: the preset is offered first; applying it reaches the
    // confirm screen with the same price.
    j.start().await;
    let first = j.open_wizard(MODEL).await;
    let apply = format!("q:{}:u", preset.id);
    let top = first
        .all_buttons()
        .next()
        .unwrap_or_else(|| j.fail("no buttons"));
    j.check(
        top.callback_data.as_deref() == Some(&apply)
            && top.text == format!("{} {name}", t(lang, "preset-use")),
        &format!("the preset is the first button: {top:?}"),
    );
    let at = first.id;
    let confirm = j
        .press_data(at, &apply, |m| {
            m.id == at && data_button(m, |d| is_wizard_op(d, "r")).is_some()
        })
        .await;
    j.check(
        run_label(&j, &confirm) == price,
        "the same price as before the preset",
    );
    j.check(
        confirm.text_or_empty().contains(&escape(name)),
        "the confirm screen says which preset (escaped)",
    );

    // Another user pressing the preset's button: out of date, and nothing changes.
    let mut bob = rig.journey(500_001_302, "Bob", code_);
    let bob_menu = bob.start().await;
    let bob_chat = bob.snapshot();
    press_stale(&bob, bob_menu.id, &apply).await;
    press_stale(&bob, bob_menu.id, &format!("q:{}:d", preset.id)).await;
    bob.barrier().await;
    bob.check(bob.snapshot() == bob_chat, "Bob sees nothing new");
    bob.check(
        ledger::preset(&mut *rig.conn().await, UserId(id), preset.id)
            .await
            .expect("preset")
            .is_some(),
        "the preset is still there",
    );

    // A favourite taken off sale is hidden, not deleted.
    let other = rig
        .stack
        .app
        .ui
        .store()
        .await
        .expect("the store")
        .models()
        .into_iter()
        .map(|m| m.id.clone())
        .find(|m| m != MODEL)
        .expect("another model");
    let menu = j.start().await;
    let at = menu.id;
    j.press_data(at, &card_data, |m| m.id == at && m.button(&star).is_some())
        .await;
    j.press(&star, |m| m.id == at && m.button(&unstar).is_some())
        .await;
    ledger::star(&mut *rig.conn().await, UserId(id), &other)
        .await
        .expect("star");
    ledger::set_model_disabled(&mut *rig.conn().await, UserId(id), MODEL, true, Some("x"))
        .await
        .expect("disabled");
    rig.stack.app.ui.storefront.invalidate();
    let menu = j.start().await;
    j.check(
        menu.button(&favs).is_some(),
        "⭐ Favourites (1): only the model on sale counts",
    );
    let list = j
        .press(&favs, |m| m.text_or_empty().contains(&list_title))
        .await;
    let other_data = format!("o:{other}");
    j.check(
        list.all_buttons()
            .any(|b| b.callback_data.as_deref() == Some(&other_data))
            && !list
                .all_buttons()
                .any(|b| b.callback_data.as_deref() == Some(&card_data)),
        "the disabled favourite is not listed",
    );
    let stored = ledger::favourites(&mut *rig.conn().await, UserId(id))
        .await
        .expect("favourites");
    j.check(
        stored.contains(&MODEL.to_string()) && stored.contains(&other),
        "the disabled favourite is kept",
    );
    rig.finish().await;
}

both_languages!(favourites_and_presets);
