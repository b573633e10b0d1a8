//! Screens: a message as the user sees it (an HTML text plus inline buttons). Screens are
//! values built by pure functions, so each can be tested without Telegram.
//!
//! This module must never send anything: [`crate::send`] does.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

/// One button whose callback data a branch's codec produced (see [`crate::callback`]).
pub fn button(text: impl Into<String>, data: String) -> InlineKeyboardButton {
    debug_assert!(data.len() <= crate::callback::MAX_CALLBACK_BYTES, "{data}");
    InlineKeyboardButton::callback(text, data)
}

/// A message as the user sees it: HTML text and inline buttons.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Screen {
    /// Telegram HTML (every outside text escaped).
    pub text: String,
    /// Rows of buttons.
    pub rows: Vec<Vec<InlineKeyboardButton>>,
}

impl Screen {
    /// A screen with `text` and no buttons yet.
    pub fn new(text: impl Into<String>) -> Screen {
        Screen {
            text: text.into(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of buttons.
    pub fn row(mut self, row: Vec<InlineKeyboardButton>) -> Screen {
        if !row.is_empty() {
            self.rows.push(row);
        }
        self
    }

    /// Adds buttons, `per_row` in a row.
    pub fn grid(mut self, buttons: Vec<InlineKeyboardButton>, per_row: usize) -> Screen {
        let mut it = buttons.into_iter().peekable();
        while it.peek().is_some() {
            self.rows.push(it.by_ref().take(per_row.max(1)).collect());
        }
        self
    }

    /// The keyboard, if any.
    pub fn markup(&self) -> Option<InlineKeyboardMarkup> {
        (!self.rows.is_empty()).then(|| InlineKeyboardMarkup::new(self.rows.clone()))
    }
}

/// A notice above a screen ("⚠️ too long…"), followed by a blank line; empty without one.
pub fn notice_prefix(notice: Option<String>) -> String {
    notice.map(|n| format!("{n}\n\n")).unwrap_or_default()
}
