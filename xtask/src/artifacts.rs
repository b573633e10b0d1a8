//! The audit artifacts: built in memory by pure functions (so `verify` can compare them with
//! what is on disk), written by the audit commands.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use catalog::{Catalog, Model, ParamKind};
use pricing::{Money, PriceRange, Settings};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::project;

/// Price buckets of the acceptance report, in rubles: lower bound inclusive, upper exclusive.
const BUCKETS: [(&str, i64, Option<i64>); 4] = [
    ("0–1000 ₽", 0, Some(1000)),
    ("1000–5000 ₽", 1000, Some(5000)),
    ("5000–10000 ₽", 5000, Some(10000)),
    ("10000+ ₽", 10000, None),
];

fn bucket_contains(b: &(&str, i64, Option<i64>), price: Money) -> bool {
    let p = price.amount();
    p >= Decimal::from(b.1) && b.2.is_none_or(|hi| p < Decimal::from(hi))
}

/// One file of artifacts/: its name and full content.
pub struct Artifact {
    pub name: &'static str,
    pub content: String,
}

#[derive(Serialize)]
struct PriceRow<'a> {
    id: &'a str,
    category: &'a str,
    title: &'a str,
    kie_cost_usd: [String; 2],
    kie_cost_credits: [String; 2],
    price_rub: [String; 2],
    depends_on: Vec<&'a str>,
    free: bool,
    preliminary: bool,
    bucket: &'static str,
}

/// The pricing audit: the artifacts, the summary lines, and every arithmetic problem found.
pub struct PricingAudit {
    pub artifacts: Vec<Artifact>,
    pub summary: Vec<String>,
    pub problems: Vec<String>,
}

fn credits(usd: Decimal, s: &Settings) -> String {
    (usd / s.pricing.usd_per_credit).normalize().to_string()
}

pub fn pricing_audit(c: &Catalog, s: &Settings) -> PricingAudit {
    let mut problems = Vec::new();
    let free = c.free_models(&s.free, &s.pricing);
    let floor = |usd: Decimal| usd * s.pricing.rub_per_usd * s.pricing.markup;
    let mut rows = Vec::new();
    let mut bucket_counts = [0usize; 4];
    let mut dearest_counts = [0usize; 4];
    for m in c.models() {
        let r: PriceRange = m.price_range(&s.pricing);
        if r.min_cost_usd <= Decimal::ZERO || r.min.is_zero() {
            problems.push(format!("{}: has no price", m.id));
        }
        for (price, cost) in [(r.min, r.min_cost_usd), (r.max, r.max_cost_usd)] {
            if price.amount() < floor(cost) {
                problems.push(format!(
                    "{}: price {price} ₽ is below cost × rate × markup ({})",
                    m.id,
                    floor(cost)
                ));
            }
        }
        // The example input goes through the real quote path too.
        match m.validate(&m.example).map(|v| m.quote(&v, &s.pricing)) {
            Ok(Ok(q))
                if q.price.amount() >= floor(q.cost_usd)
                    && q.price >= r.min
                    && q.price <= r.max => {}
            other => problems.push(format!("{}: example quote is wrong: {other:?}", m.id)),
        }
        let homes: Vec<usize> = (0..BUCKETS.len())
            .filter(|&i| bucket_contains(&BUCKETS[i], r.min))
            .collect();
        if homes.len() != 1 {
            problems.push(format!("{}: in {} price buckets", m.id, homes.len()));
        }
        let home = homes.first().copied().unwrap_or(0);
        if let Some(i) = (0..BUCKETS.len()).find(|&i| bucket_contains(&BUCKETS[i], r.max)) {
            dearest_counts[i] += 1;
        }
        bucket_counts[home] += 1;
        rows.push(PriceRow {
            id: &m.id,
            category: m.category.as_str(),
            title: &m.title.en,
            kie_cost_usd: [r.min_cost_usd.to_string(), r.max_cost_usd.to_string()],
            kie_cost_credits: [credits(r.min_cost_usd, s), credits(r.max_cost_usd, s)],
            price_rub: [r.min.to_string(), r.max.to_string()],
            depends_on: m.price.priced_params(),
            free: free.contains(&m.id),
            preliminary: !m.price.confirmed,
            bucket: BUCKETS[home].0,
        });
    }
    let total = rows.len();
    let n_free = rows.iter().filter(|r| r.free).count();
    let n_paid = rows.iter().filter(|r| !r.free).count();
    let n_prelim = rows.iter().filter(|r| r.preliminary).count();
    let n_varies = rows.iter().filter(|r| !r.depends_on.is_empty()).count();
    // The report's own arithmetic, checked rather than trusted.
    if bucket_counts.iter().sum::<usize>() != total {
        problems.push(format!(
            "buckets add up to {}, not {total}",
            bucket_counts.iter().sum::<usize>()
        ));
    }
    if dearest_counts.iter().sum::<usize>() != total {
        problems.push(format!(
            "dearest-price buckets add up to {}, not {total}",
            dearest_counts.iter().sum::<usize>()
        ));
    }
    if n_free + n_paid != total {
        problems.push(format!("free {n_free} + paid {n_paid} != total {total}"));
    }
    for (i, b) in BUCKETS.iter().enumerate() {
        let recount = rows.iter().filter(|r| r.bucket == b.0).count();
        if recount != bucket_counts[i] {
            problems.push(format!(
                "bucket {} recounts to {recount}, not {}",
                b.0, bucket_counts[i]
            ));
        }
    }
    let mut summary = vec![
        format!("models: {total} (free {n_free}, paid {n_paid})"),
        format!("parameter-dependent prices: {n_varies}; preliminary prices: {n_prelim}"),
        format!(
            "rate {} RUB/USD × markup {}, rounded up to the kopeck",
            s.pricing.rub_per_usd, s.pricing.markup
        ),
    ];
    summary.push("price buckets     by cheapest   by dearest combination".into());
    for ((b, n), d) in BUCKETS.iter().zip(bucket_counts).zip(dearest_counts) {
        summary.push(format!("  {:<14} {n:>6}        {d:>6}", b.0));
    }
    summary.push(format!(
        "  total          {:>6}        {:>6}   (models: {total})",
        bucket_counts.iter().sum::<usize>(),
        dearest_counts.iter().sum::<usize>()
    ));

    let summary_json = json!({
        "total": total, "free": n_free, "paid": n_paid, "parameter_dependent": n_varies, "preliminary": n_prelim,
        "buckets_by_cheapest_price": BUCKETS.iter().zip(bucket_counts).map(|(b, n)| json!({"bucket": b.0, "models": n})).collect::<Vec<_>>(),
        "buckets_by_dearest_price": BUCKETS.iter().zip(dearest_counts).map(|(b, n)| json!({"bucket": b.0, "models": n})).collect::<Vec<_>>(),
    });
    let settings_json = json!({
        "rub_per_usd": s.pricing.rub_per_usd.to_string(), "markup": s.pricing.markup.to_string(),
        "usd_per_credit": s.pricing.usd_per_credit.to_string(), "rounding": "ceil_kopeck",
    });
    let table = json!({"settings": settings_json, "summary": summary_json, "models": rows});

    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Pricing table\n\nGenerated by `cargo xtask audit-pricing` from registry/. Price = Kie cost (USD) × {} RUB/USD × markup {}, rounded up to the kopeck. Ranges are cheapest … dearest combination; buckets go by the cheapest.\n",
        s.pricing.rub_per_usd, s.pricing.markup
    );
    for l in &summary {
        let _ = writeln!(md, "    {l}");
    }
    let _ = writeln!(
        md,
        "\n| model | category | Kie cost, USD | price, ₽ | depends on | free | preliminary |\n|---|---|---|---|---|---|---|"
    );
    for r in &rows {
        let range = |a: &[String; 2], sep| {
            if a[0] == a[1] {
                a[0].clone()
            } else {
                format!("{}{sep}{}", a[0], a[1])
            }
        };
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.category,
            range(&r.kie_cost_usd, " … "),
            range(&r.price_rub, " … "),
            r.depends_on.join(", "),
            if r.free { "yes" } else { "" },
            if r.preliminary { "yes" } else { "" }
        );
    }
    let free_json = json!({
        "policy": {"auto_count": s.free.auto_count, "explicit_list": s.free.models, "per_day": s.free.per_day, "per_hour": s.free.per_hour},
        "models": rows.iter().filter(|r| r.free).map(|r| json!({"id": r.id, "title": r.title, "price_rub_from": r.price_rub[0]})).collect::<Vec<_>>(),
    });
    PricingAudit {
        artifacts: vec![
            Artifact {
                name: "pricing_table.json",
                content: pretty(&table),
            },
            Artifact {
                name: "pricing_table.md",
                content: md,
            },
            Artifact {
                name: "free_models.json",
                content: pretty(&free_json),
            },
        ],
        summary,
        problems,
    }
}

pub(crate) fn pretty(v: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("serialisable");
    s.push('\n');
    s
}

fn has_cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

#[derive(Serialize)]
struct CoverageRow<'a> {
    id: &'a str,
    category: &'a str,
    output: catalog::OutputKind,
    parameters: usize,
    typed: bool,
    priced: bool,
    texts: bool,
    required: Vec<&'a str>,
    uploads: BTreeMap<&'a str, String>,
    covered: bool,
}

fn coverage_row(m: &Model) -> CoverageRow<'_> {
    // `typed`: every parameter has a widget kind with limits (the catalog refuses anything else,
    // so a false here means this audit and the loader disagree).
    let typed = m.params.iter().all(|p| match &p.kind {
        ParamKind::Text { max_len, .. } => *max_len > 0,
        ParamKind::Choice { values, .. } => !values.is_empty(),
        ParamKind::Integer { min, max, .. } => min <= max,
        ParamKind::Number { min, max, .. } => min <= max,
        ParamKind::Upload {
            max_bytes,
            max_items,
            ..
        } => *max_bytes > 0 && *max_items > 0,
        ParamKind::Dialogue { voices, .. } => !voices.is_empty(),
        ParamKind::Toggle { .. } => true,
    });
    let priced = m.min_cost_usd() > Decimal::ZERO;
    // Titles may be Latin brand names in both languages; the prose must really be Russian
    // (Cyrillic) and really English (no Cyrillic).
    let texts = [&m.description, &m.good_for]
        .iter()
        .all(|t| has_cyrillic(&t.ru) && !has_cyrillic(&t.en) && !t.en.trim().is_empty())
        && [&m.title.ru, &m.title.en]
            .iter()
            .all(|t| !t.trim().is_empty());
    CoverageRow {
        id: &m.id,
        category: m.category.as_str(),
        output: m.output,
        parameters: m.params.len(),
        typed,
        priced,
        texts,
        required: m
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| p.name.as_str())
            .collect(),
        uploads: m
            .upload_params()
            .map(|p| (p.name.as_str(), p.kind.describe()))
            .collect(),
        covered: typed && priced && texts,
    }
}

/// The coverage audit: artifacts and the share of fully covered models.
pub fn coverage_audit(c: &Catalog) -> (Vec<Artifact>, usize, usize) {
    let rows: Vec<CoverageRow> = c.models().iter().map(coverage_row).collect();
    let covered = rows.iter().filter(|r| r.covered).count();
    let total = rows.len();
    let mut by_cat: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_cat.entry(r.category).or_default() += 1;
    }
    let json = json!({
        "total": total, "fully_covered": covered,
        "share_fully_covered": format!("{covered}/{total}"),
        "by_category": by_cat,
        "models": rows,
    });
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Model coverage\n\nGenerated by `cargo xtask audit-model-coverage`. A model is covered when every parameter is typed with limits, it has a non-zero price, and its title, description and uses exist in Russian (Cyrillic) and English.\n\nFully covered: **{covered} of {total}**.\n"
    );
    let _ = writeln!(md, "| category | models |\n|---|---|");
    for (k, v) in &by_cat {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(
        md,
        "\n| model | category | params | required | uploads | typed | priced | texts |\n|---|---|---|---|---|---|---|---|"
    );
    let yes = |b: bool| if b { "yes" } else { "**no**" };
    for r in &rows {
        let ups: Vec<String> = r
            .uploads
            .iter()
            .map(|(k, v)| format!("{k} ({v})"))
            .collect();
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.category,
            r.parameters,
            r.required.join(", "),
            ups.join(", "),
            yes(r.typed),
            yes(r.priced),
            yes(r.texts)
        );
    }
    (
        vec![
            Artifact {
                name: "model_coverage.json",
                content: pretty(&json),
            },
            Artifact {
                name: "model_coverage.md",
                content: md,
            },
        ],
        covered,
        total,
    )
}

fn write(artifacts: &[Artifact]) -> Result<()> {
    let dir = project::artifacts_dir();
    std::fs::create_dir_all(&dir)?;
    for a in artifacts {
        std::fs::write(dir.join(a.name), &a.content)?;
        println!("wrote artifacts/{}", a.name);
    }
    Ok(())
}

pub fn audit_pricing() -> Result<()> {
    let c = project::load_catalog()?;
    let s = project::load_settings()?;
    let audit = pricing_audit(&c, &s);
    write(&audit.artifacts)?;
    for l in &audit.summary {
        println!("{l}");
    }
    if !audit.problems.is_empty() {
        for p in &audit.problems {
            eprintln!("PROBLEM: {p}");
        }
        bail!("{} pricing problem(s)", audit.problems.len());
    }
    println!(
        "arithmetic checked: buckets add up, every model in exactly one bucket, every quote ≥ cost × rate × markup"
    );
    Ok(())
}

pub fn audit_model_coverage() -> Result<()> {
    let c = project::load_catalog()?;
    let (artifacts, covered, total) = coverage_audit(&c);
    write(&artifacts)?;
    println!("fully covered: {covered} of {total}");
    let smoke = crate::smoke::smoke_audit(&c)?;
    // Checked before writing: a summary that does not add up must not be committed.
    if !smoke.problems.is_empty() {
        for p in &smoke.problems {
            eprintln!("PROBLEM: smoke: {p}");
        }
        bail!(
            "{} smoke-run problem(s); nothing written",
            smoke.problems.len()
        );
    }
    write(&smoke.artifacts)?;
    println!("{}", smoke.summary);
    let failures = smoke.enabled_failures();
    for f in &failures {
        eprintln!("FAILED: {f}");
    }
    if covered != total {
        bail!(
            "{} model(s) not fully covered (see artifacts/model_coverage.md)",
            total - covered
        );
    }
    if !failures.is_empty() {
        bail!(
            "{} enabled model(s) fail the smoke run (see artifacts/model_smoke_matrix.csv)",
            failures.len()
        );
    }
    Ok(())
}
