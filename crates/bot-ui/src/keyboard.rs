//! Buttons of the user interface: they only ever carry [`Action`]s, so every callback the bot
//! receives from its own buttons decodes.

use teloxide::types::InlineKeyboardButton;

use crate::callback::Action;

pub use tg_kit::screen::{Screen, notice_prefix};

/// One button.
pub fn button(text: impl Into<String>, action: Action) -> InlineKeyboardButton {
    tg_kit::button(text, action.encode())
}
