//! The free-model policy: which models are free, and the per-user quota.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Which models are free and how often a user may run them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreePolicy {
    /// When `models` is empty: this many of the cheapest models are free.
    pub auto_count: usize,
    /// An explicit list of free model ids; overrides the automatic choice when not empty.
    pub models: Vec<String>,
    /// Free runs per user and model per day.
    pub per_day: u32,
    /// Free runs per user and model per hour.
    pub per_hour: u32,
    /// What all free runs of a UTC day may cost at Kie, in US dollars, across every user and
    /// model; `None` (the key left out): no budget. A run that does not fit is refused (the
    /// ledger takes it atomically with the user's free run).
    #[serde(
        default,
        with = "crate::decimal_str::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub daily_budget_usd: Option<Decimal>,
}

/// How much of the free quota a user has used (counted by the ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FreeQuota {
    /// Free runs in the current day window.
    pub used_today: u32,
    /// Free runs in the current hour window.
    pub used_this_hour: u32,
}

/// Whether a run of a model is free for a user right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeStatus {
    /// The model is not a free model: the user pays its price.
    NotFree,
    /// Free, with this many free runs left now (including this one).
    Free {
        /// Runs left before the tighter of the hour and day windows is used up.
        left: u32,
    },
    /// A free model whose quota is used up: the user pays its price until the window resets.
    QuotaUsed,
}

impl FreePolicy {
    /// Resolves whether a run is free now, given whether the model is one of the free models
    /// (see [`FreePolicy::free_models`]) and the user's quota use (counted by the ledger).
    pub fn status(&self, is_free_model: bool, used: FreeQuota) -> FreeStatus {
        match (is_free_model, self.runs_left(used)) {
            (false, _) => FreeStatus::NotFree,
            (true, Some(left)) => FreeStatus::Free { left },
            (true, None) => FreeStatus::QuotaUsed,
        }
    }

    /// The free model ids, given every sellable model with its cheapest price.
    ///
    /// An explicit list wins. Otherwise the `auto_count` cheapest, ties broken by id so the
    /// choice is stable from run to run.
    pub fn free_models<'a>(
        &self,
        cheapest: impl IntoIterator<Item = (&'a str, Money)>,
    ) -> Vec<String> {
        if !self.models.is_empty() {
            let mut v = self.models.clone();
            v.sort();
            v.dedup();
            return v;
        }
        let mut all: Vec<(Money, &str)> = cheapest.into_iter().map(|(id, m)| (m, id)).collect();
        all.sort();
        let mut v: Vec<String> = all
            .into_iter()
            .take(self.auto_count)
            .map(|(_, id)| id.to_string())
            .collect();
        v.sort();
        v
    }

    /// Free runs left for a user now: `None` when the quota is used up.
    pub fn runs_left(&self, used: FreeQuota) -> Option<u32> {
        let day = self.per_day.checked_sub(used.used_today)?;
        let hour = self.per_hour.checked_sub(used.used_this_hour)?;
        let left = day.min(hour);
        (left > 0).then_some(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(models: &[&str]) -> FreePolicy {
        FreePolicy {
            auto_count: 2,
            models: models.iter().map(|s| s.to_string()).collect(),
            per_day: 5,
            per_hour: 2,
            daily_budget_usd: None,
        }
    }

    #[test]
    fn cheapest_are_free_unless_a_list_is_given() {
        let prices = [
            ("c", Money::from_kopecks(300)),
            ("a", Money::from_kopecks(100)),
            ("b", Money::from_kopecks(100)),
        ];
        assert_eq!(policy(&[]).free_models(prices), vec!["a", "b"]);
        assert_eq!(policy(&["c"]).free_models(prices), vec!["c"]);
    }

    #[test]
    fn quota_is_the_tighter_of_day_and_hour() {
        let p = policy(&[]);
        assert_eq!(p.runs_left(FreeQuota::default()), Some(2));
        assert_eq!(
            p.runs_left(FreeQuota {
                used_today: 4,
                used_this_hour: 0
            }),
            Some(1)
        );
        assert_eq!(
            p.runs_left(FreeQuota {
                used_today: 1,
                used_this_hour: 2
            }),
            None
        );
        assert_eq!(
            p.runs_left(FreeQuota {
                used_today: 5,
                used_this_hour: 0
            }),
            None
        );
    }

    #[test]
    fn status_falls_back_to_paid_when_the_quota_is_used() {
        let p = policy(&[]);
        let used_up = FreeQuota {
            used_today: 2,
            used_this_hour: 2,
        };
        assert_eq!(p.status(false, FreeQuota::default()), FreeStatus::NotFree);
        assert_eq!(
            p.status(true, FreeQuota::default()),
            FreeStatus::Free { left: 2 }
        );
        assert_eq!(p.status(true, used_up), FreeStatus::QuotaUsed);
    }
}
