//! The /admin panel in Telegram: the branch of the handler tree an operator runs the business
//! from — health at a glance, users and their cards, money (credit, debit), bans, models on and
//! off sale, the audit log, and the admins themselves.
//!
//! # How a request flows
//! [`messages`] takes the admin commands ([`command`]) and [`callbacks`] the buttons with the
//! `a:` prefix ([`button`]). Both first read the role of whoever wrote or pressed from the
//! database ([`roles`]); for anyone who is not an admin the branch does not match, so they get
//! exactly what the user interface answers an unknown command or a stale button. Then
//! [`ops`] does the work: views render pure screens ([`screens`]); dangerous actions are two
//! steps ([`pending`]): a preview with Confirm, then the effect once.
//!
//! # Invariants
//! - Rights are re-checked on every command and every button press, and again when a pending
//!   action runs; callback data carries ids, never authority.
//! - Money moves only through the ledger's functions (`ledger::adjust`), each with the pending
//!   action's id as its idempotency key, so a Confirm can charge or credit at most once. Refunds
//!   are keyed by what they refund instead (`ledger::refund_stars` by Telegram's charge id,
//!   `ledger::refund_job` by the job), so they happen once whoever confirms, however often.
//! - Every action, and every view of a user's data, is in the audit log, written by the same
//!   statement as its effect.
//!
//! # What this crate must never do
//! Write a ledger table itself, trust an id in callback data, or show an admin screen to
//! someone whose role it did not just read.
#![deny(missing_docs)]

pub mod broadcast;
pub mod button;
pub mod command;
pub mod export;
pub mod ops;
pub mod pending;
pub mod roles;
pub mod screens;
mod tree;

use std::sync::Arc;
use std::time::Duration;

use catalog::Catalog;
use tg_kit::I18n;

pub use roles::Role;
pub use tree::{callbacks, messages};

/// This crate's messages.
pub const LOCALE: tg_kit::Locale = tg_kit::Locale {
    owner: "admin",
    ru: &[
        include_str!("../locales/ru/panel.ftl"),
        include_str!("../locales/ru/broadcast.ftl"),
        include_str!("../locales/ru/reports.ftl"),
        include_str!("../locales/ru/money.ftl"),
    ],
    en: &[
        include_str!("../locales/en/panel.ftl"),
        include_str!("../locales/en/broadcast.ftl"),
        include_str!("../locales/en/reports.ftl"),
        include_str!("../locales/en/money.ftl"),
    ],
};

/// Settings of the panel.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// ADMIN_IDS: seeded as owners at every start (they cannot be revoked from Telegram).
    pub owner_ids: Vec<i64>,
    /// How long a pending action can be confirmed.
    pub confirm_ttl: Duration,
    /// Rows per page of the lists.
    pub page_size: usize,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            owner_ids: Vec::new(),
            confirm_ttl: Duration::from_secs(5 * 60),
            page_size: 10,
        }
    }
}

/// Everything the admin handlers share: cheap to clone.
#[derive(Clone)]
pub struct Admin(Arc<AdminInner>);

/// The shared parts of [`Admin`].
pub struct AdminInner {
    /// The database.
    pub pool: ledger::Pool,
    /// The models.
    pub catalog: Arc<Catalog>,
    /// What is on sale (shared with the user interface): dropped after every change an admin
    /// makes here, so this instance shows it at once (others within the cache's time to live).
    pub storefront: Arc<storefront::StorefrontCache>,
    /// The settings file (the database may override prices and the free policy).
    pub base_settings: pricing::Settings,
    /// Kie, for the credit balance on the home screen.
    pub kie: kie_client::KieClient,
    /// Translations (every branch's).
    pub i18n: Arc<I18n>,
    /// Panel settings.
    pub config: AdminConfig,
}

impl std::ops::Deref for Admin {
    type Target = AdminInner;
    fn deref(&self) -> &AdminInner {
        &self.0
    }
}

impl Admin {
    /// The panel over these parts.
    pub fn new(inner: AdminInner) -> Admin {
        Admin(Arc::new(inner))
    }

    /// A pooled connection (held for a few statements, never across a Telegram call).
    pub async fn db(&self) -> anyhow::Result<ledger::PooledConnection> {
        Ok(self.pool.get().await?)
    }

    /// Seeds the owners from ADMIN_IDS (at start).
    pub async fn seed_owners(&self) -> anyhow::Result<()> {
        roles::seed_owners(&mut *self.db().await?, &self.config.owner_ids).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn all_ids() -> BTreeSet<String> {
        tg_kit::i18n::ids_visible_to(&LOCALE)
    }

    #[test]
    fn both_languages_define_the_same_messages_and_join_the_others() {
        assert_eq!(
            tg_kit::i18n::one_language_only(&LOCALE),
            Vec::<String>::new()
        );
        // No id clashes with the shared messages (I18n::new panics on a clash).
        I18n::new(&[LOCALE]);
    }

    #[test]
    fn every_id_used_in_the_code_exists() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let (used, missing) = tg_kit::i18n::ids_missing_from(&LOCALE, &src);
        assert!(used > 40, "the scan found only {used} ids");
        assert!(
            missing.is_empty(),
            "ids missing from the .ftl files: {missing:#?}"
        );
    }

    /// Ids the code builds with `format!`.
    #[test]
    fn every_composed_id_exists() {
        let ids = all_ids();
        let mut wanted: Vec<String> = command::NAMES
            .iter()
            .map(|n| format!("admin-usage-{n}"))
            .collect();
        wanted.extend([Role::Owner, Role::Support].map(|r| format!("admin-role-{}", r.as_str())));
        wanted.extend(
            catalog::Category::ALL
                .iter()
                .map(|c| format!("admin-category-{}", c.as_str())),
        );
        wanted.extend(
            ledger::reports::FailureStage::ALL
                .iter()
                .map(|s| format!("admin-stage-{}", s.as_str())),
        );
        let missing: Vec<_> = wanted.iter().filter(|w| !ids.contains(*w)).collect();
        assert!(missing.is_empty(), "missing: {missing:?}");
    }
}
