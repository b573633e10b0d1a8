//! The upload host (base64, multipart stream, URL) and download-url over HTTP: every
//! `downloadUrl` serves exactly the uploaded bytes; only the simulator's own files get links.

mod common;

use base64::Engine as _;
use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn upload_json(api: &Api, path: &str, body: Value) -> Value {
    let r = api
        .http
        .post(api.url(path))
        .bearer_auth(&api.key)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn base64_uploads_round_trip() {
    let (sim, api) = start(fast_config()).await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();

    let v = upload_json(
        &api,
        "/api/file-base64-upload",
        json!({"base64Data": b64(&bytes), "uploadPath": "images/user-uploads", "fileName": "photo.jpg"}),
    )
    .await;
    assert_eq!(v["success"], true);
    assert_eq!(v["code"], 200);
    assert_eq!(v["msg"], "File uploaded successfully");
    let d = &v["data"];
    assert_eq!(d["fileName"], "photo.jpg");
    assert_eq!(d["filePath"], "images/user-uploads/photo.jpg");
    assert_eq!(d["fileSize"], 5000);
    assert_eq!(d["mimeType"], "image/jpeg");
    assert!(d["uploadedAt"].as_str().unwrap().ends_with('Z'));
    let (status, ct, got) = api.download(d["downloadUrl"].as_str().unwrap()).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/jpeg"));
    assert_eq!(got, bytes);

    // A data URL without a file name: the name is generated, the MIME type taken from the URL.
    let v = upload_json(
        &api,
        "/api/file-base64-upload",
        json!({"base64Data": format!("data:audio/mpeg;base64,{}", b64(b"ID3 tune")), "uploadPath": "audio"}),
    )
    .await;
    assert_eq!(v["data"]["mimeType"], "audio/mpeg");
    assert!(v["data"]["fileName"].as_str().unwrap().ends_with(".mp3"));
    let (_, _, got) = api
        .download(v["data"]["downloadUrl"].as_str().unwrap())
        .await;
    assert_eq!(got, b"ID3 tune");

    let v = upload_json(
        &api,
        "/api/file-base64-upload",
        json!({"base64Data": "not base64 !!", "uploadPath": "images"}),
    )
    .await;
    assert_eq!(
        (v["success"].as_bool(), v["code"].as_u64()),
        (Some(false), Some(400))
    );
    assert_eq!(sim.stats().uploads, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_stream_upload_round_trips() {
    let (_sim, api) = start(fast_config()).await;
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name("clip.mp4")
                .mime_str("video/mp4")
                .unwrap(),
        )
        .text("uploadPath", "videos")
        .text("fileName", "renamed.mp4");
    let v: Value = api
        .http
        .post(api.url("/api/file-stream-upload"))
        .bearer_auth(&api.key)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["data"]["fileName"], "renamed.mp4");
    assert_eq!(v["data"]["mimeType"], "video/mp4");
    assert_eq!(v["data"]["fileSize"], 100_000);
    let (_, ct, got) = api
        .download(v["data"]["downloadUrl"].as_str().unwrap())
        .await;
    assert_eq!(ct, "video/mp4");
    assert_eq!(got, bytes);
}

#[tokio::test(flavor = "multi_thread")]
async fn url_upload_fetches_the_file() {
    let (sim, api) = start(fast_config()).await;
    let first = upload_json(
        &api,
        "/api/file-base64-upload",
        json!({"base64Data": b64(b"\x89PNG\r\n\x1a\nrest"), "uploadPath": "a", "fileName": "x.png"}),
    )
    .await;
    let source = first["data"]["downloadUrl"].as_str().unwrap();
    let v = upload_json(
        &api,
        "/api/file-url-upload",
        json!({"fileUrl": source, "uploadPath": "copies"}),
    )
    .await;
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["data"]["filePath"], "copies/x.png");
    let (_, _, got) = api
        .download(v["data"]["downloadUrl"].as_str().unwrap())
        .await;
    assert_eq!(got, b"\x89PNG\r\n\x1a\nrest");

    let missing = format!("{}/files/u/nothing/here.png", api.base);
    let v = upload_json(
        &api,
        "/api/file-url-upload",
        json!({"fileUrl": missing, "uploadPath": "copies"}),
    )
    .await;
    assert_eq!(v["code"], 400);
    assert_eq!(sim.stats().uploads, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn download_url_links_only_the_simulators_files() {
    let (sim, api) = start(fast_config()).await;
    let id = api.create_ok(nano_banana("cat")).await;
    let view = sim.wait_terminal(&id, PATIENCE).await.unwrap();
    let result_url = &view.result_urls[0];

    let (_, v) = api
        .post("/api/v1/common/download-url", &json!({"url": result_url}))
        .await;
    assert_eq!(v["code"], 200, "{v}");
    let link = v["data"].as_str().unwrap();
    let (status, ct, bytes) = api.download(link).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/png"));
    assert!(bytes.starts_with(b"\x89PNG"));

    let (_, v) = api
        .post(
            "/api/v1/common/download-url",
            &json!({"url": "https://example.com/elsewhere.png"}),
        )
        .await;
    assert_eq!(v["code"], 422);
    let (_, v) = api
        .post("/api/v1/common/download-url", &json!({"nope": 1}))
        .await;
    assert_eq!(v["code"], 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn awkward_file_names_survive_the_round_trip() {
    let (_sim, api) = start(fast_config()).await;
    let v = upload_json(
        &api,
        "/api/file-base64-upload",
        json!({"base64Data": b64(b"odd"), "uploadPath": "dir one", "fileName": "my photo+1&x %.png"}),
    )
    .await;
    assert_eq!(v["data"]["filePath"], "dir one/my photo+1&x %.png");
    let url = v["data"]["downloadUrl"].as_str().unwrap();
    assert_eq!(api.download(url).await.2, b"odd");
    let (_, v) = api
        .post("/api/v1/common/download-url", &json!({"url": url}))
        .await;
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(api.download(v["data"].as_str().unwrap()).await.2, b"odd");
}
