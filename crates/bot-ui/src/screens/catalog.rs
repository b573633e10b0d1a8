//! Browsing: a category's models (cheapest first, paged), the free models, the popular ones,
//! search, and a model's card with its exact price.

use catalog::{Category, Model};
use pricing::{FreeStatus, Settings};
use teloxide::types::{CallbackQueryId, MessageId};

use crate::callback::Action;
use crate::i18n::{Args, Lang, code, fmt_money};
use crate::keyboard::{Screen, button};
use crate::screens::menu::category_label;
use crate::state::{Mode, State};
use crate::{Ui, UiBot};
use ledger::reports::health::Health;
use storefront::Storefront;
use tg_kit::ctx::answer;
use tg_kit::send;
use tg_kit::{Ctx, HandlerResult};

/// "from 19 ₽" / "19 ₽" / "🆓" for a list button.
pub fn price_label(ui: &Ui, lang: Lang, model: &Model, settings: &Settings, free: bool) -> String {
    if free {
        return ui.i18n.t(lang, "price-free-short");
    }
    let range = model.price_range(&settings.pricing);
    if range.min == range.max {
        fmt_money(lang, range.min)
    } else {
        ui.i18n.tf(
            lang,
            "price-from",
            &Args::new().money("price", lang, range.min),
        )
    }
}

/// A page of models as buttons, with a pager whose buttons are made by `page_action`.
fn model_list(
    ui: &Ui,
    lang: Lang,
    title: String,
    models: &[&Model],
    page: u16,
    store: &Storefront,
    page_action: impl Fn(u16) -> Action,
) -> Screen {
    let settings = store.settings();
    let size = ui.config.page_size.max(1);
    let pages = models.len().div_ceil(size).max(1);
    let page = usize::from(page).min(pages - 1);
    let mut screen = Screen::new(if models.is_empty() {
        format!("{title}\n\n{}", ui.i18n.t(lang, "list-empty"))
    } else {
        title
    });
    for m in models.iter().skip(page * size).take(size) {
        let label = format!(
            "{} · {}",
            m.title.get(code(lang)),
            price_label(ui, lang, m, settings, store.is_free(&m.id))
        );
        screen = screen.row(vec![button(
            label,
            Action::Card {
                model: m.id.clone(),
            },
        )]);
    }
    if pages > 1 {
        let mut pager = Vec::new();
        if page > 0 {
            pager.push(button("◀️", page_action(page as u16 - 1)));
        }
        pager.push(button(format!("{}/{}", page + 1, pages), Action::Noop));
        if page + 1 < pages {
            pager.push(button("▶️", page_action(page as u16 + 1)));
        }
        screen = screen.row(pager);
    }
    screen.row(vec![button(ui.i18n.t(lang, "back"), Action::Menu)])
}

/// A category page.
pub async fn show_category(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    category: Category,
    page: u16,
) -> HandlerResult {
    let store = ui.store().await?;
    let models: Vec<&Model> = store.in_category(category);
    let title = ui.i18n.tf(
        ctx.lang,
        "category-title",
        &Args::new()
            .raw("category", category_label(ui, ctx.lang, category))
            .num("count", models.len() as i64),
    );
    let screen = model_list(ui, ctx.lang, title, &models, page, &store, |page| {
        Action::Category { category, page }
    });
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// A list of models given by id (unknown ids skipped).
fn by_ids<'c>(ui: &'c Ui, ids: &[String]) -> Vec<&'c Model> {
    ids.iter().filter_map(|id| ui.catalog.get(id)).collect()
}

/// The free models.
pub async fn show_free(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    page: u16,
) -> HandlerResult {
    let store = ui.store().await?;
    let settings = store.settings();
    let ids = store.free_models();
    let models = by_ids(ui, &ids);
    let title = ui.i18n.tf(
        ctx.lang,
        "free-title",
        &Args::new()
            .num("per_day", i64::from(settings.free.per_day))
            .num("per_hour", i64::from(settings.free.per_hour)),
    );
    let screen = model_list(ui, ctx.lang, title, &models, page, &store, |page| {
        Action::Free { page }
    });
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// The user's favourites that are on sale in `store`, oldest first. A favourite taken off sale
/// is hidden, not deleted: it comes back when the model does.
pub async fn favourites_on_sale(
    ui: &Ui,
    ctx: &Ctx,
    store: &Storefront,
) -> anyhow::Result<Vec<String>> {
    let ids = ledger::favourites(&mut *ui.db().await?, ctx.user.id).await?;
    Ok(ids
        .into_iter()
        .filter(|id| store.on_sale(id).is_some() && ui.catalog.get(id).is_some())
        .collect())
}

/// The user's favourite models (those on sale).
pub async fn show_favourites(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    page: u16,
) -> HandlerResult {
    let store = ui.store().await?;
    let ids = favourites_on_sale(ui, ctx, &store).await?;
    let models = by_ids(ui, &ids);
    let screen = model_list(
        ui,
        ctx.lang,
        ui.i18n.t(ctx.lang, "favourites-title"),
        &models,
        page,
        &store,
        |page| Action::Favourites { page },
    );
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// The card's ☆/⭐ button: stars (only a model on sale) or unstars, then shows the card again.
pub async fn star(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    q: CallbackQueryId,
    at: MessageId,
    model_id: &str,
    on: bool,
) -> HandlerResult {
    let lang = ctx.lang;
    if ui.catalog.get(model_id).is_none() {
        return crate::screens::stale(bot, ui, ctx, q).await;
    }
    let note = if on {
        if ui.on_sale(model_id).await?.is_none() {
            return answer(bot, q, Some(ui.i18n.t(lang, "model-gone"))).await;
        }
        match ledger::star(&mut *ui.db().await?, ctx.user.id, model_id).await? {
            ledger::StarOutcome::Added | ledger::StarOutcome::Already => {
                ui.i18n.t(lang, "favourite-added")
            }
            ledger::StarOutcome::Full => ui.i18n.tf(
                lang,
                "favourites-full",
                &Args::new().num("max", i64::from(ledger::MAX_FAVOURITES)),
            ),
        }
    } else {
        ledger::unstar(&mut *ui.db().await?, ctx.user.id, model_id).await?;
        ui.i18n.t(lang, "favourite-removed")
    };
    answer(bot, q, Some(note)).await?;
    show_card(bot, ui, ctx, Some(at), model_id).await
}

/// The most used models.
pub async fn show_popular(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    page: u16,
) -> HandlerResult {
    let store = ui.store().await?;
    let ids = ui.popular().await?;
    let models = by_ids(ui, &ids);
    let screen = model_list(
        ui,
        ctx.lang,
        ui.i18n.t(ctx.lang, "popular-title"),
        &models,
        page,
        &store,
        |page| Action::Popular { page },
    );
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// Asks for a search query.
pub async fn ask_search(bot: &UiBot, ui: &Ui, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    crate::screens::set_mode(ui, ctx, Mode::Search).await?;
    let screen = Screen::new(ui.i18n.t(ctx.lang, "search-ask"))
        .row(vec![button(ui.i18n.t(ctx.lang, "back-menu"), Action::Menu)]);
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}

/// The longest search query we look at.
const MAX_QUERY_CHARS: usize = 64;

/// Search results for a typed query.
pub async fn search(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    mut state: State,
    query: &str,
) -> HandlerResult {
    let query: String = query.trim().chars().take(MAX_QUERY_CHARS).collect();
    let store = ui.store().await?;
    let hits: Vec<&Model> = store.search(&query).into_iter().take(10).collect();
    if !hits.is_empty() {
        state.mode = Mode::Normal;
        state.save(&mut *ui.db().await?, ctx.chat.0).await?;
    }
    let title = if hits.is_empty() {
        ui.i18n.tf(
            ctx.lang,
            "search-nothing",
            &Args::new().text("query", &query),
        )
    } else {
        ui.i18n.tf(
            ctx.lang,
            "search-results",
            &Args::new()
                .text("query", &query)
                .num("count", hits.len() as i64),
        )
    };
    let screen = model_list(ui, ctx.lang, title, &hits, 0, &store, |_| Action::Search);
    send::send(bot, ctx.chat, &screen).await?;
    Ok(())
}

/// A model's card.
pub async fn card_screen(ui: &Ui, ctx: &Ctx, model: &Model) -> anyhow::Result<Screen> {
    let lang = ctx.lang;
    let i = &ui.i18n;
    let store = ui.store().await?;
    let settings = store.settings();
    let on_sale = store.on_sale(&model.id).is_some();
    let health = ui.health(&model.id).await?;
    let c = code(lang);
    let mut text = format!(
        "<b>{}</b>\n{}\n\n{}",
        teloxide::utils::html::escape(model.title.get(c)),
        teloxide::utils::html::escape(model.description.get(c)),
        i.tf(
            lang,
            "card-good-for",
            &Args::new().text("text", model.good_for.get(c))
        )
    );
    let range = model.price_range(&settings.pricing);
    let price = if range.min == range.max {
        i.tf(
            lang,
            "card-price",
            &Args::new().money("price", lang, range.min),
        )
    } else {
        let drivers: Vec<String> = model
            .params
            .iter()
            .filter(|p| p.priced)
            .map(|p| p.label.get(c).to_string())
            .collect();
        i.tf(
            lang,
            "card-price-range",
            &Args::new()
                .money("min", lang, range.min)
                .money("max", lang, range.max)
                .text("drivers", drivers.join(", ")),
        )
    };
    text.push_str("\n\n");
    text.push_str(&price);
    if !model.price.confirmed {
        text.push('\n');
        text.push_str(&i.t(lang, "card-preliminary"));
    }
    let starred = ledger::is_favourite(&mut *ui.db().await?, ctx.user.id, &model.id).await?;
    let is_free = store.is_free(&model.id);
    if is_free {
        let used = ledger::free_quota(
            &mut *ui.db().await?,
            ctx.user.id,
            &model.id,
            chrono::Utc::now(),
        )
        .await?;
        text.push('\n');
        text.push_str(&match settings.free.status(true, used) {
            FreeStatus::Free { left } => i.tf(
                lang,
                "card-free-left",
                &Args::new().num("left", i64::from(left)),
            ),
            _ => i.t(lang, "card-free-used"),
        });
    }
    let back = Action::Category {
        category: model.category,
        page: 0,
    };
    let mut screen = Screen::new(text);
    if on_sale && health == Some(Health::Failing) {
        screen.text.push_str("\n\n");
        screen.text.push_str(&i.t(lang, "card-failing"));
    }
    if on_sale && health == Some(Health::Broken) {
        screen.text.push_str("\n\n");
        screen.text.push_str(&i.t(lang, "card-broken"));
    } else if on_sale {
        screen = screen.row(vec![button(
            i.t(lang, "card-generate"),
            Action::Generate {
                model: model.id.clone(),
            },
        )]);
    } else {
        screen.text.push_str("\n\n");
        screen.text.push_str(&i.t(lang, "card-disabled"));
    }
    if on_sale || starred {
        screen = screen.row(vec![star_button(ui, lang, &model.id, starred)]);
    }
    Ok(screen.row(vec![
        button(i.t(lang, "back"), back),
        button(i.t(lang, "back-menu"), Action::Menu),
    ]))
}

/// The card's toggle: ☆ (star it) when `starred` is false, ⭐ (unstar it) when true.
pub fn star_button(
    ui: &Ui,
    lang: Lang,
    model: &str,
    starred: bool,
) -> teloxide::types::InlineKeyboardButton {
    button(
        ui.i18n
            .t(lang, if starred { "card-unstar" } else { "card-star" }),
        Action::Star {
            model: model.to_string(),
            on: !starred,
        },
    )
}

/// Shows a model's card (an unknown model id is a stale button: back to the menu).
pub async fn show_card(
    bot: &UiBot,
    ui: &Ui,
    ctx: &Ctx,
    at: Option<MessageId>,
    model: &str,
) -> HandlerResult {
    let Some(model) = ui.catalog.get(model) else {
        let screen = Screen::new(ui.i18n.t(ctx.lang, "model-gone"))
            .row(vec![button(ui.i18n.t(ctx.lang, "back-menu"), Action::Menu)]);
        send::show(bot, ctx.chat, at, &screen).await?;
        return Ok(());
    };
    let screen = card_screen(ui, ctx, model).await?;
    send::show(bot, ctx.chat, at, &screen).await?;
    Ok(())
}
