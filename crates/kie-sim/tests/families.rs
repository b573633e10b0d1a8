//! Kie's own-endpoint families over real HTTP: create → status → success in each family's own
//! shape, documented validation errors, scripted failures, follow-ups on earlier tasks, Suno's
//! stage callbacks and documented prices.

mod common;

use common::{Api, PATIENCE, callback_receiver, fast_config, next_callback, start};
use kie_sim::{KieSim, Outcome};
use serde_json::{Value, json};

/// Creates through `path` and returns the task id, waiting until it is terminal.
async fn run(sim: &KieSim, api: &Api, path: &str, body: Value) -> String {
    let (status, v) = api.post(path, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["code"], 200, "{v}");
    let id = v["data"]["taskId"].as_str().expect("taskId").to_owned();
    sim.wait_terminal(&id, PATIENCE).await.expect("terminal");
    id
}

async fn status(api: &Api, path: &str, id: &str) -> Value {
    let (s, v) = api.get(&format!("{path}?taskId={id}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], 200, "{v}");
    v["data"].clone()
}

async fn refused(api: &Api, path: &str, body: Value, needle: &str) {
    let (s, v) = api.post(path, &body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], 422, "{v}");
    assert!(v["data"].is_null());
    assert!(v["msg"].as_str().unwrap().contains(needle), "{v}");
}

#[tokio::test]
async fn veo_generate_extend_1080p_and_failure() {
    let (sim, api) = start(fast_config()).await;
    let before = sim.credits();
    let id = run(
        &sim,
        &api,
        "/api/v1/veo/generate",
        json!({"prompt": "a cat", "aspectRatio": "9:16"}),
    )
    .await;
    let d = status(&api, "/api/v1/veo/record-info", &id).await;
    assert_eq!(d["successFlag"], 1, "{d}");
    assert_eq!(d["response"]["resultUrls"].as_array().unwrap().len(), 1);
    assert!(
        d["response"]["originUrls"].is_array(),
        "not 16:9 → originUrls"
    );
    assert_eq!(d["response"]["resolution"], "720p");
    assert!(d["paramJson"].is_string() && d["errorCode"].is_null());
    assert_eq!(
        d["completeTime"].as_str().unwrap().len(),
        19,
        "YYYY-MM-DD HH:MM:SS"
    );
    assert_eq!(sim.credits(), before - 60.0, "veo3_fast 720p = 60 credits");
    let url = d["response"]["resultUrls"][0].as_str().unwrap();
    let (s, ct, _) = api.download(url).await;
    assert_eq!((s.as_u16(), ct.as_str()), (200, "video/mp4"));

    let ext = run(
        &sim,
        &api,
        "/api/v1/veo/extend",
        json!({"taskId": id, "prompt": "more"}),
    )
    .await;
    assert_eq!(
        status(&api, "/api/v1/veo/record-info", &ext).await["successFlag"],
        1
    );
    let (_, v) = api
        .post(
            "/api/v1/veo/extend",
            &json!({"taskId": "nope", "prompt": "x"}),
        )
        .await;
    assert_eq!(v["code"], 404, "{v}");

    let hd = format!("/api/v1/veo/get-1080p-video?taskId={id}");
    let (_, v) = api.get(&hd).await;
    assert_eq!(v["code"], 400, "first call: processing {v}");
    let (_, v) = api.get(&hd).await;
    assert!(
        v["data"]["resultUrl"].as_str().unwrap().ends_with(".mp4"),
        "{v}"
    );

    refused(
        &api,
        "/api/v1/veo/generate",
        json!({"prompt": "x", "duration": 7}),
        "duration",
    )
    .await;
    refused(&api, "/api/v1/veo/generate",
        json!({"prompt": "x", "generationType": "REFERENCE_2_VIDEO", "model": "veo3", "imageUrls": ["http://a/b.png"]}),
        "model").await;

    let failed = run(
        &sim,
        &api,
        "/api/v1/veo/generate",
        json!({"prompt": "x [sim:fail=501]"}),
    )
    .await;
    let d = status(&api, "/api/v1/veo/record-info", &failed).await;
    assert_eq!(d["successFlag"], 3, "{d}");
    assert_eq!(d["errorCode"], 501);
    assert!(d["response"].is_null());
    let (_, v) = api.get("/api/v1/veo/record-info?taskId=unknown").await;
    assert_eq!(v["code"], 404);
}

#[tokio::test]
async fn suno_music_stage_callbacks_follow_ups_and_failure() {
    let (sim, api) = start(fast_config()).await;
    let (cb, mut rx) = callback_receiver(0).await;
    let before = sim.credits();
    let body = json!({"customMode": false, "instrumental": false, "model": "V4_5",
        "prompt": "a calm piano track", "callBackUrl": cb});
    let id = run(&sim, &api, "/api/v1/generate", body).await;
    let kinds: Vec<Value> = [
        next_callback(&mut rx).await,
        next_callback(&mut rx).await,
        next_callback(&mut rx).await,
    ]
    .iter()
    .map(|r| {
        assert_eq!(r.body["data"]["task_id"], id.as_str());
        r.body["data"]["callbackType"].clone()
    })
    .collect();
    assert_eq!(kinds, ["text", "first", "complete"]);
    let d = status(&api, "/api/v1/generate/record-info", &id).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    let tracks = d["response"]["sunoData"].as_array().unwrap();
    assert_eq!(tracks.len(), 2, "two tracks per request");
    assert!(tracks[0]["audioUrl"].as_str().unwrap().ends_with(".mp3"));
    assert!(tracks[0]["streamAudioUrl"].is_string() && tracks[0]["imageUrl"].is_string());
    assert_eq!(sim.credits(), before - 12.0);

    let audio = tracks[1]["id"].as_str().unwrap();
    let ext = run(
        &sim,
        &api,
        "/api/v1/generate/extend",
        json!({"defaultParamFlag": false,
        "audioId": audio, "model": "V4_5", "callBackUrl": cb}),
    )
    .await;
    let d = status(&api, "/api/v1/generate/record-info", &ext).await;
    assert_eq!(
        (d["status"].as_str(), d["parentMusicId"].as_str()),
        (Some("SUCCESS"), Some(audio))
    );
    let (_, v) = api
        .post(
            "/api/v1/wav/generate",
            &json!({"taskId": id, "audioId": "zzz", "callBackUrl": cb}),
        )
        .await;
    assert_eq!(
        (v["code"].as_i64(), v["msg"].as_str()),
        (Some(422), Some("Record does not exist"))
    );

    refused(
        &api,
        "/api/v1/generate",
        json!({"customMode": false, "instrumental": false, "model": "V4_5", "prompt": "x"}),
        "Please enter callBackUrl.",
    )
    .await;
    let (_, v) = api.get("/api/v1/generate/record-info?taskId=unknown").await;
    assert_eq!((v["code"].as_i64(), v["data"].is_null()), (Some(200), true));

    sim.script(Outcome::fail_with_code("501"));
    while rx.try_recv().is_ok() {}
    let bad = run(
        &sim,
        &api,
        "/api/v1/generate",
        json!({"customMode": false, "instrumental": true,
        "model": "V5", "prompt": "x", "callBackUrl": cb}),
    )
    .await;
    let d = status(&api, "/api/v1/generate/record-info", &bad).await;
    assert_eq!(
        (d["status"].as_str(), d["errorCode"].as_i64()),
        (Some("GENERATE_AUDIO_FAILED"), Some(501))
    );
    let mut last = next_callback(&mut rx).await;
    while last.body["data"]["task_id"] != bad.as_str() {
        last = next_callback(&mut rx).await;
    }
    assert_eq!(
        (
            last.body["code"].as_i64(),
            last.body["data"]["callbackType"].as_str()
        ),
        (Some(501), Some("error"))
    );
}

#[tokio::test]
async fn midjourney_four_images_upscale_and_failure() {
    let (sim, api) = start(fast_config()).await;
    let (cb, mut rx) = callback_receiver(0).await;
    let id = run(
        &sim,
        &api,
        "/api/v1/mj/generate",
        json!({"taskType": "mj_txt2img", "speed": "fast", "prompt": "castle", "callBackUrl": cb}),
    )
    .await;
    let d = status(&api, "/api/v1/mj/record-info", &id).await;
    assert_eq!(d["successFlag"], 1);
    let urls = d["resultInfoJson"]["resultUrls"].as_array().unwrap();
    assert_eq!(urls.len(), 4);
    assert!(
        urls[0]["resultUrl"].is_string(),
        "objects {{resultUrl}} in record-info"
    );
    let c = next_callback(&mut rx).await;
    assert_eq!(c.body["data"]["resultUrls"].as_array().unwrap().len(), 4);
    assert!(
        c.body["data"]["resultUrls"][0].is_string(),
        "plain strings in the callback"
    );

    let up = run(
        &sim,
        &api,
        "/api/v1/mj/generateUpscale",
        json!({"taskId": id, "imageIndex": 0}),
    )
    .await;
    let d = status(&api, "/api/v1/mj/record-info", &up).await;
    assert_eq!(
        d["resultInfoJson"]["resultUrls"].as_array().unwrap().len(),
        1
    );
    let vary = run(
        &sim,
        &api,
        "/api/v1/mj/generateVary",
        json!({"taskId": id, "imageIndex": 1}),
    )
    .await;
    assert_eq!(
        status(&api, "/api/v1/mj/record-info", &vary).await["successFlag"],
        1
    );

    refused(
        &api,
        "/api/v1/mj/generate",
        json!({"taskType": "mj_txt2img", "prompt": "x"}),
        "speed is required",
    )
    .await;
    sim.script_for_model("midjourney", Outcome::fail_with_code("400"));
    let bad = run(
        &sim,
        &api,
        "/api/v1/mj/generate",
        json!({"taskType": "mj_txt2img", "speed": "relaxed", "prompt": "x"}),
    )
    .await;
    let d = status(&api, "/api/v1/mj/record-info", &bad).await;
    assert_eq!(
        (d["successFlag"].as_i64(), d["errorCode"].as_i64()),
        (Some(2), Some(400)),
        "{d}"
    );
}

#[tokio::test]
async fn runway_states_rule_extend_and_failure() {
    let (sim, api) = start(fast_config()).await;
    let before = sim.credits();
    let (_, v) = api
        .post(
            "/api/v1/runway/generate",
            &json!({"prompt": "cat", "duration": 5, "quality": "1080p", "aspectRatio": "16:9"}),
        )
        .await;
    let id = v["data"]["taskId"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "UUID task ids");
    let d = status(&api, "/api/v1/runway/record-detail", &id).await;
    assert_eq!(d["state"], "wait", "{d}");
    sim.wait_terminal(&id, PATIENCE).await.unwrap();
    let d = status(&api, "/api/v1/runway/record-detail", &id).await;
    assert_eq!(d["state"], "success");
    assert!(
        d["videoInfo"]["videoUrl"]
            .as_str()
            .unwrap()
            .ends_with(".mp4")
    );
    assert!(
        d["videoInfo"]["imageUrl"]
            .as_str()
            .unwrap()
            .ends_with(".png")
    );
    assert_eq!(sim.credits(), before - 30.0, "5 s 1080p = 30 credits");
    let (s, ct, _) = api
        .download(d["videoInfo"]["imageUrl"].as_str().unwrap())
        .await;
    assert_eq!((s.as_u16(), ct.as_str()), (200, "image/png"));

    refused(
        &api,
        "/api/v1/runway/generate",
        json!({"prompt": "cat", "duration": 10, "quality": "1080p", "aspectRatio": "16:9"}),
        "duration: 10 is not one of [5]",
    )
    .await;
    let ext = run(
        &sim,
        &api,
        "/api/v1/runway/extend",
        json!({"taskId": id, "prompt": "on", "quality": "720p"}),
    )
    .await;
    let d = status(&api, "/api/v1/runway/record-detail", &ext).await;
    assert_eq!(d["parentTaskId"], id.as_str());

    let bad = run(&sim, &api, "/api/v1/runway/generate",
        json!({"prompt": "x [sim:fail=400]", "duration": 5, "quality": "720p", "aspectRatio": "1:1"})).await;
    let d = status(&api, "/api/v1/runway/record-detail", &bad).await;
    assert_eq!(
        (d["state"].as_str(), d["failCode"].as_i64()),
        (Some("fail"), Some(400))
    );
    assert!(d["failMsg"].as_str().unwrap().len() > 3);
}

#[tokio::test]
async fn aleph_flux_and_4o_image() {
    let (sim, api) = start(fast_config()).await;
    let (cb, mut rx) = callback_receiver(0).await;
    let before = sim.credits();
    let id = run(
        &sim,
        &api,
        "/api/v1/aleph/generate",
        json!({"prompt": "snow", "videoUrl": "http://x/v.mp4", "callBackUrl": cb}),
    )
    .await;
    let d = status(&api, "/api/v1/aleph/record-info", &id).await;
    assert_eq!(
        (d["successFlag"].as_i64(), d["errorCode"].as_i64()),
        (Some(1), Some(0))
    );
    assert!(d["response"]["resultVideoUrl"].is_string());
    let c = next_callback(&mut rx).await;
    assert_eq!(c.body["taskId"], id.as_str(), "Aleph: taskId beside data");
    assert!(c.body["data"]["result_video_url"].is_string());
    assert_eq!(sim.credits(), before - 110.0);
    refused(
        &api,
        "/api/v1/aleph/generate",
        json!({"prompt": "snow"}),
        "videoUrl is required",
    )
    .await;
    sim.script(Outcome::fail_with_code("500"));
    let bad = run(
        &sim,
        &api,
        "/api/v1/aleph/generate",
        json!({"prompt": "s", "videoUrl": "http://x/v.mp4"}),
    )
    .await;
    let d = status(&api, "/api/v1/aleph/record-info", &bad).await;
    assert_eq!(
        (d["successFlag"].as_i64(), d["errorCode"].as_i64()),
        (Some(0), Some(500))
    );

    let before = sim.credits();
    let id = run(
        &sim,
        &api,
        "/api/v1/flux/kontext/generate",
        json!({"prompt": "hat", "inputImage": "http://x/a.png", "model": "flux-kontext-max"}),
    )
    .await;
    let d = status(&api, "/api/v1/flux/kontext/record-info", &id).await;
    assert_eq!(d["successFlag"], 1);
    assert_eq!(d["response"]["originImageUrl"], "http://x/a.png");
    assert!(
        d["response"]["resultImageUrl"]
            .as_str()
            .unwrap()
            .ends_with(".png")
    );
    assert_eq!(sim.credits(), before - 10.0);
    refused(
        &api,
        "/api/v1/flux/kontext/generate",
        json!({"prompt": "hat", "inputImage": "http://x/a.png", "safetyTolerance": 5}),
        "safetyTolerance",
    )
    .await;
    let bad = run(
        &sim,
        &api,
        "/api/v1/flux/kontext/generate",
        json!({"prompt": "[sim:fail=501]"}),
    )
    .await;
    assert_eq!(
        status(&api, "/api/v1/flux/kontext/record-info", &bad).await["successFlag"],
        3
    );

    let before = sim.credits();
    while rx.try_recv().is_ok() {}
    let id = run(
        &sim,
        &api,
        "/api/v1/gpt4o-image/generate",
        json!({"prompt": "fox", "size": "1:1", "nVariants": 2, "callBackUrl": cb}),
    )
    .await;
    let d = status(&api, "/api/v1/gpt4o-image/record-info", &id).await;
    assert_eq!(
        (
            d["status"].as_str(),
            d["successFlag"].as_i64(),
            d["progress"].as_str()
        ),
        (Some("SUCCESS"), Some(1), Some("1.00"))
    );
    assert_eq!(d["response"]["resultUrls"].as_array().unwrap().len(), 2);
    assert!(d["createTime"].is_u64(), "4o times are Unix ms");
    let c = next_callback(&mut rx).await;
    assert_eq!(
        c.body["data"]["info"]["result_urls"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(sim.credits(), before - 12.0, "2 × 6 credits");
    refused(
        &api,
        "/api/v1/gpt4o-image/generate",
        json!({"size": "1:1"}),
        "one of prompt",
    )
    .await;
    let bad = run(
        &sim,
        &api,
        "/api/v1/gpt4o-image/generate",
        json!({"prompt": "[sim:fail=501]", "size": "1:1"}),
    )
    .await;
    let d = status(&api, "/api/v1/gpt4o-image/record-info", &bad).await;
    assert_eq!(
        (d["status"].as_str(), d["successFlag"].as_i64()),
        (Some("GENERATE_FAILED"), Some(2))
    );
}

#[tokio::test]
async fn family_endpoints_share_auth_and_credits() {
    let (sim, api) = start(fast_config()).await;
    let bad = Api {
        key: "wrong".into(),
        ..Api::new(&sim, "wrong")
    };
    let (_, v) = bad
        .post("/api/v1/veo/generate", &json!({"prompt": "x"}))
        .await;
    assert_eq!(v["code"], 401);
    sim.set_credits(10.0);
    let (_, v) = api
        .post("/api/v1/veo/generate", &json!({"prompt": "x"}))
        .await;
    assert_eq!(v["code"], 402, "{v}");
}
