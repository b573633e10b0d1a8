//! What every branch of the bot's Telegram interface shares, so that the user interface
//! (`bot-ui`) and the admin panel (`admin`) are siblings, neither a part of the other:
//! - [`UiBot`]: the bot behind Telegram's flood limits ([`flood`]);
//! - [`send`]: sending and editing [`Screen`]s with the failure handling Telegram needs;
//! - [`I18n`]: one Fluent bundle per language, joined from each crate's own [`Locale`];
//! - [`Ctx`]: who pressed or wrote, loaded once per update ([`ctx`]), and [`guarded`], which
//!   turns a handler's error into a message the user understands;
//! - [`callback`]: each branch's callback-data prefix and the 64-byte limit.
//!
//! # What this crate must never do
//! Render a screen of its own, decide what a button means, or move money: it is plumbing.
#![deny(missing_docs)]

pub mod callback;
pub mod ctx;
pub mod flood;
pub mod i18n;
pub mod screen;
pub mod send;

pub use ctx::{Ctx, HandlerResult, guarded};
pub use flood::{FloodLimits, UiBot};
pub use i18n::{Args, I18n, Lang, Locale};
pub use screen::{Screen, button};
pub use send::retry_afters;
