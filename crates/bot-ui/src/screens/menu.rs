//! The welcome, the main menu, help, terms and the language switch.

use catalog::Category;
use teloxide::types::{CallbackQueryId, MessageId};

use crate::callback::Action;
use crate::i18n::{Args, Lang, fmt_money};
use crate::keyboard::{Screen, button};
use crate::{Ui, UiBot};
use tg_kit::ctx::answer;
use tg_kit::send;
use tg_kit::{Ctx, HandlerResult};

/// The emoji and message id of a category.
pub fn category_label(ui: &Ui, lang: Lang, category: Category) -> String {
    ui.i18n.t(lang, &format!("category-{}", category.as_str()))
}

/// The main menu; "⭐ Favourites" when the user has `favourites` on sale.
pub fn menu_screen(ui: &Ui, lang: Lang, free_count: usize, favourites: usize) -> Screen {
    let i = &ui.i18n;
    let cats = ui
        .catalog
        .categories()
        .into_iter()
        .filter(|c| c.count > 0)
        .map(|c| {
            button(
                format!("{} ({})", category_label(ui, lang, c.category), c.count),
                Action::Category {
                    category: c.category,
                    page: 0,
                },
            )
        })
        .collect();
    let mut screen = Screen::new(i.t(lang, "menu-title")).grid(cats, 2);
    let mut row = Vec::new();
    if free_count > 0 {
        row.push(button(
            i.tf(
                lang,
                "menu-free",
                &Args::new().num("count", free_count as i64),
            ),
            Action::Free { page: 0 },
        ));
    }
    row.push(button(
        i.t(lang, "menu-popular"),
        Action::Popular { page: 0 },
    ));
    screen = screen.row(row);
    if favourites > 0 {
        screen = screen.row(vec![button(
            i.tf(
                lang,
                "menu-favourites",
                &Args::new().num("count", favourites as i64),
            ),
            Action::Favourites { page: 0 },
        )]);
    }
    screen = screen
        .row(vec![button(i.t(lang, "menu-search"), Action::Search)])
        .row(vec![
            button(i.t(lang, "menu-balance"), Action::Balance),
            button(i.t(lang, "menu-history"), Action::History { before: None }),
        ])
        .row(vec![
            button(i.t(lang, "menu-help"), Action::Help),
            button(
                i.t(lang, "menu-language"),
                Action::Language {
                    lang: match lang {
                        Lang::Ru => Lang::En,
                        Lang::En => Lang::Ru,
                    },
                },
            ),
        ]);
    screen
}

/// The main menu for this user: the free models and their favourites on sale now.
pub async fn menu_for(ui: &Ui, ctx: &Ctx) -> anyhow::Result<Screen> {
    let store = ui.store().await?;
    let free = store.free_models().len();
    let favourites = crate::screens::catalog::favourites_on_sale(ui, ctx, &store)
        .await?
        .len();
    Ok(menu_screen(ui, ctx.lang, free, favourites))
}

/// /start: the welcome and the menu.
pub async fn start(bot: &UiBot, ui: &Ui, ctx: &Ctx) -> HandlerResult {
    let store = ui.store().await?;
    let mut screen = menu_for(ui, ctx).await?;
    let welcome = ui.i18n.tf(
        ctx.lang,
        "welcome",
        &Args::new()
            .text("name", &ctx.user.first_name)
            .num("models", store.models().len() as i64),
    );
    screen.text = format!("{welcome}\n\n{}", screen.text);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// The main menu (editing `at` when it came from a button).
pub async fn show_menu(bot: &UiBot, ui: &Ui, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    send::show(bot, ctx.chat, at, &menu_for(ui, ctx).await?).await?;
    Ok(())
}

/// /cancel.
pub async fn cancelled(bot: &UiBot, ui: &Ui, ctx: &Ctx, had_wizard: bool) -> HandlerResult {
    let mut screen = menu_for(ui, ctx).await?;
    let note = ui.i18n.t(
        ctx.lang,
        if had_wizard {
            "cancelled"
        } else {
            "nothing-to-cancel"
        },
    );
    screen.text = format!("{note}\n\n{}", screen.text);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// Text or a file when nothing is waiting for one.
pub async fn unexpected_input(bot: &UiBot, ui: &Ui, ctx: &Ctx) -> HandlerResult {
    let mut screen = menu_for(ui, ctx).await?;
    screen.text = format!(
        "{}\n\n{}",
        ui.i18n.t(ctx.lang, "unexpected-input"),
        screen.text
    );
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// A command we do not have: the short help (every command and what it does). Whatever was in
/// progress (a wizard step) stays as it was.
pub async fn unknown_command(bot: UiBot, ui: Ui, ctx: Ctx) -> HandlerResult {
    let mut text = ui.i18n.t(ctx.lang, "unknown-command");
    for command in crate::commands_for(&ui.i18n, ctx.lang) {
        text.push_str(&format!("\n/{} — {}", command.command, command.description));
    }
    send::send(&bot, ctx.chat, &crate::keyboard::Screen::new(text)).await?;
    Ok(())
}

/// /help.
pub async fn show_help(bot: &UiBot, ui: &Ui, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let s = ui.settings().await?;
    let text = ui.i18n.tf(
        ctx.lang,
        "help",
        &Args::new()
            .raw("rate", s.pricing.rub_per_usd.normalize().to_string())
            .raw("markup", s.pricing.markup.normalize().to_string())
            .raw("star", fmt_money(ctx.lang, s.stars.rub_for_stars(1)))
            .num("per_day", i64::from(s.free.per_day))
            .num("per_hour", i64::from(s.free.per_hour))
            .text("support", &ui.config.support_contact),
    );
    let screen =
        Screen::new(text).row(vec![button(ui.i18n.t(ctx.lang, "back-menu"), Action::Menu)]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// /terms.
pub async fn show_terms(bot: &UiBot, ui: &Ui, ctx: &Ctx) -> HandlerResult {
    let text = ui.i18n.tf(
        ctx.lang,
        "terms",
        &Args::new().text("support", &ui.config.support_contact),
    );
    let screen =
        Screen::new(text).row(vec![button(ui.i18n.t(ctx.lang, "back-menu"), Action::Menu)]);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// /language.
pub async fn show_language(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
) -> HandlerResult {
    let screen = Screen::new(ui.i18n.t(ctx.lang, "language-choose")).row(vec![
        button("🇷🇺 Русский", Action::Language { lang: Lang::Ru }),
        button("🇬🇧 English", Action::Language { lang: Lang::En }),
    ]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// Switches the language and shows the menu in it.
pub async fn set_language(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    at: MessageId,
    lang: Lang,
) -> HandlerResult {
    ledger::set_language(&mut *ui.db().await?, ctx.user.id, lang).await?;
    answer(bot, q, Some(ui.i18n.t(lang, "language-set"))).await?;
    let ctx = Ctx {
        lang,
        ..ctx.clone()
    };
    show_menu(bot, ui, &ctx, Some(at)).await
}
