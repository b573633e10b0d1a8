//! The panel's screens: pure functions from figures to a [`tg_kit::Screen`], so each is tested
//! without Telegram or a database. Every text that came from a user, a model file or Kie goes
//! through `Args::text` (escaped).
//!
//! This module must never read the database or send anything.

pub mod actions;
pub mod analytics;
pub mod broadcasts;
pub mod broken;
pub mod errors;
pub mod figures;
pub mod home;
pub mod log;
pub mod models;
pub mod refunds;
pub mod settings;
pub mod stats;
pub mod users;

use teloxide::types::InlineKeyboardButton;
use tg_kit::{I18n, Lang, button};

use crate::button::AdminButton;

/// The "back to the panel" button.
pub fn home_button(i18n: &I18n, lang: Lang) -> InlineKeyboardButton {
    button(i18n.t(lang, "admin-back-home"), AdminButton::Home.encode())
}

/// "‹ page ›" buttons for a list (`has_next`: a full page was shown).
pub fn pager(
    page: u16,
    has_next: bool,
    to: impl Fn(u16) -> AdminButton,
) -> Vec<InlineKeyboardButton> {
    let mut row = Vec::new();
    if page > 0 {
        row.push(button("‹", to(page - 1).encode()));
    }
    if has_next {
        row.push(button("›", to(page + 1).encode()));
    }
    row
}
