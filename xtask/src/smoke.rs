//! The model smoke run, written by `cargo xtask audit-model-coverage` and checked by
//! `cargo xtask verify`: every registry model's default input (schema defaults plus sample values
//! for required parameters, with real tiny files uploaded for required uploads) goes through the
//! real Kie client to an in-process Kie simulator over HTTP — uploads, createTask, one
//! recordInfo, downloads — and the result files are sniffed against the model's declared output.
//!
//! The simulator validates inputs against Kie's documentation, never against our registry, so a
//! rejection here is a drift between the registry and Kie that production would hit.
//!
//! This module must never talk to the real Kie (the client only ever points at the simulator it
//! started), and its artifacts must never carry anything that changes between runs (timings,
//! task ids, ports), so `verify` can compare them byte for byte.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, Result};
use catalog::{Model, OutputKind, ParamKind};
use kie_client::{ApiKey, CreateTask, KieClient, KieConfig, TaskOutput, TaskState};
use kie_sim::{KieSim, SimConfig};
use serde::Serialize;
use serde_json::{Map, Value, json};
use url::Url;

use crate::artifacts::Artifact;

/// How much faster than Kie the simulator (and the client's limits) run. At 50, Kie's
/// 20-creates-per-10-s limit becomes 20 per 0.2 s and a task's ~1.5 s takes ~30 ms, so the whole
/// catalog runs in a few seconds of real time.
const TIME_SCALE: u32 = 50;

/// The host the simulator names in every URL it hands out. A fixed name (rather than the
/// ephemeral port it binds) keeps URLs quoted in its error messages identical between runs; the
/// run sends requests to the bound address instead (see [`Local`]).
const PUBLIC_BASE: &str = "http://kie-sim.smoke/";

/// The text given to every required text parameter (trimmed or repeated to fit its limits). No
/// `[sim:...]` marker: every accepted task must succeed.
const SAMPLE_TEXT: &str = "A red fox sitting in a snowy forest at sunrise, soft cinematic light";

/// Real time a task may take before the run gives up on it (tasks end in ~30 ms at
/// [`TIME_SCALE`]; this only bounds a hung run).
const TASK_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest result file read back (the simulator's are a few kilobytes).
const MAX_DOWNLOAD: u64 = 16 * 1024 * 1024;

/// Requests to Kie one model's smoke run made, counted by the run itself (so the figures are
/// deterministic) and cross-checked against the simulator's own counters.
#[derive(Serialize, Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct KieCalls {
    pub uploads: u64,
    pub create_task: u64,
    pub record_info: u64,
    pub downloads: u64,
}

impl KieCalls {
    fn add(&mut self, o: &KieCalls) {
        self.uploads += o.uploads;
        self.create_task += o.create_task;
        self.record_info += o.record_info;
        self.downloads += o.downloads;
    }
}

/// One model's smoke result.
#[derive(Serialize, Debug)]
pub struct SmokeRow {
    pub model: String,
    pub enabled: bool,
    pub category: &'static str,
    /// What the registry says a success returns.
    pub output: OutputKind,
    /// Kie (the simulator) accepted the createTask.
    pub accepted: bool,
    /// Why the run failed: the simulator's message (naming the field), our own validation's, or
    /// what went wrong after acceptance. `None` when everything passed.
    pub error: Option<String>,
    /// What the result files are, by their bytes: png, jpeg, webp, mp4, mp3, text.
    pub result_kind: Option<&'static str>,
    pub result_matches_output: bool,
    pub kie_calls: KieCalls,
    /// The keys of the `input` sent (or that would have been sent), sorted.
    pub input_fields: Vec<String>,
}

impl SmokeRow {
    /// Kie refused this model's default input, or answered it with the wrong kind of result.
    pub fn fails(&self) -> bool {
        !self.accepted || !self.result_matches_output
    }
}

/// The smoke audit: artifacts, a summary line, and failures of its own arithmetic or of the
/// run's consistency (both mean the artifacts cannot be trusted).
pub struct SmokeAudit {
    pub artifacts: Vec<Artifact>,
    pub rows: Vec<SmokeRow>,
    pub summary: String,
    pub problems: Vec<String>,
}

impl SmokeAudit {
    /// Enabled models that were rejected or returned the wrong kind of result, with the reason.
    pub fn enabled_failures(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.enabled && r.fails())
            .map(|r| {
                format!(
                    "{}: {}",
                    r.model,
                    r.error
                        .as_deref()
                        .unwrap_or("result does not match the output")
                )
            })
            .collect()
    }
}

/// What the run observed beside the rows, for the consistency checks.
struct RunTotals {
    sim: kie_sim::SimStats,
    client_retries: u64,
    client_rate_limited: u64,
}

/// A model the smoke run did not send, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// The model id.
    pub model: String,
    /// Its API (`market` or the family).
    pub api: String,
    /// The registry's reason for withholding it.
    pub reason: String,
}

/// Runs every model the registry offers through the simulator (on a runtime of its own) and
/// builds the artifacts. Models the registry withholds (`enabled: false`, e.g. Kie family models
/// not wired into the pipeline yet) are not sent: they are listed as skipped.
pub fn smoke_audit(c: &catalog::Catalog) -> Result<SmokeAudit> {
    let mut models: Vec<&Model> = c.models().iter().filter(|m| m.enabled).collect();
    models.sort_by(|a, b| a.id.cmp(&b.id));
    let mut skipped: Vec<Skipped> = c
        .models()
        .iter()
        .filter(|m| !m.enabled)
        .map(|m| Skipped {
            model: m.id.clone(),
            api: m.api.as_str().to_string(),
            reason: m.disabled_reason.clone().unwrap_or_default(),
        })
        .collect();
    skipped.sort_by(|a, b| a.model.cmp(&b.model));
    let (rows, totals) = run(&models)?;
    Ok(build(rows, skipped, &totals))
}

/// The smoke run of `models`, in the given order, on a fresh runtime and simulator.
fn run(models: &[&Model]) -> Result<(Vec<SmokeRow>, RunTotals)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the smoke run's runtime")?;
    rt.block_on(run_async(models))
}

async fn run_async(models: &[&Model]) -> Result<(Vec<SmokeRow>, RunTotals)> {
    let sim = KieSim::start(SimConfig {
        time_scale: f64::from(TIME_SCALE),
        public_url: Some(Url::parse(PUBLIC_BASE).expect("constant URL")),
        // Enough for every task: running out would turn a registry check into a 402.
        credits: 1_000_000.0,
        ..SimConfig::default()
    })
    .await
    .context("starting the Kie simulator")?;
    let local = Local {
        base: Url::parse(&format!("http://{}/", sim.addr())).context("simulator address")?,
    };
    let client = KieClient::new(
        KieConfig::new(ApiKey::new(sim.config().api_key.clone()))
            .with_base(local.base.clone())
            .with_time_scale(TIME_SCALE),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rows = Vec::with_capacity(models.len());
    // One model at a time: each row's counts are then its own, and the order of requests (hence
    // the simulator's seeded ids) is the same on every run.
    for m in models {
        rows.push(smoke_one(&client, &sim, &local, m).await);
    }
    let [_, _, _, rate_limited, retries] = client.stats().snapshot();
    let totals = RunTotals {
        sim: sim.stats(),
        client_retries: retries,
        client_rate_limited: rate_limited,
    };
    sim.shutdown().await;
    Ok((rows, totals))
}

/// Maps the simulator's public URLs (see [`PUBLIC_BASE`]) onto the address it really listens on.
struct Local {
    base: Url,
}

impl Local {
    fn url(&self, public: &Url) -> Url {
        match public.as_str().strip_prefix(PUBLIC_BASE) {
            Some(rest) => self.base.join(rest).unwrap_or_else(|_| public.clone()),
            None => public.clone(),
        }
    }
}

async fn smoke_one(client: &KieClient, sim: &KieSim, local: &Local, m: &Model) -> SmokeRow {
    let mut row = SmokeRow {
        model: m.id.clone(),
        enabled: m.enabled,
        category: m.category.as_str(),
        output: m.output,
        accepted: false,
        error: None,
        result_kind: None,
        result_matches_output: false,
        kie_calls: KieCalls::default(),
        input_fields: Vec::new(),
    };
    let input = match default_input(client, m, &mut row.kie_calls).await {
        Ok(input) => input,
        Err((fields, e)) => {
            row.input_fields = fields;
            row.error = Some(e);
            return row;
        }
    };
    row.input_fields = input.keys().cloned().collect();
    row.input_fields.sort();

    row.kie_calls.create_task += 1;
    let created = client
        .create_task(&CreateTask {
            model: m.id.clone(),
            input,
            callback_url: None,
        })
        .await;
    let task = match created {
        Ok(t) => t,
        Err(e) if e.code == Some(422) => {
            row.error = Some(e.message);
            return row;
        }
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    row.accepted = true;
    // Waiting on the simulator (not polling) makes the number of status queries exactly one.
    if sim
        .wait_terminal(&task.task_id, TASK_TIMEOUT)
        .await
        .is_none()
    {
        row.error = Some(format!(
            "task did not finish within {TASK_TIMEOUT:?} (real time)"
        ));
        return row;
    }
    row.kie_calls.record_info += 1;
    let record = match client.record_info(&task.task_id).await {
        Ok(r) => r,
        Err(e) => {
            row.error = Some(e.to_string());
            return row;
        }
    };
    match (&record.state, record.output) {
        (TaskState::Success, Some(TaskOutput::Urls(urls))) => {
            let mut kinds = Vec::new();
            for u in &urls {
                row.kie_calls.downloads += 1;
                match client.download(&local.url(u), MAX_DOWNLOAD).await {
                    Ok(d) => kinds.push(d.bytes.as_deref().and_then(sniff)),
                    Err(e) => {
                        row.error = Some(format!("downloading a result: {e}"));
                        return row;
                    }
                }
            }
            row.result_kind = match kinds.split_first() {
                Some((first, rest)) if rest.iter().all(|k| k == first) => *first,
                Some(_) => Some("mixed"),
                None => None,
            };
        }
        (TaskState::Success, Some(TaskOutput::Object(v))) => {
            row.result_kind = v
                .get("text")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty())
                .map(|_| "text");
        }
        (state, _) => {
            row.error = Some(format!(
                "task ended {state:?}: {} {}",
                record.fail_code.unwrap_or_default(),
                record.fail_msg.unwrap_or_default()
            ));
            return row;
        }
    }
    row.result_matches_output = row.result_kind.is_some_and(|k| matches_output(k, m.output));
    if !row.result_matches_output {
        row.error = Some(format!(
            "the result is {}, the registry promises {}",
            row.result_kind.unwrap_or("unreadable"),
            output_name(m.output)
        ));
    }
    row
}

/// The default input a user gets by pressing "go" at once: schema defaults, plus sample values
/// for required parameters without one (and real files uploaded for required uploads), through
/// our own validation and the registry's fixed inputs. `Err` carries the fields tried and our
/// validation's (or the upload's) complaint.
async fn default_input(
    client: &KieClient,
    m: &Model,
    calls: &mut KieCalls,
) -> Result<Map<String, Value>, (Vec<String>, String)> {
    let props = m.input_schema().get("properties");
    let has_default = |name: &str| {
        props
            .and_then(|p| p.get(name))
            .is_some_and(|s| s.get("default").is_some())
    };
    let mut given = Map::new();
    for p in m
        .params
        .iter()
        .filter(|p| p.required && !has_default(&p.name))
    {
        let value = match &p.kind {
            ParamKind::Text {
                min_len, max_len, ..
            } => Value::String(sample_text(*min_len, *max_len)),
            ParamKind::Choice { values, .. } => values.first().cloned().unwrap_or(Value::Null),
            ParamKind::Toggle { .. } => Value::Bool(false),
            ParamKind::Integer { min, .. } => json!(min),
            // Through the decimal's text, so 0.1 stays 0.1 rather than a binary approximation.
            ParamKind::Number { min, .. } => min
                .normalize()
                .to_string()
                .parse::<serde_json::Number>()
                .map(Value::Number)
                .unwrap_or(Value::Null),
            ParamKind::Dialogue {
                max_line_len,
                voices,
                ..
            } => json!([{
                "text": sample_text(1, *max_line_len),
                "voice": voices.first().cloned().unwrap_or_default(),
            }]),
            ParamKind::Upload {
                media,
                multiple,
                min_items,
                ..
            } => {
                let n = if *multiple { (*min_items).max(1) } else { 1 };
                let mut urls = Vec::new();
                for i in 0..n {
                    calls.uploads += 1;
                    let url = upload(client, m, &p.name, i, *media)
                        .await
                        .map_err(|e| (sorted_keys(&given), e))?;
                    urls.push(Value::String(url.to_string()));
                }
                if *multiple {
                    Value::Array(urls)
                } else {
                    urls.pop().unwrap_or(Value::Null)
                }
            }
        };
        given.insert(p.name.clone(), value);
    }
    match m.validate(&given) {
        Ok(v) => Ok(m.kie_input(&v)),
        Err(errors) => {
            let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Err((
                sorted_keys(&given),
                format!("our validation: {}", msgs.join("; ")),
            ))
        }
    }
}

fn sorted_keys(m: &Map<String, Value>) -> Vec<String> {
    let mut k: Vec<String> = m.keys().cloned().collect();
    k.sort();
    k
}

/// [`SAMPLE_TEXT`] cut to `max` characters, or repeated to reach `min`.
fn sample_text(min: u64, max: u64) -> String {
    let (min, max) = (min as usize, (max as usize).max(1));
    let mut s = SAMPLE_TEXT.to_string();
    while s.chars().count() < min {
        s.push(' ');
        s.push_str(SAMPLE_TEXT);
    }
    let cut: String = s.chars().take(max).collect();
    // No trailing space where the cut fell on one, unless that would make it too short.
    match cut.trim_end() {
        t if t.chars().count() >= min => t.to_string(),
        _ => cut,
    }
}

/// Uploads a tiny real file of the right kind (the simulator's own result files, which are valid
/// PNG / MP4 / MP3) and returns the URL to put into the input.
async fn upload(
    client: &KieClient,
    m: &Model,
    param: &str,
    i: u64,
    media: catalog::MediaKind,
) -> Result<Url, String> {
    let kind = match media {
        catalog::MediaKind::Image => kie_sim::MediaKind::Png,
        catalog::MediaKind::Video => kie_sim::MediaKind::Mp4,
        catalog::MediaKind::Audio => kie_sim::MediaKind::Mp3,
    };
    let ext = kind.extension().expect("file kinds have an extension");
    let path = format!("smoke/{}", m.id.replace('/', "__"));
    client
        .upload(
            kind.bytes(),
            &format!("{param}-{i}.{ext}"),
            kind.content_type(),
            &path,
        )
        .await
        .map(|u| u.download_url)
        .map_err(|e| format!("uploading a sample for {param}: {e}"))
}

/// What a file is, by its first bytes.
fn sniff(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some("webp")
    } else if b.len() >= 8 && &b[4..8] == b"ftyp" {
        Some("mp4")
    } else if b.starts_with(b"ID3") || (b.len() >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0) {
        // An ID3 tag, or an MPEG audio frame sync (11 set bits).
        Some("mp3")
    } else {
        None
    }
}

fn matches_output(kind: &str, output: OutputKind) -> bool {
    match output {
        OutputKind::Image => matches!(kind, "png" | "jpeg" | "webp"),
        OutputKind::Video => kind == "mp4",
        OutputKind::Audio => kind == "mp3",
        OutputKind::Text => kind == "text",
    }
}

fn output_name(o: OutputKind) -> &'static str {
    match o {
        OutputKind::Image => "image",
        OutputKind::Video => "video",
        OutputKind::Audio => "audio",
        OutputKind::Text => "text",
    }
}

fn build(rows: Vec<SmokeRow>, skipped: Vec<Skipped>, totals: &RunTotals) -> SmokeAudit {
    let mut problems = Vec::new();
    let total = rows.len();
    let enabled = rows.iter().filter(|r| r.enabled).count();
    let accepted = rows.iter().filter(|r| r.accepted).count();
    let rejected = rows.iter().filter(|r| !r.accepted).count();
    let mismatches = rows
        .iter()
        .filter(|r| r.accepted && !r.result_matches_output)
        .count();
    let enabled_failures = rows.iter().filter(|r| r.enabled && r.fails()).count();
    let passed = rows.iter().filter(|r| !r.fails()).count();
    let mut calls = KieCalls::default();
    for r in &rows {
        calls.add(&r.kie_calls);
    }
    // The summary's arithmetic, checked rather than trusted.
    if accepted + rejected != total {
        problems.push(format!(
            "accepted {accepted} + rejected {rejected} != total {total}"
        ));
    }
    if passed + rejected + mismatches != total {
        problems.push(format!(
            "passed {passed} + rejected {rejected} + mismatched {mismatches} != total {total}"
        ));
    }
    if rows.windows(2).any(|w| w[0].model >= w[1].model) {
        problems.push("rows are not sorted by unique model id".into());
    }
    for r in &rows {
        let c = &r.kie_calls;
        if c.create_task > 1
            || c.record_info > u64::from(r.accepted)
            || (r.accepted && c.create_task != 1)
            || (c.downloads > 0 && c.record_info != 1)
        {
            problems.push(format!(
                "{}: calls {:?} do not fit the outcome",
                r.model, r.kie_calls
            ));
        }
        if r.fails() == r.error.is_none() {
            problems.push(format!(
                "{}: an error must be given exactly when it fails",
                r.model
            ));
        }
    }
    // The run's own counts against what the simulator saw: a difference means retries or
    // requests we did not count, and then the figures would not repeat.
    let s = &totals.sim;
    let sim_creates = s.creates_accepted
        + s.creates_rejected_400
        + s.creates_rejected_401
        + s.creates_rejected_402
        + s.creates_rejected_422
        + s.creates_rejected_429;
    for (what, ours, theirs) in [
        ("uploads", calls.uploads, s.uploads),
        ("createTask", calls.create_task, sim_creates),
        ("accepted creates", accepted as u64, s.creates_accepted),
        ("recordInfo", calls.record_info, s.record_infos),
        ("downloads", calls.downloads, s.downloads),
    ] {
        if ours != theirs {
            problems.push(format!(
                "{what}: the run counted {ours}, the simulator saw {theirs}"
            ));
        }
    }
    if totals.client_retries
        + totals.client_rate_limited
        + s.creates_rejected_429
        + s.status_rejected_429
        > 0
    {
        problems.push(format!(
            "the client retried {} time(s) and met {} rate limit(s) (simulator: {} create, {} status): the counts would not repeat",
            totals.client_retries,
            totals.client_rate_limited,
            s.creates_rejected_429,
            s.status_rejected_429
        ));
    }

    let mut summary = format!("smoke: {accepted} of {total} models accepted");
    if !skipped.is_empty() {
        let _ = write!(
            summary,
            "; {} withheld by the registry skipped (not sent)",
            skipped.len()
        );
    }
    let json = json!({
        "run": {
            "client": "kie-client (the production client)",
            "server": "kie-sim in-process over HTTP, validating against Kie's documented inputs (crates/kie-sim/data/kie-api-inputs.json)",
            "time_scale": TIME_SCALE,
            "input": "schema defaults, plus sample values for required parameters without one; required uploads are tiny real files uploaded through the client",
        },
        "summary": {
            "total": total,
            "enabled": enabled,
            "accepted": accepted,
            "rejected": rejected,
            "result_mismatches": mismatches,
            "passed": passed,
            "enabled_failures": enabled_failures,
            "kie_calls": calls,
            "skipped_withheld": skipped.len(),
        },
        "models": rows,
        "skipped": {
            "why": "withheld by the registry (enabled: false): not sent to the simulator, not counted in total",
            "models": skipped,
        },
    });
    let mut csv = String::from(
        "model,enabled,output,accepted,result_kind,uploads,create_task,record_info,downloads,error\n",
    );
    for r in &rows {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.model),
            r.enabled,
            output_name(r.output),
            r.accepted,
            r.result_kind.unwrap_or(""),
            r.kie_calls.uploads,
            r.kie_calls.create_task,
            r.kie_calls.record_info,
            r.kie_calls.downloads,
            csv_field(r.error.as_deref().unwrap_or(""))
        );
    }
    SmokeAudit {
        artifacts: vec![
            Artifact {
                name: "model_smoke_results.json",
                content: crate::artifacts::pretty(&json),
            },
            Artifact {
                name: "model_smoke_matrix.csv",
                content: csv,
            },
        ],
        rows,
        summary,
        problems,
    }
}

/// RFC 4180: quoted when it holds a comma, quote or line break, with quotes doubled.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A registry file, edited by `edit`, loaded as a one-model catalog.
    fn model_from(file: &str, edit: impl FnOnce(&mut Value)) -> catalog::Catalog {
        let path = crate::project::registry_dir().join("models").join(file);
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        edit(&mut v);
        catalog::Catalog::from_files([(file.to_string(), v.to_string())])
            .unwrap_or_else(|e| panic!("the edited copy must still load: {e}"))
    }

    #[test]
    fn a_registry_drift_is_rejected_with_the_field_named() {
        let file = "kling__v2-1-master-text-to-video.json";
        let good = model_from(file, |_| {});
        // The deliberate drift: an enum whose values have the wrong JSON type for Kie (numbers
        // where Kie documents strings), still a valid registry file.
        let broken = model_from(file, |v| {
            let ar = &mut v["input_schema"]["properties"]["aspect_ratio"];
            ar["type"] = json!("integer");
            ar["enum"] = json!([1, 2]);
            ar["default"] = json!(1);
        });
        // Two runs: one run's rows must have unique ids, and both copies share the real id.
        let audit = |c: &catalog::Catalog| {
            let (rows, totals) = run(&[&c.models()[0]]).unwrap();
            let audit = build(rows, Vec::new(), &totals);
            assert!(audit.problems.is_empty(), "{:?}", audit.problems);
            audit
        };
        let (good, broken) = (audit(&good), audit(&broken));
        let (ok, bad) = (&good.rows[0], &broken.rows[0]);
        assert!(ok.accepted && ok.result_matches_output, "{ok:?}");
        assert_eq!(ok.result_kind, Some("mp4"));
        assert_eq!(
            ok.kie_calls,
            KieCalls {
                uploads: 0,
                create_task: 1,
                record_info: 1,
                downloads: 1
            }
        );
        assert!(!bad.accepted && bad.fails(), "{bad:?}");
        assert_eq!(
            bad.error.as_deref(),
            Some("input.aspect_ratio: expected string, got number 1")
        );
        assert_eq!(bad.kie_calls.record_info, 0);
        assert_eq!(
            broken.enabled_failures(),
            vec![
                "kling/v2-1-master-text-to-video: input.aspect_ratio: expected string, got number 1"
            ]
        );
        assert!(good.enabled_failures().is_empty());
        assert!(broken.artifacts[1].content.contains(
            ",video,false,,0,1,0,0,\"input.aspect_ratio: expected string, got number 1\"\n"
        ));
    }

    #[test]
    fn uploads_are_real_files_and_sniffed() {
        // A required image upload: the sample goes up through the client, its URL into the input.
        let c = model_from("google__nano-banana-edit.json", |_| {});
        let (rows, totals) = run(&[&c.models()[0]]).unwrap();
        let audit = build(rows, Vec::new(), &totals);
        assert!(audit.problems.is_empty(), "{:?}", audit.problems);
        let r = &audit.rows[0];
        assert!(r.accepted && !r.fails(), "{r:?}");
        assert_eq!(r.kie_calls.uploads, 1);
        assert!(r.input_fields.contains(&"image_urls".to_string()));
        assert_eq!(sniff(kie_sim::MediaKind::Mp3.bytes()), Some("mp3"));
        assert_eq!(sniff(kie_sim::MediaKind::Mp4.bytes()), Some("mp4"));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn sample_text_fits_its_limits() {
        assert_eq!(sample_text(0, 5), "A red");
        assert!(sample_text(200, 5000).chars().count() >= 200);
        assert_eq!(csv_field("a, \"b\""), "\"a, \"\"b\"\"\"");
    }
}
