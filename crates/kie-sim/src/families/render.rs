//! Each family's own status (`record-info`) data and callback bodies: field names, casing,
//! status encodings, result shapes and counts as `kie-api-families.json` documents them.
//!
//! Like the rest of [`crate::families`], it must never consult our registry; shapes come only
//! from Kie's documentation.

use std::time::{Instant, SystemTime};

use serde_json::{Value, json};

use super::{FAMILIES, FamilyTask};
use crate::state::{Task, unix_ms};

/// The stems of a Suno `split_stem` separation, in the documented order.
pub(crate) const STEMS: [&str; 12] = [
    "vocal",
    "backing_vocals",
    "drums",
    "bass",
    "guitar",
    "keyboard",
    "percussion",
    "strings",
    "synth",
    "fx",
    "brass",
    "woodwinds",
];

/// A 32-hex string formatted as a UUID.
pub(crate) fn uuid(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The UUID-like `id` (Suno audioId, Runway videoId) of result `k` of task `task_id`.
pub(crate) fn track_id(task_id: &str, k: usize) -> String {
    let hex: String = task_id.chars().filter(char::is_ascii_hexdigit).collect();
    let hex = format!("{hex:0<31}");
    uuid(&format!("{}{:x}", &hex[..31], k % 16))
}

/// Where a task is, in the family's terms.
enum Stage {
    /// Pending sub-stage: 0 waiting, 1 queuing, 2 first half of generating, 3 second half.
    Pending(usize),
    Success,
    Fail {
        code: i64,
        msg: String,
    },
}

fn stage(task: &Task, now: Instant) -> Stage {
    if let Some(e) = &task.ending {
        return if e.success {
            Stage::Success
        } else {
            Stage::Fail {
                code: e.fail_code.parse().unwrap_or(501),
                msg: e.fail_msg.clone(),
            }
        };
    }
    let p = &task.plan;
    if now < p.waiting_end {
        Stage::Pending(0)
    } else if now < p.queuing_end {
        Stage::Pending(1)
    } else {
        match p.done {
            Some(d) if now >= p.queuing_end + (d - p.queuing_end) / 2 => Stage::Pending(3),
            _ => Stage::Pending(2),
        }
    }
}

/// The status value for `stage` from the documented `values` (see the module docs of
/// [`crate::families`]).
fn status_value(values: &[Value], stage: &Stage, suno_music: bool) -> Value {
    let by = |pred: &dyn Fn(&str) -> bool| -> Vec<&Value> {
        values
            .iter()
            .filter(|v| pred(v.get("outcome").and_then(Value::as_str).unwrap_or("")))
            .collect()
    };
    let val = |v: &Value| v.get("value").cloned().unwrap_or(Value::Null);
    match stage {
        Stage::Pending(k) => {
            let p = by(&|o| o.starts_with("pending"));
            let idx = match p.len() {
                0 => return Value::Null,
                1 => 0,
                2 => [0, 0, 1, 1][*k],
                3 if suno_music => [0, 0, 1, 2][*k],
                n => (*k).min(2).min(n - 1),
            };
            val(p[idx])
        }
        Stage::Success => by(&|o| o == "success")
            .first()
            .map_or(Value::Null, |v| val(v)),
        Stage::Fail { code, .. } => {
            let fails = by(&|o| o.starts_with("failure"));
            let text = |v: &Value| format!("{} {}", v["value"], v["meaning"]).to_lowercase();
            let policy = matches!(code, 400 | 413 | 422);
            let pick = fails
                .iter()
                .find(|v| policy && text(v).contains("sensitive"))
                .or_else(|| {
                    fails
                        .iter()
                        .find(|v| *code == 501 && text(v).contains("generat"))
                })
                .or(fails.first())
                .map(|v| val(v));
            pick.unwrap_or_else(|| {
                by(&|o| o == "pending_or_failure")
                    .first()
                    .map_or(Value::Null, |v| val(v))
            })
        }
    }
}

fn status_values(f: &FamilyTask) -> Vec<Value> {
    let (fam, ep) = FAMILIES
        .endpoint(&f.status_endpoint)
        .expect("status endpoint documented");
    let doc = ep.status.as_ref().unwrap_or(&fam.status);
    doc.get("values")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn dt(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn iso(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn cover(task: &Task, base: &str, k: usize) -> String {
    format!("{base}/files/r/{}_c{k}.png", task.id)
}

fn str_of(f: &FamilyTask, k: &str) -> String {
    f.value(k)
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A Suno track; `snake` for callbacks. `ready`: its audio is finished.
fn suno_track(task: &Task, base: &str, k: usize, ready: bool, snake: bool) -> Value {
    let f = task.family.as_ref().expect("family task");
    let url = task.result_urls(base).get(k).cloned().unwrap_or_default();
    let model = str_of(f, "model").to_lowercase().replace('_', "-");
    let (audio, stream, image, model_name) = if snake {
        ("audio_url", "stream_audio_url", "image_url", "model_name")
    } else {
        ("audioUrl", "streamAudioUrl", "imageUrl", "modelName")
    };
    let mut title = str_of(f, "title");
    if title.is_empty() {
        title = "Simulated track".into();
    }
    json!({
        "id": track_id(&task.id, k),
        audio: if ready { url.clone() } else { String::new() },
        stream: url,
        image: cover(task, base, k),
        "prompt": str_of(f, "prompt"),
        model_name: format!("chirp-{model}"),
        "title": title,
        "tags": str_of(f, "style"),
        "createTime": dt(task.created_wall),
        "duration": 120.0 + k as f64,
    })
}

fn complete_time(task: &Task, fmt: fn(SystemTime) -> String) -> Value {
    task.ending
        .as_ref()
        .map_or(Value::Null, |e| fmt(task.wall(e.at)).into())
}

fn complete_ms(task: &Task) -> Value {
    task.ending
        .as_ref()
        .map_or(Value::Null, |e| unix_ms(task.wall(e.at)).into())
}

/// `errorCode` / `errorMessage` as the integer-coded families report them.
fn error_fields(stage: &Stage, none_code: Value, none_msg: Value) -> (Value, Value) {
    match stage {
        Stage::Fail { code, msg } => ((*code).into(), msg.clone().into()),
        _ => (none_code, none_msg),
    }
}

/// The `data` of the family's status endpoint for `task`.
pub(crate) fn status_data(task: &Task, now: Instant, base: &str) -> Value {
    let f = task.family.as_ref().expect("family task");
    let st = stage(task, now);
    let success = matches!(st, Stage::Success);
    let suno_music = f.status_endpoint == "suno.record_info";
    let flag = status_value(&status_values(f), &st, suno_music);
    let urls = task.result_urls(base);
    let param = task.param.clone();
    match f.family.as_str() {
        "veo3" => {
            let (code, msg) = error_fields(&st, Value::Null, "".into());
            let four_k = f.endpoint == "veo.get_4k";
            let mut response = json!({"taskId": task.id, "resultUrls": urls});
            if four_k {
                response["imageUrls"] = json!([cover(task, base, 0)]);
                response["resolution"] = "4k".into();
            } else {
                response["fullResultUrls"] = json!(urls);
                let ratio = str_of(f, "aspectRatio");
                if !ratio.is_empty() && ratio != "16:9" {
                    response["originUrls"] = json!(urls);
                }
                let res = str_of(f, "resolution");
                response["resolution"] = if res.is_empty() { "720p".into() } else { res }.into();
            }
            let mut data = json!({
                "taskId": task.id, "paramJson": param,
                "completeTime": complete_time(task, dt),
                "response": if success { response } else { Value::Null },
                "successFlag": flag, "errorCode": code, "errorMessage": msg,
                "createTime": dt(task.created_wall),
            });
            if !four_k {
                data["fallbackFlag"] = false.into();
            }
            data
        }
        "suno" => suno_status(task, f, &st, flag, base, now),
        "midjourney" => {
            let (code, msg) = error_fields(&st, Value::Null, Value::Null);
            let task_type = match f.endpoint.as_str() {
                "mj.upscale" => "mj_upscale".to_owned(),
                "mj.vary" => "mj_vary".to_owned(),
                "mj.video_extend" => "mj_video_extend".to_owned(),
                _ => str_of(f, "taskType"),
            };
            let items: Vec<Value> = if success {
                urls.iter().map(|u| json!({"resultUrl": u})).collect()
            } else {
                Vec::new()
            };
            json!({
                "taskId": task.id, "taskType": task_type, "paramJson": param,
                "completeTime": complete_time(task, iso),
                "resultInfoJson": {"resultUrls": items},
                "successFlag": flag, "createTime": iso(task.created_wall),
                "errorCode": code, "errorMessage": msg,
            })
        }
        "runway" => {
            let (code, msg) = error_fields(&st, Value::Null, "".into());
            let mut generate_param = Value::Object(f.body.clone());
            if let Some(m) = generate_param.as_object_mut() {
                m.remove("callBackUrl");
            }
            json!({
                "taskId": task.id, "parentTaskId": f.parent.clone().unwrap_or_default(),
                "generateParam": generate_param, "state": flag,
                "generateTime": dt(task.created_wall),
                "videoInfo": if success { json!({
                    "videoId": track_id(&task.id, 0), "taskId": task.id,
                    "videoUrl": urls.first(), "imageUrl": cover(task, base, 0),
                }) } else { Value::Null },
                "failCode": code, "failMsg": msg, "expireFlag": 0,
            })
        }
        "runway_aleph" => {
            let (code, msg) = error_fields(&st, 0.into(), "".into());
            json!({
                "taskId": task.id, "paramJson": param,
                "response": if success { json!({
                    "taskId": task.id, "resultVideoUrl": urls.first(),
                    "resultImageUrl": cover(task, base, 0),
                }) } else { Value::Null },
                "completeTime": complete_time(task, iso), "createTime": iso(task.created_wall),
                "successFlag": flag, "errorCode": code, "errorMessage": msg,
            })
        }
        "flux_kontext" => {
            let (code, msg) = error_fields(&st, Value::Null, "".into());
            json!({
                "taskId": task.id, "paramJson": param,
                "completeTime": complete_time(task, iso),
                "response": if success { json!({
                    "originImageUrl": str_of(f, "inputImage"), "resultImageUrl": urls.first(),
                }) } else { Value::Null },
                "successFlag": flag, "errorCode": code, "errorMessage": msg,
                "createTime": iso(task.created_wall),
            })
        }
        _ => {
            // gpt4o_image: `status` strings plus the integer `successFlag` and `progress`.
            let (code, msg) = error_fields(&st, Value::Null, "".into());
            let fam = FAMILIES.endpoint(&f.status_endpoint).expect("documented").0;
            let flags = fam
                .status
                .get("successFlag")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let progress = match (&st, task.plan.done) {
                (Stage::Success, _) => 1.0,
                (Stage::Pending(_), Some(d)) => {
                    let total = (d - task.plan.created).as_secs_f64().max(1e-9);
                    ((now - task.plan.created).as_secs_f64() / total).clamp(0.0, 0.99)
                }
                _ => 0.0,
            };
            json!({
                "taskId": task.id, "paramJson": param,
                "completeTime": complete_ms(task),
                "response": if success { json!({"resultUrls": urls}) } else { Value::Null },
                "successFlag": status_value(&flags, &st, false), "status": flag,
                "errorCode": code, "errorMessage": msg,
                "createTime": unix_ms(task.created_wall),
                "progress": format!("{progress:.2}"),
            })
        }
    }
}

/// `type` of a Suno music record: the endpoint in upper snake case (`GENERATE`, `EXTEND`,
/// `UPLOAD_COVER`, …; only `GENERATE` is in Kie's example).
fn suno_type(endpoint: &str) -> String {
    endpoint.trim_start_matches("suno.").to_uppercase()
}

fn suno_status(
    task: &Task,
    f: &FamilyTask,
    st: &Stage,
    flag: Value,
    base: &str,
    _now: Instant,
) -> Value {
    let success = matches!(st, Stage::Success);
    let urls = task.result_urls(base);
    let (code, msg) = error_fields(st, Value::Null, Value::Null);
    let music_id = str_of(f, "audioId");
    match f.endpoint.as_str() {
        "suno.lyrics" => json!({
            "taskId": task.id, "param": task.param,
            "response": if success { json!({"taskId": task.id, "data": lyrics(task, false)}) }
                else { Value::Null },
            "status": flag, "errorCode": code, "errorMessage": msg,
        }),
        "suno.wav" | "suno.vocal_removal" => {
            let response = if !success {
                Value::Null
            } else if f.endpoint == "suno.wav" {
                json!({"audioWavUrl": urls.first()})
            } else {
                let mut r = serde_json::Map::new();
                r.insert("id".into(), track_id(&task.id, 0).into());
                r.insert("originUrl".into(), "".into());
                for (k, name) in stem_names(task).iter().enumerate() {
                    r.insert(camel(&format!("{name}_url")), urls.get(k).cloned().into());
                }
                Value::Object(r)
            };
            json!({
                "taskId": task.id, "musicId": music_id, "callbackUrl": task.call_back_url,
                "musicIndex": 0, "completeTime": complete_time(task, dt),
                "response": response, "successFlag": flag, "createTime": dt(task.created_wall),
                "errorCode": code, "errorMessage": msg,
            })
        }
        "suno.midi" => json!({
            "taskId": task.id, "audioId": music_id, "callbackUrl": task.call_back_url,
            "completeTime": complete_ms(task), "createTime": unix_ms(task.created_wall),
            "successFlag": flag, "errorCode": code, "errorMessage": msg,
            "midiData": if success { json!({"state": "complete", "instruments": midi()}) }
                else { Value::Null },
        }),
        "suno.cover_generate" => json!({
            "taskId": task.id, "parentTaskId": f.parent.clone().unwrap_or_default(),
            "callbackUrl": task.call_back_url,
            "completeTime": task.ending.as_ref().map(|e| chrono::DateTime::<chrono::Utc>::from(task.wall(e.at))
                .format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            "response": if success { json!({"images": urls}) } else { Value::Null },
            "successFlag": flag,
            "createTime": chrono::DateTime::<chrono::Utc>::from(task.created_wall)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "errorCode": code, "errorMessage": msg,
        }),
        _ => {
            let tracks = match st {
                Stage::Pending(0 | 1) | Stage::Fail { .. } => None,
                Stage::Pending(2) => Some(0),
                Stage::Pending(_) => Some(1),
                Stage::Success => Some(task.result_count),
            };
            let response = tracks.map_or(Value::Null, |ready| {
                let items: Vec<Value> = (0..task.result_count)
                    .map(|k| suno_track(task, base, k, k < ready, false))
                    .collect();
                json!({"taskId": task.id, "sunoData": items})
            });
            json!({
                "taskId": task.id, "parentMusicId": music_id, "param": task.param,
                "response": response, "status": flag, "type": suno_type(&f.endpoint),
                "errorCode": code, "errorMessage": msg,
            })
        }
    }
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn stem_names(task: &Task) -> Vec<&'static str> {
    if task.result_count >= STEMS.len() {
        STEMS.to_vec()
    } else {
        vec!["vocal", "instrumental"]
    }
}

fn lyrics(task: &Task, snake: bool) -> Vec<Value> {
    let f = task.family.as_ref().expect("family task");
    let err = if snake {
        "error_message"
    } else {
        "errorMessage"
    };
    (0..task.result_count)
        .map(|k| {
            json!({
                "text": format!("[Verse]\nSimulated lyrics {k} about {}", str_of(f, "prompt")),
                "title": format!("Simulated lyrics {k}"),
                "status": "complete", err: "",
            })
        })
        .collect()
}

fn midi() -> Value {
    json!([{"name": "Drums", "notes": [{"pitch": 73, "start": 0.036, "end": 0.182, "velocity": 1}]}])
}

fn cb_msg(task: &Task, key: &str, fallback: &str) -> String {
    let f = task.family.as_ref().expect("family task");
    let (fam, ep) = FAMILIES.endpoint(&f.endpoint).expect("documented");
    ep.callback
        .as_deref()
        .and_then(|id| fam.callback(id))
        .and_then(|cb| cb.get(key))
        .and_then(|s| s.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_owned()
}

/// The callbacks for a task that just ended, in delivery order (Suno music: text, first,
/// then complete; everything else: one body).
pub(crate) fn callback_bodies(task: &Task, now: Instant, base: &str) -> Vec<Value> {
    let f = task.family.as_ref().expect("family task");
    let st = stage(task, now);
    let urls = task.result_urls(base);
    let (ok, code, msg) = match &st {
        Stage::Fail { code, msg } => (false, *code, msg.clone()),
        _ => (true, 200, cb_msg(task, "success", "success")),
    };
    let id = task.id.clone();
    let data = match (f.family.as_str(), f.endpoint.as_str()) {
        ("veo3", "veo.get_4k") => {
            if ok {
                json!({"taskId": id, "info": {"resultUrls": urls, "imageUrls": [cover(task, base, 0)]}})
            } else {
                json!({"taskId": id})
            }
        }
        ("veo3", ep) => {
            if ok {
                let r = str_of(f, "resolution");
                let resolution = if r.is_empty() { "720p".to_owned() } else { r };
                let mut info = json!({"resultUrls": urls, "resolution": resolution});
                let ratio = str_of(f, "aspectRatio");
                if !ratio.is_empty() && ratio != "16:9" {
                    info["originUrls"] = json!(urls);
                }
                let mut d = json!({"taskId": id, "info": info, "fallbackFlag": false});
                if ep == "veo.generate" {
                    d["promptJson"] = task.param.clone().into();
                }
                d
            } else {
                json!({"taskId": id, "fallbackFlag": false})
            }
        }
        ("suno", "suno.lyrics") => json!({"callbackType": if ok {"complete"} else {"error"},
            "task_id": id, "data": if ok { Value::from(lyrics(task, true)) } else { Value::Null }}),
        ("suno", "suno.wav") => {
            json!({"audio_wav_url": if ok { urls.first().cloned() } else { None }, "task_id": id})
        }
        ("suno", "suno.vocal_removal") => {
            let info = ok.then(|| {
                let mut m = serde_json::Map::new();
                m.insert("origin_url".into(), "".into());
                for (k, name) in stem_names(task).iter().enumerate() {
                    m.insert(format!("{name}_url"), urls.get(k).cloned().into());
                }
                Value::Object(m)
            });
            json!({"task_id": id, "vocal_removal_info": info})
        }
        ("suno", "suno.midi") => {
            if ok {
                json!({"taskId": id, "state": "complete", "instruments": midi()})
            } else {
                json!({"taskId": id})
            }
        }
        ("suno", "suno.cover_generate") => {
            json!({"taskId": id, "images": if ok { urls.clone() } else { vec![] }})
        }
        ("suno", _) => {
            if !ok {
                let body = json!({"callbackType": "error", "task_id": id, "data": null});
                return vec![json!({"code": code, "msg": msg, "data": body})];
            }
            let stages = suno_stages(task);
            let n = task.result_count;
            return stages
                .into_iter()
                .map(|(kind, smsg)| {
                    let ready = match kind {
                        "text" => 0,
                        "first" => 1.min(n),
                        _ => n,
                    };
                    let items: Vec<Value> = (0..ready)
                        .map(|k| suno_track(task, base, k, true, true))
                        .collect();
                    json!({"code": 200, "msg": smsg,
                        "data": {"callbackType": kind, "task_id": id, "data": items}})
                })
                .collect();
        }
        ("midjourney", _) => json!({"taskId": id, "promptJson": task.param,
            "resultUrls": if ok { urls.clone() } else { vec![] }}),
        ("runway", _) => json!({"task_id": id,
            "video_id": if ok { track_id(&id, 0) } else { String::new() },
            "video_url": if ok { urls.first().cloned().unwrap_or_default() } else { String::new() },
            "image_url": if ok { cover(task, base, 0) } else { String::new() }}),
        ("runway_aleph", _) => {
            // Aleph puts taskId beside data, not inside it.
            let data = if ok {
                json!({"result_video_url": urls.first(), "result_image_url": cover(task, base, 0)})
            } else {
                Value::Null
            };
            return vec![json!({"code": code, "msg": msg, "data": data, "taskId": id})];
        }
        ("flux_kontext", _) => json!({"taskId": id, "info": if ok {
            json!({"originImageUrl": str_of(f, "inputImage"), "resultImageUrl": urls.first()})
        } else { json!({"originImageUrl": "", "resultImageUrl": ""}) }}),
        _ => {
            json!({"taskId": id, "info": if ok { json!({"result_urls": urls}) } else { Value::Null }})
        }
    };
    vec![json!({"code": code, "msg": msg, "data": data})]
}

/// Suno's documented stage callbacks (`callbackType` and `msg`), text → first → complete.
fn suno_stages(task: &Task) -> Vec<(&'static str, String)> {
    let f = task.family.as_ref().expect("family task");
    let (fam, ep) = FAMILIES.endpoint(&f.endpoint).expect("documented");
    let stages = ep
        .callback
        .as_deref()
        .and_then(|id| fam.callback(id))
        .and_then(|cb| cb.get("stages"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    ["text", "first", "complete"]
        .into_iter()
        .map(|kind| {
            let msg = stages
                .iter()
                .find(|s| s.get("callbackType").and_then(Value::as_str) == Some(kind))
                .and_then(|s| s.pointer("/example/msg"))
                .and_then(Value::as_str)
                .unwrap_or("success")
                .to_owned();
            (kind, msg)
        })
        .collect()
}
