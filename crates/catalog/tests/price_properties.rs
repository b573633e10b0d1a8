//! Pricing properties over the whole registry: for every model, every combination of its priced
//! enum and toggle values, and sampled numeric values, text lengths and upload measures, a quote
//! is never below cost × rate × markup, never zero or negative, and never cheaper when a billed
//! unit grows.

use std::path::Path;
use std::sync::LazyLock;

use catalog::{Catalog, Model, ParamKind};
use pricing::{Multiplier, PriceSettings, Settings};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry")).unwrap()
});
static SETTINGS: LazyLock<PriceSettings> = LazyLock::new(|| {
    Settings::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/settings.toml"))
        .unwrap()
        .pricing
});

/// Every combination of the model's priced choice and toggle parameters.
fn combos(m: &Model) -> Vec<Vec<(String, Value)>> {
    let mut out: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for p in m.params.iter().filter(|p| p.priced) {
        let domain: Vec<Value> = match &p.kind {
            ParamKind::Choice { values, .. } => values.clone(),
            ParamKind::Toggle { .. } => vec![json!(false), json!(true)],
            _ => continue,
        };
        out = out
            .into_iter()
            .flat_map(|c| {
                domain.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((p.name.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    out
}

/// A value `permille`/1000 of the way through a numeric, text or upload parameter's range.
fn scaled(kind: &ParamKind, permille: u32) -> Option<Value> {
    let t = Decimal::from(permille) / Decimal::from(1000);
    match kind {
        ParamKind::Integer { min, max, .. } => {
            let v = Decimal::from(*min) + Decimal::from(max - min) * t;
            Some(json!(i64::try_from(v.floor()).unwrap()))
        }
        ParamKind::Number { min, max, .. } => {
            let v = (*min + (*max - *min) * t).round_dp(2);
            Some(serde_json::from_str(&v.to_string()).unwrap())
        }
        ParamKind::Text {
            min_len, max_len, ..
        } => {
            let n =
                Decimal::from((*min_len).max(1)) + Decimal::from(max_len - (*min_len).max(1)) * t;
            Some(json!("я".repeat(usize::try_from(n.floor()).unwrap())))
        }
        _ => None,
    }
}

/// Quote `m` with the combination applied and every billed unit at `units[i]` permille.
fn quote_at(m: &Model, combo: &[(String, Value)], units: &[u32]) -> Option<pricing::Quote> {
    let mut input: Map<String, Value> = m.example.clone();
    for (k, v) in combo {
        input.insert(k.clone(), v.clone());
    }
    let mut media = Vec::new();
    for (mult, permille) in m.price.per.iter().zip(units) {
        let p = m.param(mult.param()).unwrap();
        match mult {
            Multiplier::Media { param, .. } => {
                let ParamKind::Upload {
                    max_seconds,
                    max_side_px,
                    ..
                } = &p.kind
                else {
                    unreachable!()
                };
                let max = max_seconds
                    .or(max_side_px.map(|px| px * px / 1_000_000))
                    .unwrap_or(1);
                let v = Decimal::ONE
                    + Decimal::from(max.saturating_sub(1)) * Decimal::from(*permille)
                        / Decimal::from(1000);
                media.push((param.clone(), v));
            }
            Multiplier::Ratio { divisor, .. } => {
                if let Some(v) = scaled(&p.kind, *permille) {
                    input.insert(p.name.clone(), v);
                }
                // Hold the divisor at its largest so the ratio grows with the dividend alone.
                let d = m.param(divisor).unwrap();
                input.insert(divisor.clone(), scaled(&d.kind, 1000).unwrap());
            }
            Multiplier::Chars { field: Some(_), .. } => {
                let n = 1 + usize::try_from(*permille).unwrap() * 4;
                input.insert(p.name.clone(), json!([{"text": "я".repeat(n / 10 + 1), "voice": m.example[&p.name][0]["voice"]}]));
            }
            _ => {
                if let Some(v) = scaled(&p.kind, *permille) {
                    input.insert(p.name.clone(), v);
                }
            }
        }
    }
    let mut v = m.validate(&input).ok()?;
    for (k, q) in media {
        v.set_media_measure(&k, q);
    }
    Some(
        m.quote(&v, &SETTINGS)
            .unwrap_or_else(|e| panic!("{}: {e} for {input:?}", m.id)),
    )
}

fn check_floor(m: &Model, q: &pricing::Quote) {
    let floor = q.cost_usd * SETTINGS.rub_per_usd * SETTINGS.markup;
    assert!(q.price.amount() >= floor, "{}: {} < {floor}", m.id, q.price);
    assert!(q.price.amount() > Decimal::ZERO, "{}: free of charge", m.id);
    assert!(q.cost_usd > Decimal::ZERO, "{}: costs nothing", m.id);
    assert_eq!(
        q.cost_credits * SETTINGS.usd_per_credit,
        q.cost_usd,
        "{}",
        m.id
    );
}

#[test]
fn every_enum_combination_of_every_model_is_priced_at_or_above_cost() {
    let mut priced = 0;
    for m in CATALOG.models() {
        let mut any = false;
        for c in combos(m) {
            let units = vec![500; m.price.per.len()];
            if let Some(q) = quote_at(m, &c, &units) {
                check_floor(m, &q);
                any = true;
                priced += 1;
            }
        }
        assert!(any, "{}: no combination validates", m.id);
    }
    assert!(priced >= CATALOG.len());
}

#[test]
fn numeric_enum_units_are_monotone() {
    // Duration as a string enum ("5", "10"): more seconds never cost less.
    for m in CATALOG.models() {
        for mult in &m.price.per {
            let Multiplier::Param { .. } = mult else {
                continue;
            };
            let p = m.param(mult.param()).unwrap();
            let ParamKind::Choice { values, .. } = &p.kind else {
                continue;
            };
            let mut sorted = values.clone();
            sorted.sort_by_key(|v| {
                v.as_str()
                    .map_or_else(|| v.to_string(), str::to_string)
                    .parse::<Decimal>()
                    .unwrap()
            });
            for c in combos(m) {
                let units = vec![500; m.price.per.len()];
                let prices: Vec<_> = sorted
                    .iter()
                    .filter_map(|v| {
                        let mut c = c.clone();
                        c.retain(|(k, _)| k != &p.name);
                        c.push((p.name.clone(), v.clone()));
                        quote_at(m, &c, &units).map(|q| q.price)
                    })
                    .collect();
                assert!(
                    prices.windows(2).all(|w| w[0] <= w[1]),
                    "{}: {prices:?}",
                    m.id
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sampled_units_stay_above_cost_and_grow_monotonically(a in 0u32..=1000, b in 0u32..=1000) {
        let (lo, hi) = (a.min(b), a.max(b));
        for m in CATALOG.models().iter().filter(|m| !m.price.per.is_empty()) {
            for c in combos(m) {
                let n = m.price.per.len();
                let Some(base) = quote_at(m, &c, &vec![lo; n]) else { continue };
                check_floor(m, &base);
                for i in 0..n {
                    let mut units = vec![lo; n];
                    units[i] = hi;
                    if let Some(q) = quote_at(m, &c, &units) {
                        check_floor(m, &q);
                        prop_assert!(q.price >= base.price, "{}: unit {} grew {lo}->{hi} but price fell {} -> {}", m.id, i, base.price, q.price);
                    }
                }
            }
        }
    }
}
