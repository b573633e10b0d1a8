//! [`quote`]: the one function that prices a generation, and [`quote_range`] for "from X ₽".

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::money::Money;
use crate::rule::{Currency, Multiplier, PriceRule, Text};
use crate::settings::PriceSettings;

/// What [`quote`] needs from the user: the validated parameters (defaults applied) and the
/// measures of uploaded files that a rule bills by (seconds of audio, megapixels of an image).
#[derive(Clone, Copy, Debug)]
pub struct PricedInput<'a> {
    /// Parameters as they will be sent to Kie.
    pub params: &'a Map<String, Value>,
    /// Per upload parameter, the quantity its media multiplier bills (already rounded up).
    pub media: &'a BTreeMap<String, Decimal>,
}

/// The price of one generation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Quote {
    /// What Kie charges us, in credits.
    pub cost_credits: Decimal,
    /// What Kie charges us, in US dollars.
    pub cost_usd: Decimal,
    /// What the user pays.
    pub price: Money,
    /// What drove the price.
    pub breakdown: Breakdown,
    /// False if the underlying Kie price is not confirmed (shown as preliminary).
    pub confirmed: bool,
}

/// The parameter values and quantities a quote was computed from, in rule order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Breakdown {
    /// The parts, table choices first, then per-unit quantities.
    pub parts: Vec<PricePart>,
}

/// One thing that drove a price.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PricePart {
    /// A parameter value that selected a table row.
    Choice {
        /// The parameter.
        param: String,
        /// Its value.
        value: Value,
    },
    /// A billed quantity.
    Units {
        /// The parameter it was read from.
        param: String,
        /// How many units.
        quantity: Decimal,
        /// Of what.
        unit: Text,
    },
}

impl Breakdown {
    /// A human-readable line such as "10 s × 1080p". `choice` renders a table choice (the UI
    /// knows parameter labels; this crate does not).
    pub fn render(&self, lang: &str, choice: impl Fn(&str, &Value) -> String) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                PricePart::Choice { param, value } => choice(param, value),
                PricePart::Units { quantity, unit, .. } => {
                    format!("{} {}", quantity.normalize(), unit.get(lang))
                }
            })
            .collect();
        parts.join(" × ")
    }
}

/// Why a quote could not be made. With validated input from the catalog none of these happen;
/// the catalog's load checks prove it for every model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    /// The rule has neither a base amount nor a table.
    #[error("price rule has neither base nor table")]
    NoBase,
    /// No table row matches the input.
    #[error("no price for {0}")]
    NoRow(String),
    /// A priced parameter has no value.
    #[error("priced parameter `{0}` has no value")]
    Missing(String),
    /// A priced parameter is not a non-negative number.
    #[error("priced parameter `{0}` is not a non-negative number")]
    NotANumber(String),
    /// A media multiplier has no measure for its upload.
    #[error("no measure for upload `{0}`")]
    MissingMedia(String),
    /// A map multiplier has no entry for the value.
    #[error("no quantity for `{param}` = {value}")]
    Unmapped {
        /// The parameter.
        param: String,
        /// The value without an entry.
        value: String,
    },
}

/// Prices one generation: `rule` applied to `input`, converted by `settings`.
pub fn quote(
    rule: &PriceRule,
    input: PricedInput<'_>,
    settings: &PriceSettings,
) -> Result<Quote, QuoteError> {
    let mut parts = Vec::new();
    let base = match (&rule.base, &rule.table) {
        (Some(b), _) => *b,
        (None, Some(table)) => {
            let row = table
                .rows
                .iter()
                .find(|r| r.when.iter().all(|(k, v)| input.params.get(k) == Some(v)))
                .ok_or_else(|| {
                    let combo: Vec<String> = table
                        .by
                        .iter()
                        .map(|k| format!("{k}={}", input.params.get(k).unwrap_or(&Value::Null)))
                        .collect();
                    QuoteError::NoRow(combo.join(", "))
                })?;
            for k in &table.by {
                parts.push(PricePart::Choice {
                    param: k.clone(),
                    value: input.params.get(k).cloned().unwrap_or(Value::Null),
                });
            }
            row.amount
        }
        (None, None) => return Err(QuoteError::NoBase),
    };
    let mut amount = base;
    for m in &rule.per {
        let q = quantity(m, input)?;
        amount *= q;
        parts.push(PricePart::Units {
            param: m.param().to_string(),
            quantity: q,
            unit: m.unit().clone(),
        });
    }
    Ok(finish(rule, amount, Breakdown { parts }, settings))
}

fn finish(rule: &PriceRule, amount: Decimal, breakdown: Breakdown, s: &PriceSettings) -> Quote {
    let cost_usd = match rule.currency {
        Currency::Usd => amount,
        Currency::Credits => amount * s.usd_per_credit,
    };
    Quote {
        cost_credits: (cost_usd / s.usd_per_credit).normalize(),
        cost_usd: cost_usd.normalize(),
        price: s.rub_price(cost_usd),
        breakdown,
        confirmed: rule.confirmed,
    }
}

fn number(param: &str, v: Option<&Value>) -> Result<Decimal, QuoteError> {
    let v = v.ok_or_else(|| QuoteError::Missing(param.to_string()))?;
    // Numbers go through their decimal text, never through binary floating point.
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(QuoteError::NotANumber(param.to_string())),
    };
    let d: Decimal = text
        .parse()
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| QuoteError::NotANumber(param.to_string()))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(QuoteError::NotANumber(param.to_string()));
    }
    Ok(d)
}

fn quantity(m: &Multiplier, input: PricedInput<'_>) -> Result<Decimal, QuoteError> {
    let p = input.params;
    match m {
        Multiplier::Param { param, .. } => number(param, p.get(param)),
        Multiplier::Chars {
            param, per, field, ..
        } => {
            let v = p
                .get(param)
                .ok_or_else(|| QuoteError::Missing(param.clone()))?;
            let chars: usize = match (v, field) {
                (Value::String(s), None) => s.chars().count(),
                (Value::Array(items), Some(f)) => items
                    .iter()
                    .map(|i| {
                        i.get(f)
                            .and_then(Value::as_str)
                            .map_or(0, |s| s.chars().count())
                    })
                    .sum(),
                _ => return Err(QuoteError::NotANumber(param.clone())),
            };
            Ok(Decimal::from(chars) / Decimal::from(*per))
        }
        Multiplier::Media { param, .. } => input
            .media
            .get(param)
            .copied()
            .ok_or_else(|| QuoteError::MissingMedia(param.clone())),
        Multiplier::Map { param, values, .. } => {
            let v = p
                .get(param)
                .ok_or_else(|| QuoteError::Missing(param.clone()))?;
            let key = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            values.get(&key).copied().ok_or(QuoteError::Unmapped {
                param: param.clone(),
                value: key,
            })
        }
        Multiplier::Ratio { param, divisor, .. } => {
            let a = number(param, p.get(param))?;
            let b = number(divisor, p.get(divisor))?;
            if b.is_zero() {
                return Err(QuoteError::NotANumber(divisor.clone()));
            }
            Ok(a / b)
        }
    }
}

/// The smallest and largest value one multiplier's quantity can take for a model (from its
/// input schema: enum values, numeric bounds, text lengths, upload limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitBounds {
    /// Smallest quantity.
    pub min: Decimal,
    /// Largest quantity.
    pub max: Decimal,
}

/// The cheapest and dearest price a model can have: the card's "from X ₽".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PriceRange {
    /// Kie cost of the cheapest combination, USD.
    pub min_cost_usd: Decimal,
    /// Kie cost of the dearest combination, USD.
    pub max_cost_usd: Decimal,
    /// User price of the cheapest combination.
    pub min: Money,
    /// User price of the dearest combination.
    pub max: Money,
}

/// The price range of `rule`, given one [`UnitBounds`] per multiplier (in `rule.per` order).
///
/// Every amount and quantity is non-negative, so the extremes are the extreme base amount times
/// the extreme quantities; table rows are only ever reachable combinations (the catalog checks).
pub fn quote_range(
    rule: &PriceRule,
    bounds: &[UnitBounds],
    settings: &PriceSettings,
) -> Result<PriceRange, QuoteError> {
    let bases = rule.base_amounts();
    let lo = bases.iter().copied().min().ok_or(QuoteError::NoBase)?;
    let hi = bases.iter().copied().max().ok_or(QuoteError::NoBase)?;
    assert_eq!(bounds.len(), rule.per.len(), "one bound per multiplier");
    let (lo, hi) = bounds
        .iter()
        .fold((lo, hi), |(lo, hi), b| (lo * b.min, hi * b.max));
    let lo = finish(rule, lo, Breakdown::default(), settings);
    let hi = finish(rule, hi, Breakdown::default(), settings);
    Ok(PriceRange {
        min_cost_usd: lo.cost_usd,
        max_cost_usd: hi.cost_usd,
        min: lo.price,
        max: hi.price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{PriceTable, TableRow};
    use crate::settings::Rounding;
    use rust_decimal_macros::dec;
    use serde_json::json;

    fn settings() -> PriceSettings {
        PriceSettings {
            rub_per_usd: dec!(95),
            markup: dec!(2),
            usd_per_credit: dec!(0.005),
            rounding: Rounding::CeilKopeck,
        }
    }

    /// Quotes `rule` for `params` with no uploads.
    fn quote_params(rule: &PriceRule, params: &Map<String, Value>) -> Result<Quote, QuoteError> {
        let media = BTreeMap::new();
        quote(
            rule,
            PricedInput {
                params,
                media: &media,
            },
            &settings(),
        )
    }

    fn t(s: &str) -> Text {
        Text {
            ru: s.into(),
            en: s.into(),
        }
    }

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn kling3() -> PriceRule {
        let row = |mode: &str, sound: bool, a: Decimal| TableRow {
            when: [
                ("mode".to_string(), json!(mode)),
                ("sound".to_string(), json!(sound)),
            ]
            .into(),
            amount: a,
        };
        PriceRule {
            currency: Currency::Usd,
            base: None,
            table: Some(PriceTable {
                by: vec!["mode".into(), "sound".into()],
                rows: vec![
                    row("std", false, dec!(0.07)),
                    row("pro", false, dec!(0.09)),
                    row("pro", true, dec!(0.135)),
                ],
            }),
            per: vec![Multiplier::Param {
                param: "duration".into(),
                unit: t("s"),
            }],
            confirmed: true,
            source: "test".into(),
            note: None,
        }
    }

    #[test]
    fn ten_seconds_with_sound_costs_what_kie_says_times_rate_and_markup() {
        let p = params(json!({"mode": "pro", "sound": true, "duration": "10"}));
        let q = quote_params(&kling3(), &p).unwrap();
        assert_eq!(q.cost_usd, dec!(1.35));
        assert_eq!(q.cost_credits, dec!(270));
        assert_eq!(q.price, Money::parse("256.50").unwrap()); // 1.35 × 95 × 2
        let line = q.breakdown.render("en", |_, v| {
            v.as_str().map_or(v.to_string(), str::to_string)
        });
        assert_eq!(line, "pro × true × 10 s");
    }

    #[test]
    fn a_combination_without_a_row_is_an_error_not_zero() {
        let p = params(json!({"mode": "std", "sound": true, "duration": "5"}));
        let e = quote_params(&kling3(), &p).unwrap_err();
        assert!(matches!(e, QuoteError::NoRow(_)), "{e}");
    }

    #[test]
    fn characters_are_billed_per_thousand_and_rounded_up_to_the_kopeck() {
        let rule = PriceRule {
            currency: Currency::Usd,
            base: Some(dec!(0.06)),
            table: None,
            per: vec![Multiplier::Chars {
                param: "text".into(),
                per: 1000,
                field: None,
                unit: t("k"),
            }],
            confirmed: true,
            source: "t".into(),
            note: None,
        };
        let p = params(json!({"text": "привет"})); // 6 characters, 12 bytes
        let q = quote_params(&rule, &p).unwrap();
        assert_eq!(q.cost_usd, dec!(0.00036));
        assert_eq!(q.price.to_string(), "0.07"); // 0.0684 rounded up
    }

    #[test]
    fn credits_convert_to_dollars() {
        let rule = PriceRule {
            currency: Currency::Credits,
            base: Some(dec!(4)),
            table: None,
            per: vec![],
            confirmed: true,
            source: "t".into(),
            note: None,
        };
        let p = Map::new();
        let q = quote_params(&rule, &p).unwrap();
        assert_eq!(q.cost_usd, dec!(0.02));
        assert_eq!(q.price.to_string(), "3.80");
    }

    #[test]
    fn range_spans_cheapest_and_dearest() {
        let b = [UnitBounds {
            min: dec!(3),
            max: dec!(15),
        }];
        let r = quote_range(&kling3(), &b, &settings()).unwrap();
        assert_eq!(r.min_cost_usd, dec!(0.21));
        assert_eq!(r.max_cost_usd, dec!(2.025));
        assert_eq!(r.min.to_string(), "39.90");
    }
}
