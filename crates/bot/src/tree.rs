//! The handler tree, built in one place from the branches `bot-ui` and `admin` export.
//!
//! Order is the point of this file:
//! 1. pre-checkout queries, answered before anything slow (Telegram waits 10 seconds);
//! 2. the user is loaded (`tg_kit::ctx`), for messages and for button presses;
//! 3. Stars payments, credited even to a user banned since paying (Telegram has the Stars);
//! 4. banned users get one short answer and stop;
//! 5. the admin branch: `/admin` and admin buttons (prefix `a:`), each re-checking the role of
//!    whoever wrote or pressed; for anyone who is not an admin it answers exactly what the user
//!    interface answers an unknown command or a stale button;
//! 6. the user interface: commands, typed input, files and buttons.
//!
//! Duplicate updates never get here: the inbox stores each `update_id` once.
//! This module must never handle anything itself: it only orders branches.

use teloxide::dispatching::{UpdateFilterExt, UpdateHandler};
use teloxide::types::Update;

/// The tree. Dependencies: `ledger::Pool`, `bot_ui::Ui`, `admin::Admin`, `tg_kit::UiBot`.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    dptree::entry()
        .branch(bot_ui::pre_checkout())
        .branch(
            Update::filter_message()
                .filter_map_async(tg_kit::ctx::message_ctx)
                .branch(bot_ui::payments())
                .branch(bot_ui::banned_messages())
                .branch(admin::messages())
                .branch(bot_ui::messages()),
        )
        .branch(
            Update::filter_callback_query()
                .filter_map_async(tg_kit::ctx::callback_ctx)
                .branch(bot_ui::banned_callbacks())
                .branch(admin::callbacks())
                .branch(bot_ui::callbacks()),
        )
}

/// The translations of every branch (the shared ones, the user interface's, the panel's).
pub fn i18n() -> tg_kit::I18n {
    tg_kit::I18n::new(&[bot_ui::LOCALE, admin::LOCALE])
}
