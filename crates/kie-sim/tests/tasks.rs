//! createTask and recordInfo over HTTP: auth, validation against Kie's docs, the walk to a
//! terminal state, scripted outcomes, prompt markers, result media and determinism.

mod common;

use std::time::Duration;

use common::*;
use kie_sim::{KieSim, Outcome, SimConfig, TaskState, Timing};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn wrong_key_gets_the_401_envelope_everywhere() {
    let (sim, _) = start(fast_config()).await;
    let bad = Api::new(&sim, "wrong-key");
    let (status, v) = bad.create(nano_banana("cat")).await;
    assert_eq!(status, StatusCode::OK, "Kie answers errors with HTTP 200");
    assert_eq!(
        v,
        json!({"code": 401, "msg": "You do not have access permissions", "data": null})
    );
    let (_, v) = bad.record("x").await;
    assert_eq!(v["code"], 401);
    let (_, v) = bad.get("/api/v1/chat/credit").await;
    assert_eq!(v["code"], 401);
    let r = bad
        .http
        .post(bad.url("/api/v1/jobs/createTask"))
        .json(&nano_banana("no header"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], 401);
    assert!(sim.tasks().is_empty());
    assert_eq!(sim.stats().creates_rejected_401, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn nano_banana_walks_to_success_and_serves_a_real_png() {
    let (sim, api) = start(SimConfig {
        // A long first phase makes the first observation deterministic.
        timing: Timing {
            waiting: Duration::from_secs(3600),
            ..Timing::default()
        },
        ..fast_config()
    })
    .await;
    let body = nano_banana("a red cat");
    let id = api.create_ok(body.clone()).await;

    let data = api.record_data(&id).await;
    assert_eq!(data["taskId"], id.as_str());
    assert_eq!(data["model"], "google/nano-banana");
    assert_eq!(data["state"], "waiting");
    assert_eq!(data["resultJson"], "");
    assert_eq!(data["failCode"], "");
    assert!(data["completeTime"].is_null());
    assert!(
        data["createTime"].as_u64().unwrap() > 1_600_000_000_000,
        "Unix ms"
    );
    assert_eq!(
        inner_json(&data["param"]),
        body,
        "param is the create body as a JSON string"
    );

    assert!(sim.finish_now(&id));
    let data = api.record_data(&id).await;
    assert_eq!(data["state"], "success");
    assert_eq!(data["creditsConsumed"], 4);
    assert!(data["completeTime"].as_u64().unwrap() >= data["createTime"].as_u64().unwrap());
    let result = inner_json(&data["resultJson"]);
    let urls = result["resultUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    let (status, ct, bytes) = api.download(urls[0].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "image/png");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(sim.credits(), 996.0);
    assert_eq!(sim.stats().downloads, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn tasks_finish_on_their_own_without_polling() {
    let (sim, api) = start(fast_config()).await;
    let id = api.create_ok(nano_banana("cat")).await;
    let view = sim.wait_terminal(&id, PATIENCE).await.expect("finishes");
    assert_eq!(view.state, TaskState::Success);
    assert_eq!(view.result_urls.len(), 1);
    assert_eq!(sim.stats().peak_running, 1);
    assert_eq!(api.record_data(&id).await["state"], "success");
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_names_every_bad_field() {
    let (sim, api) = start(fast_config()).await;
    let cases = [
        (
            json!({"model": "kling/v2-1-master-text-to-video", "input": {"prompt": "x", "duration": "7"}}),
            r#"input.duration: "7" is not one of ["5","10"]"#,
        ),
        (
            json!({"model": "kling/v2-1-master-text-to-video", "input": {"prompt": "x", "duration": 5}}),
            "input.duration: expected string, got number 5",
        ),
        (
            json!({"model": "bytedance/seedream-v4-text-to-image", "input": {"prompt": "x", "seed": "5"}}),
            r#"input.seed: expected integer, got string "5""#,
        ),
        (
            json!({"model": "google/nano-banana", "input": {"prompt": "x", "foo": 1}}),
            "input.foo: unknown field",
        ),
        (
            json!({"model": "google/nano-banana", "input": {"aspect_ratio": "1:1"}}),
            "input.prompt: required field is missing",
        ),
        (
            json!({"model": "google/nano-banana", "input": {"prompt": "x"}, "callbackUrl": "http://x"}),
            "callbackUrl: unknown field",
        ),
        (
            json!({"model": "acme/imaginary", "input": {"prompt": "x"}}),
            r#"model: "acme/imaginary" is not a known model"#,
        ),
    ];
    for (body, expected) in &cases {
        let (status, v) = api.create(body.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["code"], 422, "{v}");
        assert_eq!(v["msg"], *expected);
        assert!(v["data"].is_null());
    }
    let (_, v) = api
        .create(json!({"model": "google/nano-banana", "input": {"prompt": "", "output_format": "gif", "n": 2}}))
        .await;
    assert_eq!(
        v["msg"],
        r#"input.prompt: must not be empty; input.output_format: "gif" is not one of ["png","jpeg"]; input.n: unknown field"#,
        "all problems, joined"
    );
    let (_, v) = api.post("/api/v1/jobs/createTask", &json!([1])).await;
    assert_eq!(v["code"], 400);
    assert!(sim.tasks().is_empty());
    assert_eq!(sim.stats().creates_rejected_422, cases.len() as u64 + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn record_info_errors() {
    let (_sim, api) = start(fast_config()).await;
    let (_, v) = api.get("/api/v1/jobs/recordInfo").await;
    assert_eq!(
        v,
        json!({"code": 400, "msg": "taskId parameter is required", "data": null})
    );
    let (status, v) = api.record("nope").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["code"], 404);
    assert_eq!(v["msg"], "Task not found");
}

#[tokio::test(flavor = "multi_thread")]
async fn scripted_failure_reports_a_string_fail_code() {
    let (sim, api) = start(fast_config()).await;
    sim.script(Outcome::Fail {
        code: "501".into(),
        msg: "Generation failed".into(),
    });
    let failing = api.create_ok(nano_banana("cat")).await;
    let next = api.create_ok(nano_banana("dog")).await;
    sim.wait_terminal(&failing, PATIENCE).await.unwrap();
    sim.wait_terminal(&next, PATIENCE).await.unwrap();
    let data = api.record_data(&failing).await;
    assert_eq!(data["state"], "fail");
    assert_eq!(data["failCode"], "501");
    assert_eq!(data["failMsg"], "Generation failed");
    assert_eq!(data["resultJson"], "");
    assert_eq!(data["creditsConsumed"], 0);
    assert_eq!(
        api.record_data(&next).await["state"],
        "success",
        "FIFO: one task only"
    );
    assert_eq!(sim.credits(), 996.0, "a failed task is not charged");

    sim.script_for_model("google/nano-banana", Outcome::fail_with_code("500"));
    let id = api.create_ok(nano_banana("again")).await;
    assert_eq!(
        sim.wait_terminal(&id, PATIENCE).await.unwrap().state,
        TaskState::Fail
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prompt_markers_script_outcomes() {
    let (sim, api) = start(fast_config()).await;
    let fail501 = api.create_ok(nano_banana("cat [sim:fail=501]")).await;
    let policy = api.create_ok(nano_banana("[sim:fail=422] cat")).await;
    let never = api.create_ok(nano_banana("cat [sim:never]")).await;
    let plain = api.create_ok(nano_banana("cat")).await;
    let slow = api.create_ok(nano_banana("cat [sim:slow]")).await;
    let tts = api
        .create_ok(json!({"model": "elevenlabs/text-to-speech-turbo-2-5",
            "input": {"text": "hello [sim:fail=500]", "voice": "Rachel"}}))
        .await;

    for id in [&fail501, &policy, &tts] {
        sim.wait_terminal(id, PATIENCE).await.unwrap();
    }
    let d = api.record_data(&fail501).await;
    assert_eq!(
        (d["state"].as_str(), d["failCode"].as_str()),
        (Some("fail"), Some("501"))
    );
    let d = api.record_data(&policy).await;
    assert_eq!(d["failCode"], "422");
    assert_eq!(
        d["failMsg"],
        "Invalid prompt: prompt contains prohibited content"
    );
    assert_eq!(
        api.record_data(&tts).await["failCode"],
        "500",
        "`text` inputs too"
    );

    // Everything else has ended long before this deadline; the never-task has not.
    sim.wait_terminal(&plain, PATIENCE).await.unwrap();
    assert!(
        sim.wait_terminal(&never, Duration::from_millis(300))
            .await
            .is_none()
    );
    let view = sim.task(&never).unwrap();
    assert_eq!(view.state, TaskState::Generating);
    assert_eq!(view.generating, None);
    assert!(sim.finish_now(&never));
    assert_eq!(api.record_data(&never).await["state"], "success");

    let (plain, slow) = (sim.task(&plain).unwrap(), sim.task(&slow).unwrap());
    let tenfold = |long: Duration, short: Duration| {
        assert!(
            long.abs_diff(short * 10) < Duration::from_micros(10),
            "{long:?} vs {short:?}"
        );
    };
    tenfold(slow.waiting, plain.waiting);
    tenfold(slow.generating.unwrap(), plain.generating.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn media_follow_the_model_category() {
    let (sim, api) = start(fast_config()).await;
    let tts = api
        .create(json!({"model": "elevenlabs/text-to-speech-multilingual-v2",
            "input": {"text": "hello", "voice": "Rachel"}}))
        .await
        .1;
    assert!(
        tts["data"]["recordId"]
            .as_str()
            .unwrap()
            .starts_with("elevenlabs_"),
        "{tts}"
    );
    let tts = tts["data"]["taskId"].as_str().unwrap().to_owned();
    let stt = api
        .create_ok(json!({"model": "elevenlabs/speech-to-text",
            "input": {"audio_url": "https://example.com/a.mp3", "diarize": true}}))
        .await;
    let video = api
        .create_ok(json!({"model": "kling/v2-1-master-text-to-video",
            "input": {"prompt": "a cat", "duration": "10", "aspect_ratio": "9:16"}}))
        .await;
    let seedream = api
        .create_ok(json!({"model": "bytedance/seedream-v4-text-to-image",
            "input": {"prompt": "cats", "max_images": 3}}))
        .await;
    sim.script(Outcome::SuccessWith { count: 2 });
    let forced = api.create_ok(nano_banana("two")).await;
    for id in [&tts, &stt, &video, &seedream, &forced] {
        sim.wait_terminal(id, PATIENCE).await.unwrap();
    }

    let urls = |data: &serde_json::Value| -> Vec<String> {
        inner_json(&data["resultJson"])["resultUrls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_owned())
            .collect()
    };
    let mp3 = urls(&api.record_data(&tts).await);
    let (status, ct, bytes) = api.download(&mp3[0]).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "audio/mpeg"));
    assert_eq!(&bytes[..2], &[0xFF, 0xFB], "MPEG-1 Layer III frame sync");

    let stt = inner_json(&api.record_data(&stt).await["resultJson"]);
    assert!(!stt["resultObject"]["text"].as_str().unwrap().is_empty());
    assert!(stt.get("resultUrls").is_none());

    let mp4 = urls(&api.record_data(&video).await);
    let (_, ct, bytes) = api.download(&mp4[0]).await;
    assert_eq!(ct, "video/mp4");
    assert_eq!(&bytes[4..8], b"ftyp");

    let many = urls(&api.record_data(&seedream).await);
    assert_eq!(many.len(), 3, "max_images asks for three");
    let forced = urls(&api.record_data(&forced).await);
    assert_eq!(forced.len(), 2);
    let mut all: Vec<_> = many.iter().chain(&forced).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5, "every URL is unique");
    for u in &many {
        assert_eq!(api.download(u).await.0, StatusCode::OK);
    }
    let missing = many[0].replace("_0.png", "_7.png");
    assert_eq!(api.download(&missing).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn same_seed_and_requests_give_same_ids_and_timings() {
    async fn run(seed: u64) -> Vec<(String, Duration, Duration, Option<Duration>)> {
        let sim = KieSim::start(SimConfig {
            seed,
            timing: Timing::default(), // with jitter
            ..fast_config()
        })
        .await
        .unwrap();
        let api = Api::new(&sim, KEY);
        for p in ["a", "b [sim:slow]", "c"] {
            api.create_ok(nano_banana(p)).await;
        }
        sim.tasks()
            .into_iter()
            .map(|t| (t.task_id, t.waiting, t.queuing, t.generating))
            .collect()
    }
    let (a, b) = (run(42).await, run(42).await);
    assert_eq!(a, b);
    assert_ne!(a, run(43).await);
}
