//! Registry settings (`registry/settings.toml`): exchange rate, markup, rounding, Stars rate and
//! the free-model policy.

use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::free::FreePolicy;

/// Everything in `registry/settings.toml`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// How Kie's cost becomes a ruble price.
    pub pricing: PriceSettings,
    /// How Telegram Stars become rubles.
    pub stars: StarsSettings,
    /// Which models are free, and how often.
    pub free: FreePolicy,
}

/// How Kie's cost becomes a ruble price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceSettings {
    /// Rubles per US dollar.
    #[serde(with = "crate::decimal_str")]
    pub rub_per_usd: Decimal,
    /// The user pays Kie's cost times this.
    #[serde(with = "crate::decimal_str")]
    pub markup: Decimal,
    /// US dollars per Kie credit (0.005).
    #[serde(with = "crate::decimal_str")]
    pub usd_per_credit: Decimal,
    /// How a ruble price is rounded.
    pub rounding: Rounding,
}

/// The rounding rule for ruble prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    /// Round up to the next kopeck: a price is never below cost × rate × markup.
    CeilKopeck,
}

/// How Telegram Stars become rubles on the balance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StarsSettings {
    /// Rubles credited per Star paid.
    #[serde(with = "crate::decimal_str")]
    pub rub_per_star: Decimal,
}

/// A settings file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or has unknown or missing keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong, with the key.
        message: String,
    },
    /// A value is out of its allowed range.
    #[error("{path}: {field} {problem}")]
    Invalid {
        /// The file.
        path: String,
        /// The key, e.g. `pricing.markup`.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl Settings {
    /// Reads and checks a settings file.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Settings::from_toml(&text, &path.display().to_string())
    }

    /// Parses and checks settings from TOML text; `origin` names the source in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Settings, SettingsError> {
        let settings: Settings = toml::from_str(text).map_err(|e| SettingsError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        settings
            .check()
            .map_err(|(field, problem)| SettingsError::Invalid {
                path: origin.to_string(),
                field,
                problem,
            })?;
        Ok(settings)
    }

    /// Checks the ranges a sane operator would keep: positive rates, a markup of at least 1
    /// (selling below Kie's cost is never a setting), a Stars rate above zero.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let p = &self.pricing;
        if p.rub_per_usd <= Decimal::ZERO {
            return Err(("pricing.rub_per_usd", "must be above zero"));
        }
        if p.markup < Decimal::ONE {
            return Err((
                "pricing.markup",
                "must be at least 1 (never sell below cost)",
            ));
        }
        if p.usd_per_credit <= Decimal::ZERO {
            return Err(("pricing.usd_per_credit", "must be above zero"));
        }
        if self.stars.rub_per_star <= Decimal::ZERO {
            return Err(("stars.rub_per_star", "must be above zero"));
        }
        if self.free.per_hour > self.free.per_day {
            return Err(("free.per_hour", "must not exceed free.per_day"));
        }
        if self
            .free
            .daily_budget_usd
            .is_some_and(|b| b < Decimal::ZERO)
        {
            return Err(("free.daily_budget_usd", "must not be negative"));
        }
        Ok(())
    }
}

impl PriceSettings {
    /// Rubles the user pays for a Kie cost in US dollars, rounded by [`Rounding`].
    pub fn rub_price(&self, cost_usd: Decimal) -> crate::Money {
        match self.rounding {
            Rounding::CeilKopeck => crate::Money::ceil(cost_usd * self.rub_per_usd * self.markup),
        }
    }
}

impl StarsSettings {
    /// Rubles credited for `stars` Stars, rounded down to the kopeck.
    pub fn rub_for_stars(&self, stars: u32) -> crate::Money {
        crate::Money::floor(Decimal::from(stars) * self.rub_per_star)
    }

    /// The fewest whole Stars whose credit covers `rub`.
    pub fn stars_for_rub(&self, rub: crate::Money) -> u32 {
        let stars = (rub.amount() / self.rub_per_star).ceil();
        let mut n = u32::try_from(stars).unwrap_or(u32::MAX);
        // Rounding down the credit can leave it a kopeck short: step up until it covers.
        while self.rub_for_stars(n) < rub {
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const GOOD: &str = r#"
[pricing]
rub_per_usd = "95"
markup = "2"
usd_per_credit = "0.005"
rounding = "ceil_kopeck"
[stars]
rub_per_star = "1.2"
[free]
auto_count = 5
models = []
per_day = 5
per_hour = 2
"#;

    #[test]
    fn the_repository_settings_file_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/settings.toml");
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.pricing.rub_per_usd, dec!(95));
        assert_eq!(s.pricing.markup, dec!(2));
    }

    #[test]
    fn errors_name_the_key() {
        let bad = GOOD.replace("markup = \"2\"", "markup = \"0.5\"");
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err().to_string();
        assert!(e.contains("pricing.markup"), "{e}");
        let bad = GOOD.replace("markup = \"2\"", "markup = 2.0");
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err().to_string();
        assert!(e.contains("markup"), "{e}");
        let bad = GOOD.replace("per_hour = 2", "per_hour = 2\nper_week = 3");
        let e = Settings::from_toml(&bad, "s.toml").unwrap_err().to_string();
        assert!(e.contains("per_week"), "{e}");
    }

    #[test]
    fn the_free_budget_is_optional_a_string_and_never_negative() {
        let s = Settings::from_toml(GOOD, "s.toml").unwrap();
        assert_eq!(s.free.daily_budget_usd, None);
        let with = GOOD.replace("per_hour = 2", "per_hour = 2\ndaily_budget_usd = \"12.5\"");
        let s = Settings::from_toml(&with, "s.toml").unwrap();
        assert_eq!(s.free.daily_budget_usd, Some(dec!(12.5)));
        let zero = GOOD.replace("per_hour = 2", "per_hour = 2\ndaily_budget_usd = \"0\"");
        assert_eq!(
            Settings::from_toml(&zero, "s.toml")
                .unwrap()
                .free
                .daily_budget_usd,
            Some(Decimal::ZERO)
        );
        let negative = GOOD.replace("per_hour = 2", "per_hour = 2\ndaily_budget_usd = \"-1\"");
        let e = Settings::from_toml(&negative, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("free.daily_budget_usd"), "{e}");
        let float = GOOD.replace("per_hour = 2", "per_hour = 2\ndaily_budget_usd = 12.5");
        let e = Settings::from_toml(&float, "s.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("daily_budget_usd"), "{e}");
        // Serialised back, the budget stays a string (and no budget stays absent).
        let s = Settings::from_toml(&with, "s.toml").unwrap();
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("daily_budget_usd = \"12.5\""), "{text}");
        assert_eq!(Settings::from_toml(&text, "again").unwrap(), s);
        let none = toml::to_string(&Settings::from_toml(GOOD, "s").unwrap()).unwrap();
        assert!(!none.contains("daily_budget_usd"), "{none}");
    }

    #[test]
    fn stars_round_in_the_house_favour_but_cover_the_amount() {
        let s = Settings::from_toml(GOOD, "s").unwrap().stars;
        assert_eq!(s.rub_for_stars(100).to_string(), "120.00");
        let need = crate::Money::from_kopecks(10_001);
        let n = s.stars_for_rub(need);
        assert!(s.rub_for_stars(n) >= need);
        assert!(s.rub_for_stars(n - 1) < need);
    }
}
