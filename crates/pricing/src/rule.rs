//! [`PriceRule`]: how Kie bills one model, as written in the registry's `price` object.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A bilingual short text (units, labels).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Russian.
    pub ru: String,
    /// English.
    pub en: String,
}

impl Text {
    /// The text in `lang` ("ru" or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "ru" { &self.ru } else { &self.en }
    }
}

/// The unit of every amount in a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Currency {
    /// US dollars.
    Usd,
    /// Kie credits (1 credit = `usd_per_credit` dollars).
    Credits,
}

/// How Kie bills a model: a base amount (fixed, or looked up in a table over parameter values),
/// multiplied by zero or more per-unit quantities.
///
/// `cost = (base | table row) × Π multipliers`. Examples from the registry:
/// - nano-banana: `base 0.02` (per image).
/// - kling 2.1 master: a table over `duration` (5 s $0.80, 10 s $1.60).
/// - kling 3.0: a table over `mode × sound`, times `duration` seconds.
/// - TTS: `base 0.06` times characters of `text` per 1,000.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRule {
    /// Unit of `base`, table amounts and map values.
    pub currency: Currency,
    /// A fixed base amount; exactly one of `base` and `table` is set.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "opt_decimal")]
    pub base: Option<Decimal>,
    /// A base amount that depends on parameter values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<PriceTable>,
    /// Per-unit quantities the base is multiplied by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per: Vec<Multiplier>,
    /// False when the amount is not on Kie's price list: the UI calls the price preliminary.
    pub confirmed: bool,
    /// Where the amounts come from.
    pub source: String,
    /// How the rule maps Kie's billing, where that needs saying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A base amount chosen by the values of some parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTable {
    /// The parameters whose values select a row.
    pub by: Vec<String>,
    /// The rows; the first whose `when` matches the input wins.
    pub rows: Vec<TableRow>,
}

/// One row of a [`PriceTable`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableRow {
    /// Parameter values this row is for (JSON values, compared exactly).
    pub when: BTreeMap<String, serde_json::Value>,
    /// The base amount for them.
    #[serde(with = "crate::decimal_str")]
    pub amount: Decimal,
}

/// What a media multiplier measures on an uploaded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Duration, in whole seconds (rounded up).
    Seconds,
    /// Size, in whole megapixels (rounded up).
    Megapixels,
}

/// A per-unit quantity in a price rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Multiplier {
    /// The numeric value of a parameter (seconds of video, number of images). String enums
    /// holding numbers ("5", "10") count as their number.
    Param {
        /// The parameter.
        param: String,
        /// Its unit, for the breakdown.
        unit: Text,
    },
    /// Characters of a text parameter per `per` characters (TTS). With `field`, the parameter is
    /// an array of objects and their `field` strings are summed (dialogue lines).
    Chars {
        /// The parameter.
        param: String,
        /// Characters per billed unit (1,000).
        per: u32,
        /// For arrays of objects: the text field of each item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        /// Its unit, for the breakdown.
        unit: Text,
    },
    /// A measure of an uploaded file (seconds of audio, megapixels of an image).
    Media {
        /// The upload parameter.
        param: String,
        /// What is measured.
        measure: Measure,
        /// Its unit, for the breakdown.
        unit: Text,
    },
    /// A number looked up by an enum value (megapixels of a size preset).
    Map {
        /// The parameter.
        param: String,
        /// Quantity per enum value.
        #[serde(with = "decimal_map")]
        values: BTreeMap<String, Decimal>,
        /// Its unit, for the breakdown.
        unit: Text,
    },
    /// One numeric parameter divided by another (frames / frames per second = seconds).
    Ratio {
        /// The dividend.
        param: String,
        /// The divisor parameter.
        divisor: String,
        /// Its unit, for the breakdown.
        unit: Text,
    },
}

impl Multiplier {
    /// The parameter this multiplier reads.
    pub fn param(&self) -> &str {
        match self {
            Multiplier::Param { param, .. }
            | Multiplier::Chars { param, .. }
            | Multiplier::Media { param, .. }
            | Multiplier::Map { param, .. }
            | Multiplier::Ratio { param, .. } => param,
        }
    }

    /// The unit of its quantity.
    pub fn unit(&self) -> &Text {
        match self {
            Multiplier::Param { unit, .. }
            | Multiplier::Chars { unit, .. }
            | Multiplier::Media { unit, .. }
            | Multiplier::Map { unit, .. }
            | Multiplier::Ratio { unit, .. } => unit,
        }
    }
}

impl PriceRule {
    /// Every parameter whose value changes the price.
    pub fn priced_params(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        if let Some(t) = &self.table {
            out.extend(t.by.iter().map(String::as_str));
        }
        for m in &self.per {
            out.push(m.param());
            if let Multiplier::Ratio { divisor, .. } = m {
                out.push(divisor);
            }
        }
        // A parameter can appear in the table and in a multiplier: keep its first place only.
        let mut seen = std::collections::BTreeSet::new();
        out.retain(|p| seen.insert(*p));
        out
    }

    /// True if and only if the price depends on the user's parameters or uploads.
    pub fn varies(&self) -> bool {
        self.table.is_some() || !self.per.is_empty()
    }

    /// Every base amount the rule can use (the fixed base, or each table row's amount).
    pub fn base_amounts(&self) -> Vec<Decimal> {
        match (&self.base, &self.table) {
            (Some(b), _) => vec![*b],
            (None, Some(t)) => t.rows.iter().map(|r| r.amount).collect(),
            (None, None) => Vec::new(),
        }
    }
}

mod opt_decimal {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| s.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

mod decimal_map {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        v: &BTreeMap<String, Decimal>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<&String, String> = v.iter().map(|(k, d)| (k, d.to_string())).collect();
        m.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Decimal>, D::Error> {
        let m: BTreeMap<String, String> = BTreeMap::deserialize(d)?;
        m.into_iter()
            .map(|(k, v)| Ok((k, v.parse().map_err(serde::de::Error::custom)?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priced_params_lists_each_parameter_once_in_rule_order() {
        let unit = Text {
            ru: "с".into(),
            en: "s".into(),
        };
        let rule = PriceRule {
            currency: Currency::Usd,
            base: None,
            table: Some(PriceTable {
                by: vec!["duration".into(), "resolution".into()],
                rows: vec![],
            }),
            per: vec![
                Multiplier::Param {
                    param: "duration".into(),
                    unit: unit.clone(),
                },
                Multiplier::Ratio {
                    param: "frames".into(),
                    divisor: "fps".into(),
                    unit,
                },
            ],
            confirmed: true,
            source: "t".into(),
            note: None,
        };
        assert_eq!(
            rule.priced_params(),
            ["duration", "resolution", "frames", "fps"]
        );
    }
}
