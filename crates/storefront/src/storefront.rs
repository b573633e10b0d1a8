//! [`Storefront`]: the catalog with the settings and model overrides in force, computed once.

use std::collections::HashMap;
use std::sync::Arc;

use catalog::{Catalog, Category, CategoryCount, Model};
use ledger::{AsyncPgConnection, FreeLimits, LedgerError, ModelOverride};
use pricing::Settings;

/// A storefront as read at one moment, shared cheaply (what [`Storefront::load`] and
/// [`crate::StorefrontCache::get`] return).
pub type Snapshot = Arc<Storefront>;

/// The catalog, the effective settings and the admins' model overrides, with what follows from
/// them (which models are on sale, which are free) computed once. Immutable: a change is a new
/// snapshot.
#[derive(Debug)]
pub struct Storefront {
    catalog: Arc<Catalog>,
    settings: Settings,
    overrides: HashMap<String, ModelOverride>,
    free: Vec<String>,
}

/// Whether a model is on sale.
#[derive(Clone, Debug)]
pub enum Availability<'a> {
    /// On sale: the registry enables it and no admin disabled it.
    OnSale(&'a Model),
    /// An admin took it off sale.
    Disabled {
        /// The admin's reason.
        reason: String,
    },
    /// Not sold at all: the registry withholds it (`enabled: false`), or there is no such
    /// model.
    Unlisted,
}

impl Storefront {
    /// Reads the settings in force (`base_settings`, the settings file, with the admins'
    /// overrides) and the model overrides — two queries — and computes the snapshot.
    pub async fn load(
        conn: &mut AsyncPgConnection,
        catalog: Arc<Catalog>,
        base_settings: &Settings,
    ) -> Result<Snapshot, LedgerError> {
        let settings = ledger::effective_settings(conn, base_settings).await?;
        let overrides = ledger::model_overrides(conn).await?;
        let store = Storefront::new(catalog, settings, overrides);
        tracing::debug!(
            on_sale = store.models().len(),
            disabled = store.overrides.values().filter(|o| o.disabled).count(),
            free = store.free.len(),
            "storefront loaded"
        );
        Ok(Arc::new(store))
    }

    /// A storefront over these parts (no database: [`Storefront::load`] reads them).
    pub fn new(
        catalog: Arc<Catalog>,
        settings: Settings,
        overrides: impl IntoIterator<Item = ModelOverride>,
    ) -> Storefront {
        let overrides: HashMap<String, ModelOverride> = overrides
            .into_iter()
            .map(|o| (o.model_id.clone(), o))
            .collect();
        let mut store = Storefront {
            catalog,
            settings,
            overrides,
            free: Vec::new(),
        };
        store.free = store.compute_free();
        store
    }

    /// The whole registry, on sale or not (for admin screens; users see [`Self::models`]).
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The settings in force (the file with the admins' overrides).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The free quota and daily budget in force, as the ledger takes them.
    pub fn free_limits(&self) -> FreeLimits {
        FreeLimits::from(&self.settings.free)
    }

    /// An admin's latest override of the model, if any (also for enabled models: who enabled
    /// it again, and when).
    pub fn override_of(&self, model_id: &str) -> Option<&ModelOverride> {
        self.overrides.get(model_id)
    }

    fn sells(&self, m: &Model) -> bool {
        m.enabled && m.api.is_market() && !self.overrides.get(&m.id).is_some_and(|o| o.disabled)
    }

    /// Whether `model_id` is on sale, and if not, why.
    pub fn availability(&self, model_id: &str) -> Availability<'_> {
        match self.catalog.get(model_id) {
            None => Availability::Unlisted,
            Some(m) if !m.enabled || !m.api.is_market() => Availability::Unlisted,
            Some(m) => match self.overrides.get(model_id) {
                Some(o) if o.disabled => Availability::Disabled {
                    reason: o.reason.clone().unwrap_or_default(),
                },
                _ => Availability::OnSale(m),
            },
        }
    }

    /// The model, if it is on sale.
    pub fn on_sale(&self, model_id: &str) -> Option<&Model> {
        self.catalog.get(model_id).filter(|m| self.sells(m))
    }

    /// Every on-sale model, in registry order (by id).
    pub fn models(&self) -> Vec<&Model> {
        self.catalog
            .models()
            .iter()
            .filter(|m| self.sells(m))
            .collect()
    }

    /// Categories that have on-sale models, in menu order, with their counts.
    pub fn categories(&self) -> Vec<CategoryCount> {
        Category::ALL
            .into_iter()
            .map(|category| CategoryCount {
                category,
                count: self
                    .catalog
                    .models()
                    .iter()
                    .filter(|m| m.category == category && self.sells(m))
                    .count(),
            })
            .filter(|c| c.count > 0)
            .collect()
    }

    /// The on-sale models of `category`, cheapest first (ties by id, so pages are stable).
    pub fn in_category(&self, category: Category) -> Vec<&Model> {
        self.catalog
            .in_category(category)
            .into_iter()
            .filter(|m| self.sells(m))
            .collect()
    }

    /// On-sale models matching `query`, best match first (as [`Catalog::search`]).
    pub fn search(&self, query: &str) -> Vec<&Model> {
        self.catalog
            .search(query)
            .into_iter()
            .filter(|m| self.sells(m))
            .collect()
    }

    /// The free model ids (sorted): the free policy applied to on-sale models only. An
    /// explicit list keeps only its on-sale models; the automatic choice takes the
    /// `auto_count` cheapest on-sale models with confirmed prices.
    pub fn free_models(&self) -> Vec<String> {
        self.free.clone()
    }

    /// True if and only if `model_id` is on sale and free.
    pub fn is_free(&self, model_id: &str) -> bool {
        self.free
            .binary_search_by(|id| id.as_str().cmp(model_id))
            .is_ok()
    }

    fn compute_free(&self) -> Vec<String> {
        let policy = &self.settings.free;
        let candidates = self
            .catalog
            .models()
            .iter()
            .filter(|m| self.sells(m) && (m.price.confirmed || !policy.models.is_empty()));
        let mut ids = policy.free_models(
            candidates.map(|m| (m.id.as_str(), m.price_range(&self.settings.pricing).min)),
        );
        ids.retain(|id| self.on_sale(id).is_some());
        // `FreePolicy::free_models` sorts; `is_free` relies on it.
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use chrono::Utc;
    use serde_json::Value;

    use super::*;

    fn registry() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry")
    }

    fn file(name: &str) -> (String, String) {
        let text = std::fs::read_to_string(registry().join("models").join(name)).unwrap();
        (name.to_string(), text)
    }

    /// Seven registry models; `elevenlabs/speech-to-text` is withheld by the registry.
    fn small_catalog() -> Arc<Catalog> {
        let mut files: Vec<(String, String)> = [
            "elevenlabs__audio-isolation.json",
            "elevenlabs__sound-effect-v2.json",
            "elevenlabs__text-to-dialogue-v3.json",
            "elevenlabs__text-to-speech-multilingual-v2.json",
            "elevenlabs__text-to-speech-turbo-2-5.json",
            "google__nano-banana.json",
        ]
        .into_iter()
        .map(file)
        .collect();
        let (name, text) = file("elevenlabs__speech-to-text.json");
        let mut withheld: Value = serde_json::from_str(&text).unwrap();
        withheld["enabled"] = Value::Bool(false);
        withheld["disabled_reason"] = Value::String("not ready".into());
        files.push((name, withheld.to_string()));
        Arc::new(Catalog::from_files(files).unwrap_or_else(|e| panic!("{e}")))
    }

    fn settings(auto_count: usize, models: &[&str]) -> Settings {
        let mut s = Settings::load(&registry().join("settings.toml")).unwrap();
        s.free.auto_count = auto_count;
        s.free.models = models.iter().map(|m| m.to_string()).collect();
        s
    }

    fn disabled(model: &str, reason: &str) -> ModelOverride {
        ModelOverride {
            model_id: model.into(),
            disabled: true,
            reason: Some(reason.into()),
            changed_by: 1,
            changed_at: Utc::now(),
        }
    }

    fn enabled(model: &str) -> ModelOverride {
        ModelOverride {
            disabled: false,
            reason: None,
            ..disabled(model, "")
        }
    }

    const BANANA: &str = "google/nano-banana";
    const STT: &str = "elevenlabs/speech-to-text";

    #[test]
    fn availability_tells_on_sale_disabled_and_unlisted_apart() {
        let store = Storefront::new(
            small_catalog(),
            settings(2, &[]),
            [disabled(BANANA, "Kie is down"), enabled(STT)],
        );
        assert!(matches!(
            store.availability("elevenlabs/sound-effect-v2"),
            Availability::OnSale(m) if m.id == "elevenlabs/sound-effect-v2"
        ));
        assert!(matches!(
            store.availability(BANANA),
            Availability::Disabled { reason } if reason == "Kie is down"
        ));
        // An admin's "enabled" never sells what the registry withholds.
        assert!(matches!(store.availability(STT), Availability::Unlisted));
        assert!(matches!(
            store.availability("no/such-model"),
            Availability::Unlisted
        ));
        assert!(store.on_sale(BANANA).is_none());
        assert!(store.on_sale(STT).is_none());
        assert!(store.on_sale("elevenlabs/sound-effect-v2").is_some());
        assert!(store.override_of(BANANA).is_some_and(|o| o.disabled));

        let ids: Vec<&str> = store.models().iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids.len(), 5, "{ids:?}");
        assert!(!ids.contains(&BANANA) && !ids.contains(&STT));
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "registry order: {ids:?}"
        );
        // Nano Banana was the only image model: its category is gone while it is disabled.
        assert!(store.in_category(Category::Image).is_empty());
        assert!(
            store
                .categories()
                .iter()
                .all(|c| c.category != Category::Image)
        );
        let audio = store.in_category(Category::Audio);
        assert_eq!(audio.len(), 5);
        assert_eq!(
            store.categories(),
            vec![CategoryCount {
                category: Category::Audio,
                count: 5
            }]
        );
        assert!(store.search("banana").is_empty());
        assert!(!small_catalog().search("banana").is_empty());

        // Enabled again, it is back everywhere.
        let store = Storefront::new(small_catalog(), settings(2, &[]), [enabled(BANANA)]);
        assert!(matches!(
            store.availability(BANANA),
            Availability::OnSale(_)
        ));
        assert_eq!(store.in_category(Category::Image).len(), 1);
        assert_eq!(store.search("banana").len(), 1);
    }

    #[test]
    fn a_disabled_model_is_never_free() {
        let catalog = small_catalog();
        // With no overrides the storefront agrees with the catalog.
        let plain = Storefront::new(catalog.clone(), settings(2, &[]), []);
        let s = settings(2, &[]);
        assert_eq!(
            plain.free_models(),
            catalog.free_models(&s.free, &s.pricing)
        );
        let free = plain.free_models();
        assert_eq!(free.len(), 2, "{free:?}");
        assert!(free.iter().all(|id| plain.is_free(id)));

        // Disabling a free model of the automatic choice: the next cheapest takes its place.
        let gone = free[0].clone();
        let store = Storefront::new(catalog.clone(), settings(2, &[]), [disabled(&gone, "x")]);
        let now = store.free_models();
        assert_eq!(now.len(), 2, "{now:?}");
        assert!(!now.contains(&gone) && !store.is_free(&gone));
        assert!(now.contains(&free[1]));
        assert!(now.iter().all(|id| store.on_sale(id).is_some()));

        // An explicit list keeps only what is on sale: not the disabled, not the withheld, not
        // the unknown.
        let store = Storefront::new(
            catalog.clone(),
            settings(
                2,
                &[BANANA, STT, "no/such-model", "elevenlabs/sound-effect-v2"],
            ),
            [disabled(BANANA, "broken")],
        );
        assert_eq!(store.free_models(), vec!["elevenlabs/sound-effect-v2"]);
        assert!(!store.is_free(BANANA) && !store.is_free(STT));
        assert!(store.is_free("elevenlabs/sound-effect-v2"));

        // Every model disabled: nothing is free.
        let all: Vec<ModelOverride> = catalog
            .models()
            .iter()
            .map(|m| disabled(&m.id, "closed"))
            .collect();
        let closed = Storefront::new(catalog, settings(5, &[]), all);
        assert!(closed.models().is_empty() && closed.free_models().is_empty());
    }

    #[test]
    fn free_limits_carry_the_daily_budget() {
        let mut s = settings(2, &[]);
        s.free.daily_budget_usd = Some(rust_decimal_macros::dec!(3.5));
        let store = Storefront::new(small_catalog(), s, []);
        let limits = store.free_limits();
        assert_eq!(
            (limits.per_day, limits.per_hour, limits.daily_budget_usd),
            (5, 2, Some(rust_decimal_macros::dec!(3.5)))
        );
    }
}
