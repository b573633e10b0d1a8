//! [`Catalog`]: the loaded models and the ways users find them.

use std::collections::HashMap;

use serde::Serialize;

use pricing::{FreePolicy, PriceSettings};

use crate::model::{Category, Model};

/// Every model in the registry, checked.
#[derive(Debug)]
pub struct Catalog {
    models: Vec<Model>,
    by_id: HashMap<String, usize>,
}

/// A category and how many enabled models it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryCount {
    /// The category.
    pub category: Category,
    /// Enabled models in it.
    pub count: usize,
}

impl Catalog {
    pub(crate) fn new(mut models: Vec<Model>) -> Catalog {
        models.sort_by(|a, b| a.id.cmp(&b.id));
        let by_id = models
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
        Catalog { models, by_id }
    }

    /// The model with Kie id `id`.
    pub fn get(&self, id: &str) -> Option<&Model> {
        self.by_id.get(id).map(|&i| &self.models[i])
    }

    /// Every model, enabled or not, sorted by id.
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// How many models there are.
    pub fn len(&self) -> usize {
        self.models.len()
    }

    /// True if and only if there are no models.
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    /// Categories that have enabled models, in menu order, with their counts.
    pub fn categories(&self) -> Vec<CategoryCount> {
        Category::ALL
            .into_iter()
            .map(|category| CategoryCount {
                category,
                count: self
                    .models
                    .iter()
                    .filter(|m| m.enabled && m.category == category)
                    .count(),
            })
            .filter(|c| c.count > 0)
            .collect()
    }

    /// The enabled models of `category`, cheapest first (by the cheapest combination; ties by
    /// id, so pages are stable).
    pub fn in_category(&self, category: Category) -> Vec<&Model> {
        let mut v: Vec<&Model> = self
            .models
            .iter()
            .filter(|m| m.enabled && m.category == category)
            .collect();
        v.sort_by(|a, b| {
            a.min_cost_usd
                .cmp(&b.min_cost_usd)
                .then_with(|| a.id.cmp(&b.id))
        });
        v
    }

    /// Enabled models matching `query` by id, title (either language) or tag, best match first.
    /// Matching ignores case; every word of the query must match somewhere.
    pub fn search(&self, query: &str) -> Vec<&Model> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u32, &Model)> = self
            .models
            .iter()
            .filter(|m| m.enabled)
            .filter_map(|m| {
                let id = m.id.to_lowercase();
                let titles = [m.title.ru.to_lowercase(), m.title.en.to_lowercase()];
                let tags: Vec<String> = m.tags.iter().map(|t| t.to_lowercase()).collect();
                let mut score = 0;
                for w in &words {
                    let s = if titles.iter().any(|t| t.starts_with(w.as_str()))
                        || id.starts_with(w.as_str())
                    {
                        4
                    } else if tags.iter().any(|t| t == w) {
                        3
                    } else if titles.iter().any(|t| t.contains(w.as_str()))
                        || id.contains(w.as_str())
                    {
                        2
                    } else if tags.iter().any(|t| t.contains(w.as_str())) {
                        1
                    } else {
                        return None;
                    };
                    score += s;
                }
                Some((score, m))
            })
            .collect();
        hits.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.min_cost_usd.cmp(&b.1.min_cost_usd))
                .then_with(|| a.1.id.cmp(&b.1.id))
        });
        hits.into_iter().map(|(_, m)| m).collect()
    }

    /// The free model ids under `policy`: an explicit list (only ids that exist and are
    /// enabled), or the cheapest enabled models by their cheapest quote. The automatic choice
    /// skips preliminary prices: giving away a model whose cost we do not know is not a default.
    pub fn free_models(&self, policy: &FreePolicy, settings: &PriceSettings) -> Vec<String> {
        let candidates = self.models.iter().filter(|m| {
            m.enabled && m.api.is_market() && (m.price.confirmed || !policy.models.is_empty())
        });
        let mut ids =
            policy.free_models(candidates.map(|m| (m.id.as_str(), m.price_range(settings).min)));
        ids.retain(|id| self.get(id).is_some_and(|m| m.enabled && m.api.is_market()));
        ids
    }
}
