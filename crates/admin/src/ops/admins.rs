//! The admins and their roles (owners only; changes go through `/grant` and `/revoke`).

use teloxide::types::MessageId;
use tg_kit::{Args, Ctx, HandlerResult, Screen, UiBot};

use super::show_screen;
use crate::Admin;
use crate::screens::home_button;

/// The list of admins.
pub async fn list(bot: &UiBot, admin: &Admin, ctx: &Ctx, at: Option<MessageId>) -> HandlerResult {
    let rows = crate::roles::admins(&mut *admin.db().await?).await?;
    let i18n = &admin.i18n;
    let lines: Vec<String> = rows
        .iter()
        .map(|r| {
            let seeded = admin.config.owner_ids.contains(&r.user_id);
            let role = i18n.t(ctx.lang, &format!("admin-role-{}", r.role));
            let note = if seeded {
                i18n.t(ctx.lang, "admin-seeded")
            } else {
                String::new()
            };
            format!("<code>{}</code> · {role}{note}", r.user_id)
        })
        .collect();
    let text = i18n.tf(
        ctx.lang,
        "admin-admins-list",
        &Args::new().raw("list", lines.join("\n")),
    );
    show_screen(
        bot,
        ctx,
        at,
        &Screen::new(text).row(vec![home_button(i18n, ctx.lang)]),
    )
    .await
}
