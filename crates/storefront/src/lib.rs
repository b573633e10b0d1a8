//! The storefront: the one answer to "is this model on sale, and is it free?".
//!
//! The registry (`catalog`) says which models exist and whether the registry enables them; the
//! settings file (`pricing::Settings`) with the admins' runtime overrides (`ledger`) says how
//! prices and the free policy are set; and the admins' model overrides (`ledger`) take models
//! off sale, with a reason. A [`Storefront`] combines the three once, so every screen, the
//! wizard, a history re-run and the pipeline agree:
//!
//! - [`Storefront::availability`]: [`Availability::OnSale`], [`Availability::Disabled`] (an
//!   admin took it off sale, with the reason) or [`Availability::Unlisted`] (the registry
//!   withholds it, or no such model). An override never puts on sale a model the registry
//!   withholds.
//! - [`Storefront::models`], [`Storefront::categories`], [`Storefront::in_category`],
//!   [`Storefront::search`]: what users can browse — on-sale models only.
//! - [`Storefront::free_models`], [`Storefront::is_free`]: the free policy applied to on-sale
//!   models only, so a disabled model is never free (with the automatic choice, the next
//!   cheapest on-sale model takes its place).
//!
//! [`Storefront::load`] reads a [`Snapshot`] in two queries; [`StorefrontCache`] keeps one for
//! a time to live and drops it at once on [`StorefrontCache::invalidate`] (after an admin's
//! change in this process; other processes see it within the time to live).
//!
//! A snapshot is for showing and offering. Whether a run may start is decided at submit by the
//! pipeline, which reads the model's override fresh from the database, so a model disabled a
//! moment ago cannot be run from an old button or a cached screen.
//!
//! # What this crate must never do
//! Move money, take free runs, or write anything but through the ledger's functions (it only
//! reads); talk to Telegram or Kie; change the catalog (it is read-only after load).
#![deny(missing_docs)]

mod cache;
mod storefront;

pub use cache::StorefrontCache;
pub use storefront::{Availability, Snapshot, Storefront};
