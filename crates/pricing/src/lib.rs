//! Money and prices: what a generation costs us at Kie and what the user pays for it.
//!
//! This crate turns a model's [`PriceRule`] (from the registry) and a user's parameters into a
//! [`Quote`]: Kie's cost in credits and US dollars, the ruble price, and a breakdown of what drove
//! it. The same [`quote`] prices the model card, the confirm screen and the charge, so the three
//! can never disagree.
//!
//! # Rules of money
//! - Money is [`rust_decimal::Decimal`]; no float ever touches it (clippy's `float_arithmetic` is
//!   denied here).
//! - A ruble price is `cost_usd × rub_per_usd × markup`, rounded **up** to the kopeck, so it is
//!   never below cost × rate × markup (see [`Rounding`]).
//! - Stars credit rubles rounded **down** to the kopeck, so a top-up never credits more than the
//!   configured rate allows.
//!
//! # What this crate must never do
//! It knows nothing of files, JSON Schema, PostgreSQL or Telegram: the catalog crate hands it
//! validated parameters, the ledger stores what it returns.
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

mod decimal_str;
mod free;
mod money;
mod quote;
mod rule;
mod settings;

pub use free::{FreePolicy, FreeQuota, FreeStatus};
pub use money::{Money, SubKopeckAmount};
pub use quote::{
    Breakdown, PricePart, PriceRange, PricedInput, Quote, QuoteError, UnitBounds, quote,
    quote_range,
};
pub use rule::{Currency, Measure, Multiplier, PriceRule, PriceTable, TableRow, Text};
pub use settings::{PriceSettings, Rounding, Settings, SettingsError, StarsSettings};
