//! Kie's own-endpoint ("legacy") families — Veo 3.1, Suno, Midjourney, Runway, Runway Aleph,
//! Flux Kontext and 4o Image — served from Kie's documentation in
//! `data/kie-api-families.json` (a copy of `shared/kie-api-families.json`).
//!
//! Everything is data-driven: the routes are the documented endpoints, requests are checked
//! against each endpoint's documented fields (types, enums, bounds, lengths, item counts, URL
//! format) and cross-field `rules`, prices come from the family's `pricing` table and the
//! status values from its `status` section. Tasks live in the same state as Market tasks (the
//! same clock, rate limits, credits, scripted outcomes, markers, faults and signed callbacks);
//! [`render`] gives each family its own status and callback shapes.
//!
//! # What it must never do
//! It must never consult our registry (or anything but the bundled Kie documentation): a drift
//! between our client and Kie's documented wire format has to fail a test here. It never holds
//! the state lock across an await and never logs the API key.

mod render;

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::media::MediaKind;
use crate::server::{NO_ACCESS, authorized, error, guarded, markers, ok, rate_limited};
use crate::state::{Shared, Task, plan_task};
use crate::{Endpoint, Outcome};

pub(crate) use render::callback_bodies;

/// The copy of `shared/kie-api-families.json` compiled into the crate.
const BUNDLED: &str = include_str!("../../data/kie-api-families.json");

/// The parsed bundled documentation.
pub(crate) static FAMILIES: LazyLock<FamiliesDoc> =
    LazyLock::new(|| serde_json::from_str(BUNDLED).expect("bundled kie-api-families.json parses"));

/// The whole families file (only the parts the simulator uses).
#[derive(Debug, Deserialize)]
pub(crate) struct FamiliesDoc {
    pub(crate) families: Vec<Family>,
}

/// One family.
#[derive(Debug, Deserialize)]
pub(crate) struct Family {
    pub(crate) family_id: String,
    pub(crate) category: String,
    pub(crate) endpoints: Vec<EndpointDoc>,
    #[serde(default)]
    pub(crate) status: Value,
    #[serde(default)]
    pub(crate) pricing: Value,
    #[serde(default)]
    pub(crate) callbacks: Vec<Value>,
}

/// One documented endpoint.
#[derive(Debug, Deserialize)]
pub(crate) struct EndpointDoc {
    pub(crate) endpoint_id: String,
    pub(crate) role: String,
    pub(crate) method: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) inputs: Vec<FieldDoc>,
    #[serde(default)]
    pub(crate) rules: Option<Vec<Rule>>,
    #[serde(default)]
    pub(crate) status_endpoint: Option<String>,
    #[serde(default)]
    pub(crate) callback: Option<String>,
    #[serde(default)]
    pub(crate) synchronous: Option<bool>,
    #[serde(default)]
    pub(crate) response: Value,
    /// Endpoint-specific status encoding (Suno's side tasks), else the family's.
    #[serde(default)]
    pub(crate) status: Option<Value>,
}

/// One documented request field.
#[derive(Debug, Deserialize)]
pub(crate) struct FieldDoc {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) ty: String,
    #[serde(default)]
    pub(crate) required: bool,
    #[serde(rename = "enum", default)]
    pub(crate) enum_values: Option<Vec<Value>>,
    #[serde(default)]
    pub(crate) default: Option<Value>,
    #[serde(default)]
    pub(crate) min: Option<Value>,
    #[serde(default)]
    pub(crate) max: Option<Value>,
    #[serde(default, rename = "exclusiveMin")]
    pub(crate) exclusive_min: Option<f64>,
    #[serde(default)]
    pub(crate) max_length: Option<usize>,
    #[serde(default)]
    pub(crate) min_length: Option<usize>,
    #[serde(default)]
    pub(crate) max_items: Option<usize>,
    #[serde(default)]
    pub(crate) min_items: Option<usize>,
    #[serde(default)]
    pub(crate) aliases: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) format: Option<String>,
}

/// A cross-field rule: when every `when` entry holds, every `then` constraint applies.
#[derive(Debug, Deserialize)]
pub(crate) struct Rule {
    #[serde(default)]
    pub(crate) text: String,
    #[serde(default)]
    pub(crate) when: Option<Map<String, Value>>,
    #[serde(default)]
    pub(crate) then: Option<Map<String, Value>>,
}

impl FamiliesDoc {
    /// The family and endpoint with this endpoint id.
    pub(crate) fn endpoint(&self, id: &str) -> Option<(&Family, &EndpointDoc)> {
        self.families.iter().find_map(|f| {
            f.endpoints
                .iter()
                .find(|e| e.endpoint_id == id)
                .map(|e| (f, e))
        })
    }
}

impl Family {
    /// The callback doc with this id.
    pub(crate) fn callback(&self, id: &str) -> Option<&Value> {
        self.callbacks
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(id))
    }
}

/// What a family task remembers beyond a Market task.
#[derive(Debug, Clone)]
pub(crate) struct FamilyTask {
    pub(crate) family: String,
    pub(crate) endpoint: String,
    pub(crate) status_endpoint: String,
    /// The request body as sent.
    pub(crate) body: Map<String, Value>,
    /// The earlier task a follow-up refers to.
    pub(crate) parent: Option<String>,
    /// Veo get-1080p calls so far on this task (the first answers "processing").
    pub(crate) hd_polls: u32,
}

impl FamilyTask {
    /// The field as sent, else its documented default.
    pub(crate) fn value(&self, name: &str) -> Option<Value> {
        effective(&self.body, name, &self.endpoint)
    }
}

/// `body[name]` (or an alias) unless null, else the documented default of `endpoint`'s field.
fn effective(body: &Map<String, Value>, name: &str, endpoint: &str) -> Option<Value> {
    let field = FAMILIES
        .endpoint(endpoint)
        .and_then(|(_, e)| e.inputs.iter().find(|f| f.name == name));
    given(body, name, field).or_else(|| field.and_then(|f| f.default.clone()))
}

fn given(body: &Map<String, Value>, name: &str, field: Option<&FieldDoc>) -> Option<Value> {
    let aliases = field.and_then(|f| f.aliases.clone()).unwrap_or_default();
    std::iter::once(name)
        .chain(aliases.iter().map(String::as_str))
        .filter_map(|n| body.get(n))
        .find(|v| !v.is_null())
        .cloned()
}

// ---------------------------------------------------------------------------------------------
// Validation

/// Every problem of `body` against the endpoint's documented fields and rules.
pub(crate) fn validate(ep: &EndpointDoc, body: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    for f in &ep.inputs {
        match given(body, &f.name, Some(f)) {
            None => {
                if f.required && f.default.is_none() {
                    problems.push(missing(&f.name));
                }
            }
            Some(v) => check_field(f, &v, &mut problems),
        }
    }
    for rule in ep.rules.iter().flatten() {
        let (Some(then), true) = (&rule.then, rule_applies(ep, rule, body)) else {
            continue;
        };
        for (key, c) in then {
            check_rule(ep, rule, key, c, body, &mut problems);
        }
    }
    problems
}

fn missing(name: &str) -> String {
    if name == "callBackUrl" {
        // Suno's live answer (kie-api-families.json, simulator_notes).
        "Please enter callBackUrl.".into()
    } else {
        format!("{name} is required")
    }
}

fn check_field(f: &FieldDoc, v: &Value, problems: &mut Vec<String>) {
    let name = &f.name;
    let type_ok = match f.ty.as_str() {
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.as_f64().is_some_and(|n| n.fract() == 0.0),
        "number" => v.is_number(),
        "array<string>" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        _ => true,
    };
    if !type_ok {
        problems.push(format!("{name}: expected {}, got {v}", f.ty));
        return;
    }
    if let Some(allowed) = &f.enum_values
        && !allowed.iter().any(|a| json_eq(a, v))
    {
        problems.push(format!(
            "{name}: {v} is not one of {}",
            Value::from(allowed.clone())
        ));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = f.min.as_ref().and_then(Value::as_f64)
            && n < min
        {
            problems.push(format!("{name}: {v} is below the minimum {min}"));
        }
        if let Some(max) = f.max.as_ref().and_then(Value::as_f64)
            && n > max
        {
            problems.push(format!("{name}: {v} is above the maximum {max}"));
        }
        if let Some(min) = f.exclusive_min
            && n <= min
        {
            problems.push(format!("{name}: {v} must be greater than {min}"));
        }
    }
    if let Some(s) = v.as_str() {
        let len = s.chars().count();
        if f.required && s.trim().is_empty() {
            problems.push(format!("{name} must not be empty"));
        }
        if let Some(max) = f.max_length
            && len > max
        {
            problems.push(format!("{name}: {len} characters, at most {max} allowed"));
        }
        if let Some(min) = f.min_length
            && len < min
        {
            problems.push(format!("{name}: {len} characters, at least {min} required"));
        }
        if f.format.as_deref() == Some("uri")
            && !s.is_empty()
            && !url::Url::parse(s).is_ok_and(|u| ["http", "https"].contains(&u.scheme()))
        {
            problems.push(format!("{name}: {s:?} is not an http(s) URL"));
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(max) = f.max_items
            && a.len() > max
        {
            problems.push(format!("{name}: {} items, at most {max} allowed", a.len()));
        }
        if let Some(min) = f.min_items
            && a.len() < min
        {
            problems.push(format!(
                "{name}: {} items, at least {min} required",
                a.len()
            ));
        }
    }
}

fn rule_applies(ep: &EndpointDoc, rule: &Rule, body: &Map<String, Value>) -> bool {
    let Some(when) = &rule.when else {
        return true;
    };
    when.iter().all(|(field, cond)| {
        let v = effective(body, field, &ep.endpoint_id);
        match cond {
            Value::Object(c) if c.contains_key("in") => {
                let list = c["in"].as_array().cloned().unwrap_or_default();
                v.is_some_and(|v| list.iter().any(|a| json_eq(a, &v)))
            }
            Value::Object(c) if c.contains_key("present") => {
                given(body, field, None).is_some() == (c["present"] == Value::Bool(true))
            }
            Value::Object(c) if c.contains_key("absent") => {
                given(body, field, None).is_none() == (c["absent"] == Value::Bool(true))
            }
            Value::Object(c) if c.contains_key("min_items") => {
                let n = c["min_items"].as_u64().unwrap_or(0) as usize;
                v.and_then(|v| v.as_array().map(Vec::len))
                    .is_some_and(|l| l >= n)
            }
            lit => v.is_some_and(|v| json_eq(lit, &v)),
        }
    })
}

fn check_rule(
    ep: &EndpointDoc,
    rule: &Rule,
    key: &str,
    c: &Value,
    body: &Map<String, Value>,
    problems: &mut Vec<String>,
) {
    let why = &rule.text;
    if key == "anyOf" {
        let fields: Vec<&str> = c
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if !fields.iter().any(|f| given(body, f, None).is_some()) {
            problems.push(format!("one of {} is required ({why})", fields.join(", ")));
        }
        return;
    }
    let Some(c) = c.as_object() else { return };
    // An expression such as "infillEndS - infillStartS", constrained like a number.
    let value = match key.split_once(" - ") {
        Some((a, b)) => {
            let num = |f: &str| effective(body, f.trim(), &ep.endpoint_id)?.as_f64();
            match (num(a), num(b)) {
                (Some(a), Some(b)) => Some(Value::from(a - b)),
                _ => return,
            }
        }
        None => effective(body, key, &ep.endpoint_id),
    };
    let sent = given(body, key, None);
    if c.get("required") == Some(&Value::Bool(true)) && sent.is_none() && value.is_none() {
        problems.push(format!("{key} is required ({why})"));
    }
    if c.get("forbidden") == Some(&Value::Bool(true)) && sent.is_some() {
        problems.push(format!("{key} is not allowed ({why})"));
    }
    let Some(v) = value else { return };
    if let Some(allowed) = c.get("enum").and_then(Value::as_array)
        && !allowed.iter().any(|a| json_eq(a, &v))
    {
        problems.push(format!(
            "{key}: {v} is not one of {} ({why})",
            Value::from(allowed.clone())
        ));
    }
    if let Some(n) = v.as_f64() {
        if let Some(min) = c.get("min").and_then(Value::as_f64)
            && n < min
        {
            problems.push(format!("{key}: {v} is below the minimum {min} ({why})"));
        }
        if let Some(max) = c.get("max").and_then(Value::as_f64)
            && n > max
        {
            problems.push(format!("{key}: {v} is above the maximum {max} ({why})"));
        }
    }
    if let (Some(s), Some(max)) = (v.as_str(), c.get("max_length").and_then(Value::as_u64)) {
        let len = s.chars().count();
        if len > max as usize {
            problems.push(format!(
                "{key}: {len} characters, at most {max} allowed ({why})"
            ));
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(max) = c.get("max_items").and_then(Value::as_u64)
            && a.len() > max as usize
        {
            problems.push(format!(
                "{key}: {} items, at most {max} allowed ({why})",
                a.len()
            ));
        }
        if let Some(min) = c.get("min_items").and_then(Value::as_u64)
            && a.len() < min as usize
        {
            problems.push(format!(
                "{key}: {} items, at least {min} required ({why})",
                a.len()
            ));
        }
    }
}

/// JSON equality with numbers compared by value (`5` equals `5.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Pricing and result counts

/// Credits a request costs, from the family's `pricing` (rows for this endpoint, or rows
/// without an endpoint for the family's create endpoint, first whose `when` holds; else the
/// family's flat price for its create endpoint, times the result count for `per image`);
/// `None` when Kie documents no price.
pub(crate) fn price(
    fam: &Family,
    ep: &EndpointDoc,
    body: &Map<String, Value>,
    count: usize,
) -> Option<f64> {
    let p = &fam.pricing;
    let applies = |row: &Value| match row.get("endpoint").and_then(Value::as_str) {
        Some(e) => e == ep.endpoint_id,
        None => ep.role == "create",
    };
    let holds = |row: &Value| match row.get("when") {
        None | Some(Value::Null) => true,
        Some(Value::Object(w)) => w
            .iter()
            .all(|(k, lit)| effective(body, k, &ep.endpoint_id).is_some_and(|v| json_eq(lit, &v))),
        Some(_) => false,
    };
    if let Some(table) = p.get("table").and_then(Value::as_array) {
        let row = table.iter().find(|r| applies(r) && holds(r));
        return row.and_then(|r| r.get("credits")).and_then(Value::as_f64);
    }
    let flat = p.get("credits").and_then(Value::as_f64)?;
    (ep.role == "create").then(|| {
        if p.get("unit").and_then(Value::as_str) == Some("per image") {
            flat * count as f64
        } else {
            flat
        }
    })
}

/// How many result files a request produces, and their kind.
fn results(fam: &Family, ep: &EndpointDoc, body: &Map<String, Value>) -> (usize, MediaKind) {
    let v = |k: &str| effective(body, k, &ep.endpoint_id);
    let n = |k: &str, d: usize| v(k).and_then(|x| x.as_u64()).map_or(d, |x| x as usize);
    let kind = match fam.category.as_str() {
        "video" => MediaKind::Mp4,
        "image" => MediaKind::Png,
        _ => MediaKind::Mp3,
    };
    match ep.endpoint_id.as_str() {
        "suno.lyrics" => (2, MediaKind::Text),
        "suno.midi" => (0, MediaKind::Text),
        "suno.cover_generate" => (2, MediaKind::Png),
        "suno.wav" => (1, MediaKind::Mp3),
        "suno.vocal_removal" => match v("type").as_ref().and_then(Value::as_str) {
            Some("split_stem") => (render::STEMS.len(), MediaKind::Mp3),
            _ => (2, MediaKind::Mp3),
        },
        id if id.starts_with("suno.") => (2, MediaKind::Mp3),
        "mj.generate" => match v("taskType").as_ref().and_then(Value::as_str) {
            Some(t) if t.starts_with("mj_video") => (n("videoBatchSize", 1), MediaKind::Mp4),
            _ => (4, MediaKind::Png),
        },
        "mj.vary" => (4, MediaKind::Png),
        "mj.upscale" => (1, MediaKind::Png),
        "mj.video_extend" => (n("videoBatchSize", 1), MediaKind::Mp4),
        "gpt4o_image.generate" => (n("nVariants", 1), MediaKind::Png),
        _ => (1, kind),
    }
}

// ---------------------------------------------------------------------------------------------
// Routes

/// A route for every documented endpoint of every family.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    let mut router = Router::new();
    for fam in &FAMILIES.families {
        for ep in &fam.endpoints {
            let id: &'static str = ep.endpoint_id.as_str();
            let handler = move |State(shared): State<Arc<Shared>>,
                                headers: HeaderMap,
                                RawQuery(q): RawQuery,
                                body: Bytes| async move {
                handle(shared, id, headers, q, body).await
            };
            router = if ep.method.eq_ignore_ascii_case("GET") {
                router.route(&ep.path, get(handler))
            } else {
                router.route(&ep.path, post(handler))
            };
        }
    }
    router
}

async fn handle(
    shared: Arc<Shared>,
    id: &'static str,
    headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
) -> Response {
    let (fam, ep) = FAMILIES.endpoint(id).expect("routed endpoints exist");
    let target = if ep.role == "status" {
        Endpoint::RecordInfo
    } else {
        Endpoint::Create
    };
    guarded(&shared, target, async {
        if !authorized(&shared, &headers) {
            if target == Endpoint::Create {
                shared.with_state(|st, _| st.stats.creates_rejected_401 += 1);
            }
            return error(401, NO_ACCESS);
        }
        // GET parameters come from the query, POST fields from the JSON body.
        let fields = if ep.method.eq_ignore_ascii_case("GET") {
            let mut m = Map::new();
            for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
                let typed = ep
                    .inputs
                    .iter()
                    .find(|f| f.name == k)
                    .map(|f| f.ty.as_str());
                let value = match typed {
                    Some("integer" | "number") => v
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::from(v.as_ref())),
                    _ => Value::from(v.as_ref()),
                };
                m.insert(k.into_owned(), value);
            }
            m
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(m)) => m,
                _ => {
                    shared.with_state(|st, _| st.stats.creates_rejected_400 += 1);
                    return error(400, "Request body must be a JSON object");
                }
            }
        };
        if ep.role == "status" {
            return status(&shared, fam, ep, &fields);
        }
        let problems = validate(ep, &fields);
        if !problems.is_empty() {
            shared.with_state(|st, _| st.stats.creates_rejected_422 += 1);
            return error(422, &problems.join("; "));
        }
        if ep.endpoint_id == "veo.get_1080p" {
            return veo_1080p(&shared, &fields);
        }
        if ep.synchronous == Some(true) {
            // Synchronous helpers answer with the documented example data.
            let data = ep
                .response
                .get("example")
                .and_then(|e| e.get("data"))
                .cloned()
                .unwrap_or(Value::Null);
            return ok(data);
        }
        create(&shared, fam, ep, fields)
    })
    .await
}

/// The earlier task a follow-up names (`taskId`, or a Suno track's `audioId`).
fn parent_of(
    st: &crate::state::State,
    fam: &Family,
    fields: &Map<String, Value>,
) -> Result<Option<usize>, Box<Response>> {
    let unknown = || {
        if fam.family_id == "suno" {
            error(422, "Record does not exist")
        } else {
            error(404, "record is null")
        }
    };
    let i = if let Some(audio) = fields.get("audioId").and_then(Value::as_str) {
        st.tasks.iter().position(|t| {
            t.family.as_ref().is_some_and(|f| f.family == fam.family_id)
                && (0..t.result_count).any(|k| render::track_id(&t.id, k) == audio)
        })
    } else if let Some(id) = fields.get("taskId").and_then(Value::as_str) {
        st.find(id).filter(|&i| {
            st.tasks[i]
                .family
                .as_ref()
                .is_some_and(|f| f.family == fam.family_id)
        })
    } else {
        return Ok(None);
    };
    let Some(i) = i else {
        return Err(Box::new(unknown()));
    };
    if !st.tasks[i].ending.as_ref().is_some_and(|e| e.success) {
        return Err(Box::new(error(422, "record status is not success")));
    }
    Ok(Some(i))
}

fn create(
    shared: &Arc<Shared>,
    fam: &Family,
    ep: &EndpointDoc,
    fields: Map<String, Value>,
) -> Response {
    let (count, media) = results(fam, ep, &fields);
    let cost = price(fam, ep, &fields, count).unwrap_or(shared.config.credits_per_task);
    let (marker, slow) = markers(&fields);
    let model = effective(&fields, "model", &ep.endpoint_id)
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_else(|| fam.family_id.clone());
    let call_back_url = fields
        .get("callBackUrl")
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty())
        .map(str::to_owned);
    let base = shared.base.clone();
    let created = shared.with_state(|st, now| {
        st.settle_all(now, &shared.config, &base);
        let parent = parent_of(st, fam, &fields)?;
        if st.create_window.is_full(now) {
            st.stats.creates_rejected_429 += 1;
            return Err(Box::new(rate_limited()));
        }
        if st.available_credits() < cost {
            st.stats.creates_rejected_402 += 1;
            return Err(Box::new(error(
                402,
                "The current credits are insufficient. Please top up.",
            )));
        }
        st.create_window.record(now);
        let outcome = st
            .queue
            .pop_front()
            .or(marker)
            .or_else(|| st.per_model.get(&model).cloned())
            .or_else(|| st.per_model.get(&fam.family_id).cloned())
            .unwrap_or(Outcome::Success);
        let hex = format!("{:016x}{:016x}", st.rng.u64(..), st.rng.u64(..));
        let id = if fam.family_id == "runway" {
            render::uuid(&hex)
        } else {
            hex
        };
        let plan = plan_task(&shared.config, &mut st.rng, &outcome, slow, now);
        let result_count = match &outcome {
            Outcome::SuccessWith { count } => *count,
            _ => count,
        };
        let task = Task {
            id: id.clone(),
            record_id: None,
            model: model.clone(),
            input: Value::Object(fields.clone()),
            call_back_url,
            param: Value::Object(fields.clone()).to_string(),
            outcome,
            media,
            result_count,
            created_wall: std::time::SystemTime::now(),
            plan,
            ending: None,
            credits_consumed: 0.0,
            callback_attempts: 0,
            callback_acks: 0,
            cost,
            family: Some(FamilyTask {
                family: fam.family_id.clone(),
                endpoint: ep.endpoint_id.clone(),
                status_endpoint: ep
                    .status_endpoint
                    .clone()
                    .unwrap_or_else(|| format!("{}.record_info", prefix(ep))),
                body: fields.clone(),
                parent: parent.map(|i| st.tasks[i].id.clone()),
                hd_polls: 0,
            }),
        };
        st.insert(task, cost);
        Ok((id, plan.done))
    });
    match created {
        Err(r) => *r,
        Ok((id, done)) => {
            tracing::info!(task_id = %id, endpoint = %ep.endpoint_id, "family task created");
            if let Some(done) = done {
                shared.spawn_timer(id.clone(), done);
            }
            ok(json!({"taskId": id}))
        }
    }
}

/// `veo` of `veo.get_4k`: endpoints without a status endpoint report on the family's one.
fn prefix(ep: &EndpointDoc) -> &str {
    ep.endpoint_id.split('.').next().unwrap_or_default()
}

fn status(
    shared: &Arc<Shared>,
    fam: &Family,
    ep: &EndpointDoc,
    fields: &Map<String, Value>,
) -> Response {
    let base = shared.base.clone();
    let task_id = fields
        .get("taskId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    shared.with_state(|st, now| {
        if st.status_window.is_full(now) {
            st.stats.status_rejected_429 += 1;
            return rate_limited();
        }
        st.status_window.record(now);
        st.stats.record_infos += 1;
        if task_id.is_empty() {
            return error(422, "taskId is required");
        }
        let found = st.find(&task_id).filter(|&i| {
            st.tasks[i]
                .family
                .as_ref()
                .is_some_and(|f| f.status_endpoint == ep.endpoint_id)
        });
        let Some(i) = found else {
            // Live Suno answers an unknown id with data null; the others document 404.
            return if fam.family_id == "suno" {
                ok(Value::Null)
            } else {
                error(404, "record is null")
            };
        };
        st.settle(i, now, &shared.config, &base);
        ok(render::status_data(&st.tasks[i], now, &base))
    })
}

/// `GET /api/v1/veo/get-1080p-video`: the first call per task answers Kie's "processing" 400,
/// later ones the 1080P URL. Charged (5 credits) on the call that returns the URL.
fn veo_1080p(shared: &Arc<Shared>, fields: &Map<String, Value>) -> Response {
    let base = shared.base.clone();
    let cost = FAMILIES
        .endpoint("veo.get_1080p")
        .and_then(|(f, e)| price(f, e, fields, 1))
        .unwrap_or(0.0);
    shared.with_state(|st, now| {
        st.settle_all(now, &shared.config, &base);
        let fam = FAMILIES.endpoint("veo.generate").expect("veo documented").0;
        let i = match parent_of(st, fam, fields) {
            Ok(Some(i)) => i,
            Ok(None) => return error(422, "taskId is required"),
            Err(r) => return *r,
        };
        let task = &mut st.tasks[i];
        let Some(f) = task.family.as_mut() else {
            return error(404, "record is null");
        };
        f.hd_polls += 1;
        if f.hd_polls == 1 {
            return error(
                400,
                "1080P is processing. It should be ready in 1-2 minutes. Please check back shortly.",
            );
        }
        let first = f.hd_polls == 2;
        let index = fields.get("index").and_then(Value::as_u64).unwrap_or(0);
        let url = format!("{base}/files/r/{}_{index}.mp4", task.id);
        if first {
            if st.credits < cost {
                return error(402, "The current credits are insufficient. Please top up.");
            }
            st.credits = crate::state::round_credits(st.credits - cost);
        }
        ok(json!({"resultUrl": url}))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: &str) -> &'static EndpointDoc {
        FAMILIES.endpoint(id).expect("documented").1
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    #[test]
    fn bundled_copy_matches_shared_reference() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/kie-api-families.json");
        if let Ok(text) = std::fs::read_to_string(&shared) {
            assert!(
                text == BUNDLED,
                "data/kie-api-families.json differs from {shared:?}"
            );
        }
        assert_eq!(FAMILIES.families.len(), 7);
    }

    #[test]
    fn runway_1080p_only_with_5_seconds() {
        let p = validate(
            ep("runway.generate"),
            &obj(json!({"prompt":"cat","duration":10,"quality":"1080p","aspectRatio":"16:9"})),
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("duration: 10 is not one of [5]")),
            "{p:?}"
        );
        let ok = validate(
            ep("runway.generate"),
            &obj(json!({"prompt":"cat","duration":5,"quality":"1080p","aspectRatio":"16:9"})),
        );
        assert!(ok.is_empty(), "{ok:?}");
    }

    #[test]
    fn types_enums_and_rules() {
        let p = validate(
            ep("veo.generate"),
            &obj(json!({"prompt":"x","duration":"8","seeds":5})),
        );
        assert!(
            p.iter()
                .any(|m| m.starts_with("duration: expected integer")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.starts_with("seeds: 5 is below")),
            "{p:?}"
        );
        let p = validate(
            ep("suno.generate"),
            &obj(json!({"customMode":true,"instrumental":true,"model":"V4"})),
        );
        assert!(
            p.contains(&"Please enter callBackUrl.".to_string()),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.starts_with("style is required")),
            "{p:?}"
        );
        let p = validate(ep("gpt4o_image.generate"), &obj(json!({"size":"1:1"})));
        assert!(
            p.iter()
                .any(|m| m.starts_with("one of prompt, filesUrl, fileUrl")),
            "{p:?}"
        );
    }

    #[test]
    fn prices_follow_the_table() {
        let (f, e) = FAMILIES.endpoint("veo.generate").unwrap();
        assert_eq!(price(f, e, &obj(json!({"prompt":"x"})), 1), Some(60.0));
        assert_eq!(
            price(f, e, &obj(json!({"model":"veo3","resolution":"1080p"})), 1),
            Some(255.0)
        );
        let (f, e) = FAMILIES.endpoint("suno.vocal_removal").unwrap();
        assert_eq!(
            price(f, e, &obj(json!({"type":"split_stem"})), 12),
            Some(50.0)
        );
        let (f, e) = FAMILIES.endpoint("gpt4o_image.generate").unwrap();
        assert_eq!(price(f, e, &obj(json!({"nVariants":4})), 4), Some(24.0));
        let (f, e) = FAMILIES.endpoint("mj.generate").unwrap();
        assert_eq!(
            price(f, e, &obj(json!({})), 4),
            None,
            "Kie documents no MJ price"
        );
    }
}
