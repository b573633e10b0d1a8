//! Loading and checking registry files. Every check a model must pass before it can be sold
//! lives here, so the bot, `cargo xtask verify` and the tests all apply the same rules.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use pricing::{Measure, Multiplier, UnitBounds};

use crate::catalog::Catalog;
use crate::model::{Api, Model, ModelFile};
use crate::param::{MediaKind, Param, ParamKind, decimal_of, param_of};
use crate::{MAX_MODEL_ID_BYTES, MAX_TITLE_CHARS};

/// The model-file format, embedded so the code and the format it reads cannot drift apart.
const FORMAT_SCHEMA: &str = include_str!("../../../registry/model.schema.json");

static FORMAT: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(FORMAT_SCHEMA).expect("model.schema.json is JSON");
    jsonschema::draft202012::new(&schema).expect("model.schema.json is a valid schema")
});

/// One problem in one registry file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The file, relative to `registry/models/`.
    pub file: String,
    /// JSON Pointer to the field at fault (empty for the whole file).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.pointer, self.message)
        }
    }
}

/// The registry could not be loaded: every problem found, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// All problems, not just the first.
    pub problems: Vec<Problem>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the model registry has {} problem(s):",
            self.problems.len()
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The file name a model with `id` must have: `/` becomes `__`.
pub(crate) fn file_name_for(id: &str) -> String {
    format!("{}.json", id.replace('/', "__"))
}

impl Catalog {
    /// Loads `dir/models/*.json` (e.g. `registry/`), checking every file.
    pub fn load_dir(dir: &Path) -> Result<Catalog, LoadError> {
        let models_dir = dir.join("models");
        let problem = |message: String| LoadError {
            problems: vec![Problem {
                file: models_dir.display().to_string(),
                pointer: String::new(),
                message,
            }],
        };
        let entries =
            std::fs::read_dir(&models_dir).map_err(|e| problem(format!("cannot read: {e}")))?;
        let mut files = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| problem(format!("cannot read: {e}")))?
                .path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| problem(format!("cannot read {name}: {e}")))?;
            files.push((name, text));
        }
        Catalog::from_files(files)
    }

    /// Loads models from `(file name, JSON text)` pairs, checking every one.
    pub fn from_files(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Catalog, LoadError> {
        let mut problems = Vec::new();
        let mut models: Vec<Model> = Vec::new();
        for (name, text) in files {
            match load_model(&name, &text) {
                Ok(m) => models.push(m),
                Err(mut p) => problems.append(&mut p),
            }
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let mut titles: HashMap<(&str, String), &str> = HashMap::new();
        for m in &models {
            if let Some(other) = seen.insert(&m.id, &m.file) {
                problems.push(Problem {
                    file: m.file.clone(),
                    pointer: "/id".into(),
                    message: format!("id `{}` is also used by {other}", m.id),
                });
            }
            for (lang, t) in [("ru", &m.title.ru), ("en", &m.title.en)] {
                if let Some(other) = titles.insert((lang, t.to_lowercase()), &m.file) {
                    problems.push(Problem {
                        file: m.file.clone(),
                        pointer: format!("/title/{lang}"),
                        message: format!("title `{t}` is also used by {other}"),
                    });
                }
            }
        }
        if !problems.is_empty() {
            problems.sort();
            return Err(LoadError { problems });
        }
        Ok(Catalog::new(models))
    }
}

struct Checker<'a> {
    file: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn fail(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            pointer: pointer.into(),
            message: message.into(),
        });
    }
}

fn load_model(file: &str, text: &str) -> Result<Model, Vec<Problem>> {
    let mut c = Checker {
        file,
        problems: Vec::new(),
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            c.fail("", format!("not valid JSON: {e}"));
            return Err(c.problems);
        }
    };
    for e in FORMAT.iter_errors(&value) {
        c.fail(e.instance_path().as_str(), e.to_string());
    }
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let mf: ModelFile = match serde_json::from_value(value) {
        Ok(m) => m,
        Err(e) => {
            c.fail("", e.to_string());
            return Err(c.problems);
        }
    };
    if file != file_name_for(&mf.id) {
        c.fail(
            "/id",
            format!(
                "file must be named {} for id `{}`",
                file_name_for(&mf.id),
                mf.id
            ),
        );
    }
    if mf.id.len() > MAX_MODEL_ID_BYTES {
        c.fail(
            "/id",
            format!(
                "id is {} bytes; callback data allows {MAX_MODEL_ID_BYTES}",
                mf.id.len()
            ),
        );
    }
    for (lang, t) in [("ru", &mf.title.ru), ("en", &mf.title.en)] {
        if t.chars().count() > MAX_TITLE_CHARS {
            c.fail(
                format!("/title/{lang}"),
                format!("longer than {MAX_TITLE_CHARS} characters"),
            );
        }
    }
    let api = match (mf.api.as_str(), &mf.endpoint) {
        ("market", None) => Api::Market,
        ("market", Some(_)) => {
            c.fail("/endpoint", "a market model has no family endpoint");
            Api::Market
        }
        (family, Some(endpoint)) => Api::Family {
            family: family.to_string(),
            endpoint: endpoint.clone(),
        },
        (family, None) => {
            c.fail(
                "/endpoint",
                format!("a `{family}` family model must name its create endpoint"),
            );
            Api::Market
        }
    };
    if !mf.enabled && mf.disabled_reason.is_none() {
        c.fail("/disabled_reason", "a disabled model must say why");
    }
    let validator = match jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&mf.input_schema)
    {
        Ok(v) => v,
        Err(e) => {
            c.fail("/input_schema", format!("does not compile: {e}"));
            return Err(c.problems);
        }
    };
    let params = params_of(&mut c, &mf.input_schema);
    for k in mf.fixed_input.keys() {
        if params.iter().any(|p| &p.name == k) {
            c.fail(
                format!("/fixed_input/{k}"),
                "a fixed input cannot also be a user parameter",
            );
        }
    }
    let prompts = params
        .iter()
        .filter(|p| {
            matches!(
                p.kind,
                ParamKind::Text { prompt: true, .. } | ParamKind::Dialogue { .. }
            )
        })
        .count();
    if prompts > 1 {
        c.fail(
            "/input_schema",
            "more than one parameter has x-ui role `prompt`",
        );
    }
    let unit_bounds = check_price(&mut c, &mf, &params);
    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let min_cost = pricing::quote_range(&mf.price, &unit_bounds, &probe_settings())
        .map(|r| r.min_cost_usd)
        .unwrap_or_default();
    let model = Model {
        id: mf.id,
        api,
        category: mf.category,
        output: mf.output,
        title: mf.title,
        description: mf.description,
        good_for: mf.good_for,
        tags: mf.tags,
        enabled: mf.enabled,
        disabled_reason: mf.disabled_reason,
        price: mf.price,
        params,
        example: mf.example,
        docs: mf.docs,
        schema: mf.input_schema,
        validator,
        fixed_input: mf.fixed_input,
        unit_bounds,
        min_cost_usd: min_cost,
        file: file.to_string(),
    };
    if min_cost <= Decimal::ZERO {
        c.fail(
            "/price",
            "the cheapest combination costs nothing: a model is never sold for 0",
        );
    }
    check_examples(&mut c, &model);
    if c.problems.is_empty() {
        Ok(model)
    } else {
        Err(c.problems)
    }
}

/// Settings used only to exercise quotes while checking (the real ones come from settings.toml).
fn probe_settings() -> pricing::PriceSettings {
    pricing::PriceSettings {
        rub_per_usd: Decimal::from(95),
        markup: Decimal::from(2),
        usd_per_credit: Decimal::new(5, 3),
        rounding: pricing::Rounding::CeilKopeck,
    }
}

fn params_of(c: &mut Checker<'_>, schema: &Value) -> Vec<Param> {
    let empty = Map::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for r in &required {
        if !props.contains_key(*r) {
            c.fail(
                "/input_schema/required",
                format!("`{r}` is required but not a property"),
            );
        }
    }
    let order: Vec<&str> = schema
        .pointer("/x-ui/order")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let order_set: BTreeSet<&str> = order.iter().copied().collect();
    let prop_set: BTreeSet<&str> = props.keys().map(String::as_str).collect();
    if order_set != prop_set || order.len() != props.len() {
        c.fail(
            "/input_schema/x-ui/order",
            "must list every property exactly once",
        );
    }
    let mut out = Vec::new();
    for name in order {
        let Some(s) = props.get(name) else { continue };
        match param_of(name, s, required.contains(name)) {
            Ok(p) => out.push(p),
            Err(e) => c.fail(format!("/input_schema/properties/{name}"), e),
        }
    }
    out
}

fn has_value(p: &Param) -> bool {
    p.required
        || match &p.kind {
            ParamKind::Choice { default, .. } => default.is_some(),
            ParamKind::Toggle { default } => default.is_some(),
            ParamKind::Integer { default, .. } => default.is_some(),
            ParamKind::Number { default, .. } => default.is_some(),
            _ => false,
        }
}

fn numeric_bounds(p: &Param) -> Option<(Decimal, Decimal)> {
    match &p.kind {
        ParamKind::Integer { min, max, .. } => Some((Decimal::from(*min), Decimal::from(*max))),
        ParamKind::Number { min, max, .. } => Some((*min, *max)),
        ParamKind::Choice { values, .. } => {
            let ds: Option<Vec<Decimal>> = values.iter().map(decimal_of).collect();
            let ds = ds?;
            Some((*ds.iter().min()?, *ds.iter().max()?))
        }
        _ => None,
    }
}

/// Checks the price rule against the parameters; returns one [`UnitBounds`] per multiplier.
fn check_price(c: &mut Checker<'_>, mf: &ModelFile, params: &[Param]) -> Vec<UnitBounds> {
    let rule = &mf.price;
    let find = |n: &str| params.iter().find(|p| p.name == n);
    let priced: BTreeSet<&str> = rule.priced_params().into_iter().collect();
    for p in params {
        if p.priced != priced.contains(p.name.as_str()) {
            c.fail(
                format!("/input_schema/properties/{}/x-ui/priced", p.name),
                if p.priced {
                    "marked priced but the price rule does not use it"
                } else {
                    "the price rule uses it: mark it priced"
                },
            );
        }
    }
    if let Some(t) = &rule.table {
        for (i, row) in t.rows.iter().enumerate() {
            let keys: BTreeSet<&str> = row.when.keys().map(String::as_str).collect();
            let by: BTreeSet<&str> = t.by.iter().map(String::as_str).collect();
            if keys != by {
                c.fail(
                    format!("/price/table/rows/{i}/when"),
                    "must name exactly the `by` parameters",
                );
            }
            for (k, v) in &row.when {
                let ok = match find(k).map(|p| &p.kind) {
                    Some(ParamKind::Choice { values, .. }) => values.contains(v),
                    Some(ParamKind::Toggle { .. }) => v.is_boolean(),
                    _ => false,
                };
                if !ok {
                    c.fail(
                        format!("/price/table/rows/{i}/when/{k}"),
                        format!("{v} is not a value of an enum or boolean parameter `{k}`"),
                    );
                }
            }
        }
        for k in &t.by {
            if let Some(p) = find(k)
                && !has_value(p)
            {
                c.fail(
                    "/price/table/by",
                    format!("`{k}` selects the price, so it must be required or have a default"),
                );
            }
        }
    }
    let mut bounds = Vec::new();
    for (i, m) in rule.per.iter().enumerate() {
        let at = format!("/price/per/{i}");
        let Some(p) = find(m.param()) else {
            c.fail(&at, format!("no parameter `{}`", m.param()));
            bounds.push(UnitBounds {
                min: Decimal::ONE,
                max: Decimal::ONE,
            });
            continue;
        };
        let b = match m {
            Multiplier::Param { .. } => {
                if !has_value(p) {
                    c.fail(
                        &at,
                        format!(
                            "`{}` is billed per unit, so it must be required or have a default",
                            p.name
                        ),
                    );
                }
                numeric_bounds(p)
            }
            Multiplier::Chars { per, field, .. } => {
                let per = Decimal::from(*per);
                match (&p.kind, field) {
                    (
                        ParamKind::Text {
                            min_len, max_len, ..
                        },
                        None,
                    ) => Some((
                        Decimal::from((*min_len).max(1)) / per,
                        Decimal::from(*max_len) / per,
                    )),
                    (
                        ParamKind::Dialogue {
                            max_lines,
                            max_line_len,
                            ..
                        },
                        Some(f),
                    ) if f == "text" => Some((
                        Decimal::ONE / per,
                        Decimal::from(max_lines * max_line_len) / per,
                    )),
                    _ => None,
                }
            }
            Multiplier::Media { measure, .. } => match (&p.kind, measure) {
                (
                    ParamKind::Upload {
                        media: MediaKind::Audio | MediaKind::Video,
                        max_seconds: Some(s),
                        max_items: 1,
                        ..
                    },
                    Measure::Seconds,
                ) => Some((Decimal::ONE, Decimal::from(*s))),
                (
                    ParamKind::Upload {
                        media: MediaKind::Image,
                        max_side_px: Some(px),
                        max_items: 1,
                        ..
                    },
                    Measure::Megapixels,
                ) => Some((
                    Decimal::ONE,
                    (Decimal::from(px * px) / Decimal::from(1_000_000)).ceil(),
                )),
                _ => None,
            },
            Multiplier::Map { values, .. } => match &p.kind {
                ParamKind::Choice {
                    values: allowed, ..
                } if has_value(p) => {
                    let qs: Option<Vec<Decimal>> = allowed
                        .iter()
                        .map(|v| values.get(v.as_str().unwrap_or_default()).copied())
                        .collect();
                    qs.and_then(|qs| Some((*qs.iter().min()?, *qs.iter().max()?)))
                }
                _ => None,
            },
            Multiplier::Ratio { divisor, .. } => {
                let d = find(divisor);
                match (numeric_bounds(p), d.and_then(numeric_bounds)) {
                    (Some((a, b)), Some((dmin, dmax)))
                        if dmin > Decimal::ZERO && has_value(p) && d.is_some_and(has_value) =>
                    {
                        Some((a / dmax, b / dmin))
                    }
                    _ => None,
                }
            }
        };
        match b {
            Some((min, max)) if min >= Decimal::ZERO && min <= max => {
                bounds.push(UnitBounds { min, max })
            }
            _ => {
                c.fail(&at, format!("cannot bill `{}` this way: its type, bounds or upload limits do not fit the multiplier", p.name));
                bounds.push(UnitBounds {
                    min: Decimal::ONE,
                    max: Decimal::ONE,
                });
            }
        }
    }
    bounds
}

/// The example validates and quotes; every combination of table parameters the schema allows
/// has a row, and every row is reachable.
fn check_examples(c: &mut Checker<'_>, m: &Model) {
    let s = probe_settings();
    match m.validate(&m.example) {
        Ok(v) => {
            if let Err(e) = m.quote(&v, &s) {
                c.fail("/example", format!("cannot be priced: {e}"));
            }
        }
        Err(errs) => {
            for e in errs {
                c.fail(
                    format!("/example/{}", e.field),
                    format!("does not validate: {:?}", e.kind),
                );
            }
            return;
        }
    }
    let Some(table) = &m.price.table else { return };
    let domains: Vec<Vec<Value>> = table
        .by
        .iter()
        .map(|k| match m.param(k).map(|p| &p.kind) {
            Some(ParamKind::Choice { values, .. }) => values.clone(),
            Some(ParamKind::Toggle { .. }) => vec![Value::Bool(false), Value::Bool(true)],
            _ => Vec::new(),
        })
        .collect();
    let mut used = vec![false; table.rows.len()];
    let mut combo = vec![0usize; domains.len()];
    if domains.iter().any(Vec::is_empty) {
        return;
    }
    loop {
        let mut input = m.example.clone();
        for (k, (d, i)) in table.by.iter().zip(domains.iter().zip(&combo)) {
            input.insert(k.clone(), d[*i].clone());
        }
        if let Ok(v) = m.validate(&input) {
            match table
                .rows
                .iter()
                .position(|r| r.when.iter().all(|(k, val)| v.params().get(k) == Some(val)))
            {
                Some(i) => used[i] = true,
                None => {
                    let desc: Vec<String> = table
                        .by
                        .iter()
                        .map(|k| format!("{k}={}", v.params()[k]))
                        .collect();
                    c.fail(
                        "/price/table",
                        format!("no row prices the allowed combination {}", desc.join(", ")),
                    );
                }
            }
        }
        // Next combination (odometer order).
        let mut pos = 0;
        loop {
            if pos == combo.len() {
                for (i, u) in used.iter().enumerate() {
                    if !u {
                        c.fail(
                            format!("/price/table/rows/{i}"),
                            "no input the schema allows reaches this row",
                        );
                    }
                }
                return;
            }
            combo[pos] += 1;
            if combo[pos] < domains[pos].len() {
                break;
            }
            combo[pos] = 0;
            pos += 1;
        }
    }
}
