//! Fixtures are the examples of `shared/kie-api-families.json` (strings and objects, both
//! casings); the HTTP tests run a tiny local axum server that answers from a script.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::flux_kontext::*;
use super::gpt4o_image::*;
use super::midjourney::*;
use super::runway::*;
use super::suno::*;
use super::veo::*;
use super::*;
use crate::{ApiKey, ErrorKind, KieConfig, SignatureCheck, sign, verify_signature};

fn status(s: StatusEndpoint, v: Value) -> FamilyRecord {
    parse_family_status(s, &v).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn callback(e: FamilyEndpoint, v: Value) -> FamilyRecord {
    parse_family_callback(e, v.to_string().as_bytes()).unwrap_or_else(|err| panic!("{e:?}: {err}"))
}

fn urls(r: &FamilyRecord) -> Vec<(ResultKind, String)> {
    r.results
        .files
        .iter()
        .map(|f| (f.kind.clone(), f.url.to_string()))
        .collect()
}

fn failed(code: u16) -> impl Fn(&FamilyTaskState) -> bool {
    move |s| matches!(s, FamilyTaskState::Failed { code: Some(c), .. } if *c == code)
}

// ---------- endpoints ----------

#[test]
fn every_endpoint_has_a_path_and_a_status_of_its_family() {
    for &e in FamilyEndpoint::ALL {
        assert_eq!(FamilyEndpoint::from_path(e.path()), Some(e));
        assert_eq!(e.status().family(), e.family(), "{e:?}");
        assert!(e.status().path().starts_with("/api/v1/"));
        assert_eq!(Family::parse(e.family().as_str()), Some(e.family()));
    }
    assert_eq!(FamilyEndpoint::from_path("/api/v1/jobs/createTask"), None);
}

// ---------- typed requests ----------

#[test]
fn veo_requests_use_the_documented_names() {
    let req = VeoGenerate {
        prompt: "a cat".into(),
        image_urls: Some(vec!["https://x/a.png".into()]),
        model: Some(VeoModel::Veo3Fast),
        generation_type: Some(VeoGenerationType::Reference2Video),
        aspect_ratio: Some(VeoAspectRatio::Portrait),
        resolution: Some(VeoResolution::P1080),
        duration: Some(8),
        call_back_url: Some("https://us/cb".into()),
        seeds: Some(12345),
        ..VeoGenerate::default()
    }
    .to_request()
    .unwrap();
    assert_eq!(req.endpoint, FamilyEndpoint::VeoGenerate);
    assert_eq!(
        Value::Object(req.body),
        json!({"prompt":"a cat","imageUrls":["https://x/a.png"],"model":"veo3_fast",
            "generationType":"REFERENCE_2_VIDEO","aspectRatio":"9:16","resolution":"1080p",
            "duration":8,"callBackUrl":"https://us/cb","seeds":12345})
    );
    let bad = |f: fn(&mut VeoGenerate)| {
        let mut r = VeoGenerate {
            prompt: "p".into(),
            ..VeoGenerate::default()
        };
        f(&mut r);
        r.to_request().unwrap_err()
    };
    bad(|r| r.duration = Some(5));
    bad(|r| r.seeds = Some(5));
    bad(|r| r.generation_type = Some(VeoGenerationType::Reference2Video));
    bad(|r| {
        r.generation_type = Some(VeoGenerationType::Reference2Video);
        r.image_urls = Some(vec!["u".into()]);
        r.model = Some(VeoModel::Veo3);
    });
    bad(|r| r.image_urls = Some(vec!["u".into(); 4]));
    bad(|r| {
        r.enable_fallback = Some(true);
        r.aspect_ratio = Some(VeoAspectRatio::Portrait);
    });

    let ext = VeoExtend {
        task_id: "veo_task_1".into(),
        prompt: "then".into(),
        model: Some(VeoExtendModel::Quality),
        ..VeoExtend::default()
    }
    .to_request()
    .unwrap();
    assert_eq!(
        Value::Object(ext.body),
        json!({"taskId":"veo_task_1","prompt":"then","model":"quality"})
    );
    let k4 = VeoGet4k {
        task_id: "veo_task_1".into(),
        index: Some(0),
        call_back_url: Some("https://us/cb".into()),
    }
    .to_request()
    .unwrap();
    assert_eq!(k4.endpoint.path(), "/api/v1/veo/get-4k-video");
    assert_eq!(k4.body["taskId"], "veo_task_1");
}

#[test]
fn suno_requests_and_rules() {
    let generate = SunoGenerate {
        prompt: Some("[Verse] la".into()),
        style: Some("rock".into()),
        title: Some("T".into()),
        custom_mode: true,
        instrumental: false,
        model: SunoModel::V4_5Plus,
        call_back_url: "https://us/cb".into(),
        negative_tags: None,
        vocal_gender: Some(VocalGender::Female),
        style_weight: Some(0.5),
        weirdness_constraint: None,
        audio_weight: None,
        persona_id: None,
        persona_model: None,
    };
    let req = generate.to_request().unwrap();
    assert_eq!(
        Value::Object(req.body.clone()),
        json!({"prompt":"[Verse] la","style":"rock","title":"T","customMode":true,
            "instrumental":false,"model":"V4_5PLUS","callBackUrl":"https://us/cb",
            "vocalGender":"f","styleWeight":0.5})
    );
    // The same body, built as JSON by the registry, passes the same checks.
    assert!(req.clone().validated().is_ok());
    let mut no_title = generate.clone();
    no_title.title = None;
    assert!(no_title.to_request().is_err());
    let mut simple_long = generate.clone();
    simple_long.custom_mode = false;
    simple_long.prompt = Some("x".repeat(501));
    assert!(simple_long.to_request().is_err());
    let mut v4_style = generate.clone();
    v4_style.model = SunoModel::V4;
    v4_style.style = Some("s".repeat(201));
    assert!(v4_style.to_request().is_err());
    let mut persona = generate.clone();
    persona.persona_model = Some(PersonaModel::VoicePersona);
    assert!(persona.to_request().is_err(), "personaModel only on V5");
    let mut weight = generate;
    weight.audio_weight = Some(1.5);
    assert!(weight.to_request().is_err());

    let ext = SunoExtend {
        default_param_flag: true,
        audio_id: "e231".into(),
        prompt: Some("more".into()),
        style: Some("rock".into()),
        title: Some("T2".into()),
        continue_at: Some(60.0),
        model: SunoModel::V5,
        call_back_url: "https://us/cb".into(),
        negative_tags: None,
        vocal_gender: None,
        style_weight: None,
        weirdness_constraint: None,
        audio_weight: None,
        persona_id: None,
        persona_model: None,
    };
    let body = ext.to_request().unwrap().body;
    assert_eq!(body["defaultParamFlag"], true);
    assert_eq!(body["audioId"], "e231");
    assert_eq!(body["continueAt"], 60.0);
    let mut no_at = ext;
    no_at.continue_at = None;
    assert!(no_at.to_request().is_err());

    let stems = SunoVocalRemoval {
        task_id: "t".into(),
        audio_id: "a".into(),
        kind: Some(SeparationType::SplitStem),
        call_back_url: "https://us/cb".into(),
    }
    .to_request()
    .unwrap();
    assert_eq!(stems.body["type"], "split_stem");
    let wav = SunoWav {
        task_id: "t".into(),
        audio_id: "a".into(),
        call_back_url: String::new(),
    };
    assert!(wav.to_request().is_err(), "callBackUrl is required");
    let rs = SunoReplaceSection {
        task_id: "t".into(),
        audio_id: "a".into(),
        prompt: "p".into(),
        tags: "rock".into(),
        title: "T".into(),
        negative_tags: None,
        infill_start_s: 10.0,
        infill_end_s: 20.0,
        full_lyrics: "all".into(),
        call_back_url: None,
    };
    let body = rs.to_request().unwrap().body;
    assert_eq!(body["infillStartS"], 10.0);
    assert_eq!(body["fullLyrics"], "all");
    let mut short = rs;
    short.infill_end_s = 12.0;
    assert!(short.to_request().is_err(), "at least 6 s");
    let lyrics = SunoLyrics {
        prompt: "x".repeat(201),
        call_back_url: None,
    };
    assert!(lyrics.to_request().is_err());
    let add = SunoAddVocals {
        prompt: "la".into(),
        model: Some(SunoAddModel::V5_5),
        title: "T".into(),
        negative_tags: "".into(),
        style: "pop".into(),
        upload_url: "https://x/a.mp3".into(),
        call_back_url: "https://us/cb".into(),
        vocal_gender: None,
        style_weight: None,
        weirdness_constraint: None,
        audio_weight: None,
    };
    let body = add.to_request().unwrap().body;
    assert_eq!(body["model"], "V5_5");
    assert_eq!(body["negativeTags"], "");
}

#[test]
fn runway_flux_gpt4o_and_midjourney_requests() {
    let mut rw = RunwayGenerate {
        prompt: "cat".into(),
        image_url: None,
        duration: 10,
        quality: RunwayQuality::P720,
        aspect_ratio: Some(RunwayAspectRatio::R16x9),
        water_mark: Some("".into()),
        call_back_url: None,
    };
    assert_eq!(
        Value::Object(rw.to_request().unwrap().body),
        json!({"prompt":"cat","duration":10,"quality":"720p","aspectRatio":"16:9","waterMark":""})
    );
    rw.quality = RunwayQuality::P1080;
    assert!(rw.to_request().is_err(), "1080p only with 5 s");
    rw.quality = RunwayQuality::P720;
    rw.aspect_ratio = None;
    assert!(rw.to_request().is_err(), "text-to-video needs aspectRatio");
    let ext = RunwayExtend {
        task_id: "ee60".into(),
        prompt: "on".into(),
        quality: RunwayQuality::P720,
        water_mark: None,
        call_back_url: None,
    }
    .to_request()
    .unwrap();
    assert_eq!(ext.endpoint, FamilyEndpoint::RunwayExtend);

    let flux = FluxKontextGenerate {
        prompt: "p".into(),
        input_image: Some("https://x/i.png".into()),
        model: Some(FluxKontextModel::FluxKontextMax),
        output_format: Some(FluxOutputFormat::Png),
        aspect_ratio: Some(FluxAspectRatio::R21x9),
        safety_tolerance: Some(2),
        ..FluxKontextGenerate::default()
    };
    assert_eq!(
        Value::Object(flux.to_request().unwrap().body),
        json!({"prompt":"p","inputImage":"https://x/i.png","aspectRatio":"21:9",
            "outputFormat":"png","model":"flux-kontext-max","safetyTolerance":2})
    );
    let mut edit = flux.clone();
    edit.safety_tolerance = Some(3);
    assert!(edit.to_request().is_err(), "editing allows 0-2");
    edit.input_image = None;
    assert!(edit.to_request().is_ok(), "generation allows 0-6");

    let img = Gpt4oImageGenerate {
        prompt: Some("p".into()),
        files_url: None,
        size: Gpt4oSize::Landscape,
        n_variants: Some(4),
        mask_url: None,
        call_back_url: None,
        is_enhance: Some(false),
        upload_cn: None,
        enable_fallback: Some(true),
        fallback_model: Some(Gpt4oFallback::GptImage1),
    };
    assert_eq!(
        Value::Object(img.to_request().unwrap().body),
        json!({"prompt":"p","size":"3:2","nVariants":4,"isEnhance":false,
            "enableFallback":true,"fallbackModel":"GPT_IMAGE_1"})
    );
    let mut bad = img.clone();
    bad.enable_fallback = None;
    assert!(bad.to_request().is_err());
    bad = img;
    bad.prompt = None;
    assert!(bad.to_request().is_err(), "prompt or images");

    let mj = MjGenerate {
        task_type: MjTaskType::MjTxt2img,
        speed: Some(MjSpeed::Relaxed),
        prompt: "p".into(),
        file_urls: None,
        aspect_ratio: Some("16:9".into()),
        version: Some("7".into()),
        variety: None,
        stylization: None,
        weirdness: None,
        ow: None,
        water_mark: None,
        enable_translation: None,
        call_back_url: None,
        video_batch_size: None,
        motion: None,
    };
    assert_eq!(
        Value::Object(mj.to_request().unwrap().body),
        json!({"taskType":"mj_txt2img","speed":"relaxed","prompt":"p","aspectRatio":"16:9","version":"7"})
    );
    let mut video = mj.clone();
    video.task_type = MjTaskType::MjVideo;
    assert!(video.to_request().is_err(), "video needs one image");
    video.file_urls = Some(vec!["https://x/i.png".into()]);
    video.video_batch_size = Some(2);
    video.motion = Some(MjMotion::Low);
    assert_eq!(video.to_request().unwrap().body["videoBatchSize"], 2);
    let mut no_speed = mj;
    no_speed.speed = None;
    assert!(no_speed.to_request().is_err());
    let up = MjUpscale {
        task_id: "mj1".into(),
        image_index: 3,
        water_mark: None,
        call_back_url: None,
    }
    .to_request()
    .unwrap();
    assert_eq!(
        Value::Object(up.body),
        json!({"taskId":"mj1","imageIndex":3})
    );
    assert!(
        MjVary {
            task_id: "mj1".into(),
            image_index: 4,
            water_mark: None,
            call_back_url: None
        }
        .to_request()
        .is_err()
    );
    assert!(
        MjVideoExtend {
            task_id: "mj1".into(),
            task_type: MjExtendType::MjVideoExtendManual,
            index: 0,
            prompt: None,
            water_mark: None,
            call_back_url: None
        }
        .to_request()
        .is_err()
    );
}

#[test]
fn registry_json_is_checked_against_the_typed_request() {
    let ok = |e, v: Value| FamilyRequest::new(e, v.as_object().unwrap().clone()).validated();
    // Veo accepts the documented alias aspect_ratio.
    assert!(
        ok(
            FamilyEndpoint::VeoGenerate,
            json!({"prompt":"p","aspect_ratio":"16:9"})
        )
        .is_ok()
    );
    // A misspelt field is refused before money is spent.
    assert!(
        ok(
            FamilyEndpoint::VeoGenerate,
            json!({"prompt":"p","call_back_url":"x"})
        )
        .is_err()
    );
    assert!(
        ok(
            FamilyEndpoint::RunwayGenerate,
            json!({"prompt":"p","duration":7,"quality":"720p","aspectRatio":"1:1"})
        )
        .is_err()
    );
    assert!(
        ok(
            FamilyEndpoint::Gpt4oImageGenerate,
            json!({"prompt":"p","size":"4:3"})
        )
        .is_err()
    );
    assert!(ok(FamilyEndpoint::SunoLyrics, json!({"prompt":"a song"})).is_ok());
    assert!(ok(FamilyEndpoint::SunoCoverArt, json!({"taskId":"t"})).is_ok());
    assert!(
        ok(
            FamilyEndpoint::SunoMidi,
            json!({"taskId":"t","callBackUrl":"https://us/cb"})
        )
        .is_ok()
    );
    assert!(
        ok(
            FamilyEndpoint::AlephGenerate,
            json!({"prompt":"p","videoUrl":"https://x/v.mp4","aspectRatio":"21:9"})
        )
        .is_ok()
    );
    let with_cb = FamilyRequest::new(FamilyEndpoint::FluxKontextGenerate, Map::new())
        .with_callback(&Url::parse("https://us/kie/callback/1/tok").unwrap());
    assert_eq!(with_cb.body["callBackUrl"], "https://us/kie/callback/1/tok");
    assert_eq!(with_cb.family(), Family::FluxKontext);
}

// ---------- status: Veo ----------

#[test]
fn veo_status_shapes() {
    let r = status(
        StatusEndpoint::VeoRecordInfo,
        json!({"taskId":"veo_task_abcdef123456","paramJson":"{\"prompt\":\"A futuristic city with flying cars at sunset.\",\"waterMark\":\"KieAI\"}","completeTime":"2025-06-06 10:30:00","response":{"taskId":"veo_task_abcdef123456","resultUrls":["http://example.com/video1.mp4"],"originUrls":["http://example.com/original_video1.mp4"],"resolution":"1080p"},"successFlag":1,"errorCode":null,"errorMessage":"","createTime":"2025-06-06 10:25:00","fallbackFlag":false}),
    );
    assert_eq!(r.family, Family::Veo);
    assert_eq!(r.state, FamilyTaskState::Succeeded);
    assert_eq!(
        urls(&r),
        vec![
            (ResultKind::Video, "http://example.com/video1.mp4".into()),
            (
                ResultKind::Original,
                "http://example.com/original_video1.mp4".into()
            )
        ]
    );
    assert_eq!(r.results.files[0].resolution.as_deref(), Some("1080p"));
    assert_eq!(r.param.as_ref().unwrap()["waterMark"], "KieAI");

    let running = status(
        StatusEndpoint::VeoRecordInfo,
        json!({"taskId":"t","successFlag":0,"response":null}),
    );
    assert_eq!(running.state, FamilyTaskState::Running { progress: None });
    assert!(!running.state.is_terminal());
    for flag in [2, 3] {
        let r = status(
            StatusEndpoint::VeoRecordInfo,
            json!({"taskId":"t","successFlag":flag,"errorCode":501,"errorMessage":"generation failed"}),
        );
        assert!(failed(501)(&r.state), "{:?}", r.state);
    }
    // resultUrls as a JSON-encoded string and as the callback schema's "[http://…]".
    for encoded in [
        json!("[\"http://example.com/a.mp4\"]"),
        json!("[http://example.com/a.mp4]"),
    ] {
        let r = status(
            StatusEndpoint::VeoRecordInfo,
            json!({"taskId":"t","successFlag":"1","response":{"resultUrls":encoded}}),
        );
        assert_eq!(
            urls(&r),
            vec![(ResultKind::Video, "http://example.com/a.mp4".into())]
        );
    }
    // Strict: unknown flags and a success without results are errors.
    assert!(
        parse_family_status(
            StatusEndpoint::VeoRecordInfo,
            &json!({"taskId":"t","successFlag":7})
        )
        .is_err()
    );
    assert!(
        parse_family_status(
            StatusEndpoint::VeoRecordInfo,
            &json!({"taskId":"t","successFlag":1,"response":{"resultUrls":[]}})
        )
        .is_err()
    );
    assert!(parse_family_status(StatusEndpoint::VeoRecordInfo, &json!({"successFlag":0})).is_err());
}

// ---------- status: Suno ----------

#[test]
fn suno_music_status_shapes() {
    let r = status(
        StatusEndpoint::SunoRecordInfo,
        json!({"taskId":"5c79****be8e","parentMusicId":"","param":"{\"prompt\":\"A calm piano track\",\"customMode\":true,\"instrumental\":true,\"model\":\"V4\"}","response":{"taskId":"5c79****be8e","sunoData":[{"id":"e231****-****-****-****-****8cadc7dc","audioUrl":"https://example.cn/****.mp3","streamAudioUrl":"https://example.cn/****","imageUrl":"https://example.cn/****.jpeg","prompt":"[Verse] …","modelName":"chirp-v3-5","title":"…","tags":"electrifying, rock","createTime":"2025-01-01 00:00:00","duration":198.44},{"id":"bd15****1873","audioUrl":"https://example.cn/2.mp3","streamAudioUrl":"https://example.cn/s2","imageUrl":"https://example.cn/2.jpeg","prompt":"[Verse] …","title":"…","tags":"rock","duration":228.28}]},"status":"SUCCESS","type":"GENERATE","errorCode":null,"errorMessage":null}),
    );
    assert_eq!(r.state, FamilyTaskState::Succeeded);
    assert_eq!(r.results.files.len(), 2, "two tracks");
    let t = &r.results.files[0];
    assert_eq!(t.kind, ResultKind::Audio);
    assert_eq!(
        t.id.as_deref(),
        Some("e231****-****-****-****-****8cadc7dc")
    );
    assert_eq!(t.duration_secs, Some(198.44));
    assert_eq!(
        t.cover_url.as_ref().unwrap().as_str(),
        "https://example.cn/****.jpeg"
    );
    assert_eq!(t.lyrics.as_deref(), Some("[Verse] …"));
    assert_eq!(t.tags.as_deref(), Some("electrifying, rock"));
    assert!(t.stream_url.is_some());
    assert_eq!(r.parent_task_id, None);
    assert_eq!(r.param.as_ref().unwrap()["model"], "V4");

    let first = status(
        StatusEndpoint::SunoRecordInfo,
        json!({"taskId":"t","status":"FIRST_SUCCESS","response":{"sunoData":[
            {"id":"a","audioUrl":"https://x/1.mp3"},{"id":"b","audioUrl":"","streamAudioUrl":"https://x/s"}]}}),
    );
    assert_eq!(
        first.state,
        FamilyTaskState::Stage {
            name: "FIRST_SUCCESS".into()
        }
    );
    assert!(!first.state.is_terminal());
    assert_eq!(
        first.results.files.len(),
        1,
        "the unfinished track is not a file yet"
    );
    let text = status(
        StatusEndpoint::SunoRecordInfo,
        json!({"taskId":"t","status":"TEXT_SUCCESS","response":null}),
    );
    assert_eq!(
        text.state,
        FamilyTaskState::Stage {
            name: "TEXT_SUCCESS".into()
        }
    );
    assert_eq!(
        status(
            StatusEndpoint::SunoRecordInfo,
            json!({"taskId":"t","status":"PENDING"})
        )
        .state,
        FamilyTaskState::Queued
    );
    for word in [
        "CREATE_TASK_FAILED",
        "GENERATE_AUDIO_FAILED",
        "CALLBACK_EXCEPTION",
        "SENSITIVE_WORD_ERROR",
    ] {
        let r = status(
            StatusEndpoint::SunoRecordInfo,
            json!({"taskId":"t","status":word,"errorCode":413,"errorMessage":"matches an existing work"}),
        );
        assert!(failed(413)(&r.state), "{word}");
    }
    let no_code = status(
        StatusEndpoint::SunoRecordInfo,
        json!({"taskId":"t","status":"SENSITIVE_WORD_ERROR"}),
    );
    assert_eq!(
        no_code.state,
        FamilyTaskState::Failed {
            code: None,
            message: Some("SENSITIVE_WORD_ERROR".into())
        }
    );
    assert!(
        parse_family_status(
            StatusEndpoint::SunoRecordInfo,
            &json!({"taskId":"t","status":"DANCING"})
        )
        .is_err()
    );
}

#[test]
fn suno_derived_status_shapes() {
    let cover = status(
        StatusEndpoint::SunoCoverRecordInfo,
        json!({"taskId":"21aee3c3c2a01fa5e030b3799fa4dd56","parentTaskId":"73d6128b3523a0079df10da9471017c8","callbackUrl":"https://api.example.com/callback","completeTime":"2025-01-15T10:35:27.000Z","response":{"images":["https://tempfile.aiquickdraw.com/s/1753958521_6c1b3015141849d1a9bf17b738ce9347.png","https://tempfile.aiquickdraw.com/s/1753958524_c153143acc6340908431cf0e90cbce9e.png"]},"successFlag":1,"createTime":"2025-01-15T10:33:01.000Z","errorCode":200,"errorMessage":""}),
    );
    assert_eq!(cover.state, FamilyTaskState::Succeeded);
    assert_eq!(cover.results.of_kind(&ResultKind::Image).count(), 2);
    assert_eq!(
        cover.parent_task_id.as_deref(),
        Some("73d6128b3523a0079df10da9471017c8")
    );
    // Here 2 means generating, not failed.
    let two = status(
        StatusEndpoint::SunoCoverRecordInfo,
        json!({"taskId":"t","successFlag":2}),
    );
    assert_eq!(two.state, FamilyTaskState::Running { progress: None });
    assert_eq!(
        status(
            StatusEndpoint::SunoCoverRecordInfo,
            json!({"taskId":"t","successFlag":0})
        )
        .state,
        FamilyTaskState::Queued
    );
    assert!(failed(500)(
        &status(
            StatusEndpoint::SunoCoverRecordInfo,
            json!({"taskId":"t","successFlag":3,"errorCode":500})
        )
        .state
    ));

    let lyrics = status(
        StatusEndpoint::SunoLyricsRecordInfo,
        json!({"taskId":"11dc****8b0f","param":"{\"prompt\":\"A song about peaceful night in the city\"}","response":{"taskId":"11dc****8b0f","data":[{"text":"[Verse]\n…","title":"…","status":"complete","errorMessage":""},{"text":"[Verse]\n2","title":"two","status":"complete","errorMessage":""}]},"status":"SUCCESS","errorCode":null,"errorMessage":null}),
    );
    assert_eq!(lyrics.state, FamilyTaskState::Succeeded);
    assert_eq!(lyrics.results.texts.len(), 2);
    assert_eq!(lyrics.results.texts[1].title.as_deref(), Some("two"));
    assert!(failed(400)(
        &status(
            StatusEndpoint::SunoLyricsRecordInfo,
            json!({"taskId":"t","status":"GENERATE_LYRICS_FAILED","errorCode":400})
        )
        .state
    ));

    let wav = status(
        StatusEndpoint::SunoWavRecordInfo,
        json!({"taskId":"988e****c8d3","musicId":"e231****-****-****-****-****8cadc7dc","callbackUrl":"https://api.example.com/callback","musicIndex":0,"completeTime":"2025-01-01 00:10:00","response":{"audioWavUrl":"https://example.com/s/04e6****e727.wav"},"successFlag":"SUCCESS","createTime":"2025-01-01 00:00:00","errorCode":null,"errorMessage":null}),
    );
    assert_eq!(
        urls(&wav),
        vec![(
            ResultKind::Audio,
            "https://example.com/s/04e6****e727.wav".into()
        )]
    );
    assert_eq!(
        status(
            StatusEndpoint::SunoWavRecordInfo,
            json!({"taskId":"t","successFlag":"PENDING"})
        )
        .state,
        FamilyTaskState::Queued
    );
    assert!(matches!(
        status(
            StatusEndpoint::SunoWavRecordInfo,
            json!({"taskId":"t","successFlag":"GENERATE_WAV_FAILED"})
        )
        .state,
        FamilyTaskState::Failed { .. }
    ));

    let sep = status(
        StatusEndpoint::SunoVocalRemovalRecordInfo,
        json!({"taskId":"t","musicId":"m","successFlag":"SUCCESS","response":{"id":null,"originUrl":"https://x/o.mp3","vocalUrl":"https://x/v.mp3","instrumentalUrl":"https://x/i.mp3","backingVocalsUrl":"","drumsUrl":null}}),
    );
    let mut got = urls(&sep);
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        got,
        vec![
            (
                ResultKind::Stem("instrumental".into()),
                "https://x/i.mp3".into()
            ),
            (ResultKind::Stem("vocal".into()), "https://x/v.mp3".into())
        ]
    );
    let midi = status(
        StatusEndpoint::SunoMidiRecordInfo,
        json!({"taskId":"t","successFlag":1,"response":{"instruments":[{"name":"Drums","notes":[]}]}}),
    );
    assert_eq!(midi.results.data.as_ref().unwrap()[0]["name"], "Drums");
}

// ---------- status: Runway, Aleph, Flux, 4o, Midjourney ----------

#[test]
fn runway_and_aleph_status_shapes() {
    let r = status(
        StatusEndpoint::RunwayRecordDetail,
        json!({"taskId":"ee603959-debb-48d1-98c4-a6d1c717eba6","parentTaskId":"","generateParam":{"prompt":"A fluffy orange cat dancing energetically in a colorful room with disco lights","imageUrl":"https://example.com/image.jpg","expandPrompt":true},"state":"success","generateTime":"2023-08-15 14:30:45","videoInfo":{"videoId":"485da89c-7fca-4340-8c04-101025b2ae71","taskId":"ee603959-debb-48d1-98c4-a6d1c717eba6","videoUrl":"https://file.com/k/xxxxxxx.mp4","imageUrl":"https://file.com/m/xxxxxxxx.png"},"failCode":null,"failMsg":"","expireFlag":0}),
    );
    assert_eq!(r.state, FamilyTaskState::Succeeded);
    assert_eq!(
        urls(&r),
        vec![
            (ResultKind::Video, "https://file.com/k/xxxxxxx.mp4".into()),
            (
                ResultKind::Thumbnail,
                "https://file.com/m/xxxxxxxx.png".into()
            )
        ]
    );
    assert_eq!(
        r.results.files[0].id.as_deref(),
        Some("485da89c-7fca-4340-8c04-101025b2ae71")
    );
    assert_eq!(r.param.as_ref().unwrap()["expandPrompt"], true);
    assert_eq!(r.parent_task_id, None);
    for (s, want) in [
        ("wait", FamilyTaskState::Queued),
        ("queueing", FamilyTaskState::Queued),
        ("generating", FamilyTaskState::Running { progress: None }),
    ] {
        assert_eq!(
            status(
                StatusEndpoint::RunwayRecordDetail,
                json!({"taskId":"t","state":s})
            )
            .state,
            want
        );
    }
    let fail = status(
        StatusEndpoint::RunwayRecordDetail,
        json!({"taskId":"t","parentTaskId":"p","state":"fail","failCode":400,"failMsg":"Inappropriate content detected."}),
    );
    assert_eq!(
        fail.state,
        FamilyTaskState::Failed {
            code: Some(400),
            message: Some("Inappropriate content detected.".into())
        }
    );
    assert_eq!(fail.parent_task_id.as_deref(), Some("p"));
    assert!(
        parse_family_status(
            StatusEndpoint::RunwayRecordDetail,
            &json!({"taskId":"t","state":"queuing"})
        )
        .is_err(),
        "Market spelling"
    );

    let a = status(
        StatusEndpoint::AlephRecordInfo,
        json!({"taskId":"ee603959-debb-48d1-98c4-a6d1c717eba6","paramJson":"{\"prompt\":\"…\",\"videoUrl\":\"https://example.com/input-video.mp4\"}","response":{"taskId":"ee603959-debb-48d1-98c4-a6d1c717eba6","resultVideoUrl":"https://file.com/k/xxxxxxx.mp4","resultImageUrl":"https://file.com/m/xxxxxxxx.png"},"completeTime":"2023-08-15T14:30:45Z","createTime":"2023-08-15T14:25:00Z","successFlag":1,"errorCode":0,"errorMessage":""}),
    );
    assert_eq!(a.state, FamilyTaskState::Succeeded);
    assert_eq!(a.results.files[0].kind, ResultKind::Video);
    let pending = status(
        StatusEndpoint::AlephRecordInfo,
        json!({"taskId":"t","successFlag":0,"errorCode":0,"errorMessage":""}),
    );
    assert_eq!(pending.state, FamilyTaskState::Running { progress: None });
    let failed_a = status(
        StatusEndpoint::AlephRecordInfo,
        json!({"taskId":"t","successFlag":0,"errorCode":400,"errorMessage":"moderated"}),
    );
    assert!(failed(400)(&failed_a.state));
}

#[test]
fn flux_gpt4o_and_midjourney_status_shapes() {
    let f = status(
        StatusEndpoint::FluxKontextRecordInfo,
        json!({"taskId":"task12345","paramJson":"{\"prompt\":\"A serene mountain landscape\",\"aspectRatio\":\"16:9\"}","completeTime":"2024-03-20T10:30:00Z","response":{"originImageUrl":"https://example.com/original.jpg","resultImageUrl":"https://example.com/result.jpg"},"successFlag":1,"errorCode":null,"errorMessage":"","createTime":"2024-03-20T10:25:00Z"}),
    );
    assert_eq!(
        urls(&f),
        vec![
            (ResultKind::Image, "https://example.com/result.jpg".into()),
            (
                ResultKind::Original,
                "https://example.com/original.jpg".into()
            )
        ]
    );
    assert!(failed(500)(&status(StatusEndpoint::FluxKontextRecordInfo, json!({"taskId":"t","successFlag":2,"errorCode":500,"errorMessage":"safety tolerance out of range"})).state));

    let g = status(
        StatusEndpoint::Gpt4oImageRecordInfo,
        json!({"taskId":"task12345","paramJson":"{\"prompt\":\"A beautiful sunset over the mountains\",\"size\":\"1:1\",\"isEnhance\":false}","completeTime":1672574400000i64,"response":{"resultUrls":["https://example.com/result/image1.png"]},"successFlag":1,"status":"SUCCESS","errorCode":null,"errorMessage":"","createTime":1672561200000i64,"progress":"1.00"}),
    );
    assert_eq!(g.state, FamilyTaskState::Succeeded);
    assert_eq!(
        urls(&g),
        vec![(
            ResultKind::Image,
            "https://example.com/result/image1.png".into()
        )]
    );
    let snake = status(
        StatusEndpoint::Gpt4oImageRecordInfo,
        json!({"taskId":"t","status":"SUCCESS","successFlag":1,"response":{"result_urls":["https://x/1.png","https://x/2.png"]}}),
    );
    assert_eq!(snake.results.files.len(), 2);
    let running = status(
        StatusEndpoint::Gpt4oImageRecordInfo,
        json!({"taskId":"t","status":"GENERATING","successFlag":0,"progress":"0.45"}),
    );
    assert_eq!(
        running.state,
        FamilyTaskState::Running {
            progress: Some(Decimal::new(45, 2))
        }
    );
    let only_flag = status(
        StatusEndpoint::Gpt4oImageRecordInfo,
        json!({"taskId":"t","successFlag":2,"errorCode":451}),
    );
    assert!(failed(451)(&only_flag.state));
    assert!(failed(400)(
        &status(
            StatusEndpoint::Gpt4oImageRecordInfo,
            json!({"taskId":"t","status":"GENERATE_FAILED","successFlag":2,"errorCode":400})
        )
        .state
    ));

    let m = status(
        StatusEndpoint::MjRecordInfo,
        json!({"taskId":"4edb3c5XXXXX75e3f0aa5cc","taskType":"mj_txt2img","paramJson":"{\"aspectRatio\":\"16:9\",\"prompt\":\"…\",\"speed\":\"Relax\",\"taskType\":\"mj_txt2img\",\"version\":\"7\"}","completeTime":"2024-03-20T10:30:00Z","resultInfoJson":{"resultUrls":[{"resultUrl":"https://tempfile.aiquickdraw.com/v/42ea4a4250571eb18361bd2e309c8e8a_0_0.jpeg"},{"resultUrl":"https://tempfile.aiquickdraw.com/v/42ea4a4250571eb18361bd2e309c8e8a_0_1.jpeg"},{"resultUrl":"https://tempfile.aiquickdraw.com/v/42ea4a4250571eb18361bd2e309c8e8a_0_2.jpeg"},{"resultUrl":"https://tempfile.aiquickdraw.com/v/42ea4a4250571eb18361bd2e309c8e8a_0_3.jpeg"}]},"successFlag":1,"createTime":"2024-03-20T10:30:00Z","errorCode":null,"errorMessage":null}),
    );
    assert_eq!(
        m.results.of_kind(&ResultKind::Image).count(),
        4,
        "a grid of four"
    );
    let as_string = status(
        StatusEndpoint::MjRecordInfo,
        json!({"taskId":"t","taskType":"mj_video","successFlag":1,"resultInfoJson":"{\"resultUrls\":[{\"resultUrl\":\"https://x/v.mp4\"}]}"}),
    );
    assert_eq!(
        urls(&as_string),
        vec![(ResultKind::Video, "https://x/v.mp4".into())]
    );
    assert!(failed(501)(
        &status(
            StatusEndpoint::MjRecordInfo,
            json!({"taskId":"t","successFlag":3,"errorCode":501})
        )
        .state
    ));
}

// ---------- callbacks ----------

#[test]
fn veo_callbacks() {
    let ok = callback(
        FamilyEndpoint::VeoGenerate,
        json!({"code":200,"msg":"Veo3.1 video generated successfully.","data":{"taskId":"veo_task_abcdef123456","promptJson":"{\"aspectRatio\":\"16:9\",\"model\":\"veo3_fast\",\"prompt\":\"cat\"}","info":{"resultUrls":["http://example.com/video1.mp4"],"originUrls":["http://example.com/original_video1.mp4"],"resolution":"1080p"},"fallbackFlag":false}}),
    );
    assert_eq!(ok.task_id, "veo_task_abcdef123456");
    assert_eq!(ok.state, FamilyTaskState::Succeeded);
    assert_eq!(ok.results.files.len(), 2);
    assert_eq!(ok.param.as_ref().unwrap()["model"], "veo3_fast");
    let bad = callback(
        FamilyEndpoint::VeoGenerate,
        json!({"code":400,"msg":"Your prompt was flagged by Website as violating content policies.","data":{"taskId":"veo_task_abcdef123456","fallbackFlag":false}}),
    );
    assert_eq!(
        bad.state,
        FamilyTaskState::Failed {
            code: Some(400),
            message: Some(
                "Your prompt was flagged by Website as violating content policies.".into()
            )
        }
    );
    let ext = callback(
        FamilyEndpoint::VeoExtend,
        json!({"code":200,"msg":"Veo3.1 video extended successfully.","data":{"taskId":"veo_extend_task_xyz789","info":{"resultUrls":["http://example.com/extended_video1.mp4"],"originUrls":["http://example.com/original_video1.mp4"],"resolution":"1080p"},"fallbackFlag":false}}),
    );
    assert_eq!(
        ext.results.files[0].url.as_str(),
        "http://example.com/extended_video1.mp4"
    );
    // The two 4K shapes.
    let k4 = callback(
        FamilyEndpoint::VeoGet4k,
        json!({"code":200,"msg":"4K Video generated successfully.","data":{"taskId":"veo_task_example123","info":{"resultUrls":["https://file.aiquickdraw.com/v/example_task_1234567890.mp4"],"imageUrls":["https://file.aiquickdraw.com/v/example_task_1234567890.jpg"]}}}),
    );
    let k4_snake = callback(
        FamilyEndpoint::VeoGet4k,
        json!({"code":200,"msg":"4K Video generated successfully.","data":{"task_id":"bf3e7adb-fb6c-4257-bbcd-470787386fb0","result_urls":["https://file.aiquickdraw.com/p/a.mp4"],"media_ids":["CAUa"],"image_urls":["https://tempfile.aiquickdraw.com/p/a.jpg"]}}),
    );
    for r in [&k4, &k4_snake] {
        assert_eq!(r.results.of_kind(&ResultKind::Video).count(), 1);
        assert_eq!(r.results.of_kind(&ResultKind::Thumbnail).count(), 1);
    }
    assert_eq!(k4_snake.task_id, "bf3e7adb-fb6c-4257-bbcd-470787386fb0");
    let k4_fail = callback(
        FamilyEndpoint::VeoGet4k,
        json!({"code":500,"msg":"The 4K version of this video is unavailable. Please try a different video.","data":{"taskId":"veo_task_abcdef123456"}}),
    );
    assert!(failed(500)(&k4_fail.state));
}

#[test]
fn suno_callbacks_per_stage_and_derived() {
    let item = json!({"id":"e231****-****-****-****-****8cadc7dc","audio_url":"https://example.cn/****.mp3","stream_audio_url":"https://example.cn/****","image_url":"https://example.cn/****.jpeg","prompt":"[Verse] …","model_name":"chirp-v3-5","title":"…","tags":"electrifying, rock","createTime":"2025-01-01 00:00:00","duration":198.44});
    let mut second = item.clone();
    second["id"] = json!("bd15****1873");
    second["duration"] = json!(228.28);
    let text = callback(
        FamilyEndpoint::SunoGenerate,
        json!({"code":200,"msg":"Text generation completed successfully.","data":{"callbackType":"text","task_id":"2fac****9f72","data":[]}}),
    );
    assert_eq!(
        text.state,
        FamilyTaskState::Stage {
            name: "TEXT_SUCCESS".into()
        }
    );
    assert_eq!(text.task_id, "2fac****9f72");
    let first = callback(
        FamilyEndpoint::SunoExtend,
        json!({"code":200,"msg":"First track generated successfully.","data":{"callbackType":"first","task_id":"2fac****9f72","data":[item]}}),
    );
    assert_eq!(
        first.state,
        FamilyTaskState::Stage {
            name: "FIRST_SUCCESS".into()
        }
    );
    assert_eq!(first.results.files.len(), 1);
    assert!(
        first.results.files[0].stream_url.is_some(),
        "snake_case items"
    );
    let complete = callback(
        FamilyEndpoint::SunoUploadCover,
        json!({"code":200,"msg":"All generated successfully.","data":{"callbackType":"complete","task_id":"2fac****9f72","data":[item, second]}}),
    );
    assert_eq!(complete.state, FamilyTaskState::Succeeded);
    assert_eq!(complete.results.files.len(), 2);
    assert_eq!(complete.results.files[1].duration_secs, Some(228.28));
    let error = callback(
        FamilyEndpoint::SunoGenerate,
        json!({"code":501,"msg":"…","data":{"callbackType":"error","task_id":"2fac****9f72","data":null}}),
    );
    assert!(failed(501)(&error.state));
    let refunded = callback(
        FamilyEndpoint::SunoAddVocals,
        json!({"code":531,"msg":"failed, credits refunded","data":{"callbackType":"error","task_id":"x","data":null}}),
    );
    assert!(failed(531)(&refunded.state));
    assert!(
        parse_family_callback(
            FamilyEndpoint::SunoGenerate,
            br#"{"code":200,"msg":"","data":{"callbackType":"complete","task_id":"t","data":[]}}"#
        )
        .is_err(),
        "complete without tracks"
    );

    let lyrics = callback(
        FamilyEndpoint::SunoLyrics,
        json!({"code":200,"msg":"All generated successfully.","data":{"callbackType":"complete","task_id":"3b66882fde0a5d398bd269cab6d9542b","data":[{"text":"[Verse]\n…","title":"…","status":"complete","error_message":""}]}}),
    );
    assert_eq!(lyrics.results.texts.len(), 1);
    let lyrics_fail = callback(
        FamilyEndpoint::SunoLyrics,
        json!({"code":501,"msg":"…","data":{"callbackType":"error","task_id":"…","data":null}}),
    );
    assert!(failed(501)(&lyrics_fail.state));

    let wav = callback(
        FamilyEndpoint::SunoWav,
        json!({"code":200,"msg":"success","data":{"audio_wav_url":"https://example.com/s/04e6****e727.wav","task_id":"988e****c8d3"}}),
    );
    assert_eq!(wav.results.files[0].kind, ResultKind::Audio);
    let wav_fail = callback(
        FamilyEndpoint::SunoWav,
        json!({"code":501,"msg":"…","data":{"audio_wav_url":null,"task_id":"988e****c8d3"}}),
    );
    assert!(failed(501)(&wav_fail.state));

    let two = callback(
        FamilyEndpoint::SunoVocalRemoval,
        json!({"code":200,"msg":"vocal Removal generated successfully.","data":{"task_id":"3e63b4cc88d52611159371f6af5571e7","vocal_removal_info":{"instrumental_url":"https://file.aiquickdraw.com/s/a_Instrumental.mp3","origin_url":"","vocal_url":"https://file.aiquickdraw.com/s/a_Vocals.mp3"}}}),
    );
    assert_eq!(two.results.files.len(), 2);
    let stems = callback(
        FamilyEndpoint::SunoVocalRemoval,
        json!({"code":200,"msg":"vocal Removal generated successfully.","data":{"task_id":"e649edb7abfd759285bd41a47a634b10","vocal_removal_info":{"origin_url":"","vocal_url":"https://x/v.mp3","backing_vocals_url":"https://x/bv.mp3","drums_url":"https://x/d.mp3","bass_url":"https://x/b.mp3","guitar_url":"https://x/g.mp3","keyboard_url":"https://x/k.mp3","percussion_url":"https://x/p.mp3","strings_url":"https://x/s.mp3","synth_url":"https://x/sy.mp3","fx_url":"https://x/fx.mp3","brass_url":"https://x/br.mp3","woodwinds_url":"https://x/w.mp3"}}}),
    );
    assert_eq!(stems.results.files.len(), 12);
    assert!(
        stems
            .results
            .files
            .iter()
            .any(|f| f.kind == ResultKind::Stem("backing_vocals".into()))
    );
    let sep_fail = callback(
        FamilyEndpoint::SunoVocalRemoval,
        json!({"code":501,"msg":"…","data":{"task_id":"t","vocal_removal_info":null}}),
    );
    assert!(failed(501)(&sep_fail.state));

    let midi = callback(
        FamilyEndpoint::SunoMidi,
        json!({"code":200,"msg":"success","data":{"taskId":"5c79****be8e","state":"complete","instruments":[{"name":"Drums","notes":[{"pitch":73,"start":"0.036458333333333336","end":0.18229166666666666,"velocity":1}]}]}}),
    );
    assert_eq!(midi.task_id, "5c79****be8e");
    assert!(midi.results.data.is_some());
    assert!(failed(500)(
        &callback(
            FamilyEndpoint::SunoMidi,
            json!({"code":500,"msg":"MIDI generation failed","data":{"taskId":"5c79****be8e"}})
        )
        .state
    ));

    let cover = callback(
        FamilyEndpoint::SunoCoverArt,
        json!({"code":200,"msg":"success","data":{"taskId":"21aee3c3c2a01fa5e030b3799fa4dd56","images":["https://tempfile.aiquickdraw.com/s/1.png","https://tempfile.aiquickdraw.com/s/2.png"]}}),
    );
    assert_eq!(cover.results.files.len(), 2);
}

#[test]
fn runway_aleph_flux_gpt4o_midjourney_callbacks() {
    let rw = callback(
        FamilyEndpoint::RunwayGenerate,
        json!({"code":200,"msg":"All generated successfully.","data":{"task_id":"ee603959-debb-48d1-98c4-a6d1c717eba6","video_id":"485da89c-7fca-4340-8c04-101025b2ae71","video_url":"https://file.com/k/xxxxxxx.mp4","image_url":"https://file.com/m/xxxxxxxx.png"}}),
    );
    assert_eq!(rw.task_id, "ee603959-debb-48d1-98c4-a6d1c717eba6");
    assert_eq!(
        rw.results.files[0].id.as_deref(),
        Some("485da89c-7fca-4340-8c04-101025b2ae71")
    );
    for body in [
        json!({"code":400,"msg":"Inappropriate content detected. Please replace the image or video.","data":{"task_id":"ee60","video_id":"","video_url":"","image_url":""}}),
        json!({"code":400,"msg":"Get image info failed.","data":{"task_id":"ee60"}}),
    ] {
        let r = callback(FamilyEndpoint::RunwayExtend, body);
        assert!(failed(400)(&r.state));
        assert!(r.results.is_empty());
    }

    let aleph_top = callback(
        FamilyEndpoint::AlephGenerate,
        json!({"code":200,"msg":"success","data":{"result_video_url":"https://file.com/k/xxxxxxx.mp4","result_image_url":"https://file.com/m/xxxxxxxx.png"},"taskId":"ee603959-debb-48d1-98c4-a6d1c717eba6"}),
    );
    let aleph_runway_shape = callback(
        FamilyEndpoint::AlephGenerate,
        json!({"code":200,"msg":"All generated successfully.","data":{"image_url":"https://file.com/m/xxxxxxxx.png","task_id":"ee603959-debb-48d1-98c4-a6d1c717eba6","video_id":"485da89c","video_url":"https://file.com/k/xxxxxxx.mp4"}}),
    );
    for r in [&aleph_top, &aleph_runway_shape] {
        assert_eq!(r.task_id, "ee603959-debb-48d1-98c4-a6d1c717eba6");
        assert_eq!(
            r.results.files[0].url.as_str(),
            "https://file.com/k/xxxxxxx.mp4"
        );
    }
    let aleph_fail = callback(
        FamilyEndpoint::AlephGenerate,
        json!({"code":400,"msg":"Your prompt was caught by our AI moderator. Please adjust it and try again!","data":null,"taskId":"ee60"}),
    );
    assert!(failed(400)(&aleph_fail.state));

    let flux = callback(
        FamilyEndpoint::FluxKontextGenerate,
        json!({"code":200,"msg":"BFL image generated successfully.","data":{"taskId":"task12345","info":{"originImageUrl":"https://example.com/original.jpg","resultImageUrl":"https://example.com/result.jpg"}}}),
    );
    assert_eq!(flux.results.of_kind(&ResultKind::Image).count(), 1);
    let flux_fail = callback(
        FamilyEndpoint::FluxKontextGenerate,
        json!({"code":400,"msg":"Your prompt was flagged by Website as violating content policies","data":{"taskId":"task12345","info":{"originImageUrl":"","resultImageUrl":""}}}),
    );
    assert!(failed(400)(&flux_fail.state));
    assert!(flux_fail.results.is_empty());

    let img = callback(
        FamilyEndpoint::Gpt4oImageGenerate,
        json!({"code":200,"msg":"success","data":{"taskId":"task12345","info":{"result_urls":["https://example.com/result/image1.png"]}}}),
    );
    assert_eq!(
        urls(&img),
        vec![(
            ResultKind::Image,
            "https://example.com/result/image1.png".into()
        )]
    );
    let img_fail = callback(
        FamilyEndpoint::Gpt4oImageGenerate,
        json!({"code":400,"msg":"Your content was flagged by OpenAI as violating content policies","data":{"taskId":"task12345","info":null}}),
    );
    assert!(failed(400)(&img_fail.state));

    let mj = callback(
        FamilyEndpoint::MjGenerate,
        json!({"code":200,"msg":"success","data":{"taskId":"mj_task_12345","promptJson":"{\"prompt\":\"a beautiful landscape\",\"model\":\"midjourney\"}","resultUrls":["https://example.com/mj_result1.png","https://example.com/mj_result2.png","https://example.com/mj_result3.png","https://example.com/mj_result4.png"]}}),
    );
    assert_eq!(mj.results.of_kind(&ResultKind::Image).count(), 4);
    let mj_fail = callback(
        FamilyEndpoint::MjUpscale,
        json!({"code":500,"msg":"Image generation failed","data":{"taskId":"mj_task_12345","promptJson":"{}","resultUrls":[]}}),
    );
    assert!(failed(500)(&mj_fail.state));
    assert!(
        parse_family_callback(FamilyEndpoint::MjVary, b"{\"code\":200,\"data\":{}}").is_err(),
        "no taskId"
    );
    assert!(parse_family_callback(FamilyEndpoint::MjVary, b"not json").is_err());
}

#[test]
fn family_callbacks_verify_with_the_market_signature() {
    // Kie signs taskId + "." + timestamp; Suno/Runway carry it as data.task_id, Aleph at the
    // top level: the parsed task_id is what the signature covers.
    for (endpoint, body) in [
        (
            FamilyEndpoint::SunoGenerate,
            json!({"code":200,"msg":"","data":{"callbackType":"text","task_id":"2fac9f72","data":[]}}),
        ),
        (
            FamilyEndpoint::AlephGenerate,
            json!({"code":400,"msg":"x","data":null,"taskId":"2fac9f72"}),
        ),
        (
            FamilyEndpoint::VeoGenerate,
            json!({"code":400,"msg":"x","data":{"taskId":"2fac9f72"}}),
        ),
    ] {
        let r = callback(endpoint, body);
        let sig = sign(b"hmac", "2fac9f72", 1000);
        assert_eq!(
            verify_signature(b"hmac", &r.task_id, Some("1000"), Some(&sig), 1001, 300),
            SignatureCheck::Valid
        );
        assert_eq!(
            verify_signature(b"hmac", "other", Some("1000"), Some(&sig), 1001, 300),
            SignatureCheck::Mismatch
        );
    }
}

#[test]
fn family_only_codes_that_prove_nothing_was_created() {
    for code in [405, 430, 550] {
        let e = remap_create_error(KieError::new("x", ErrorKind::Rejected, Some(code), "busy"));
        assert_eq!(e.kind, ErrorKind::Unavailable, "{code}");
    }
    for code in [400, 402, 409, 413, 422, 451, 501] {
        let e = remap_create_error(KieError::new("x", ErrorKind::Rejected, Some(code), "no"));
        assert_eq!(e.kind, ErrorKind::Rejected, "{code}");
    }
    let amb = remap_create_error(KieError::new("x", ErrorKind::Ambiguous, Some(550), "?"));
    assert_eq!(
        amb.kind,
        ErrorKind::Ambiguous,
        "an ambiguous create stays ambiguous"
    );
}

// ---------- HTTP: a tiny scripted Kie ----------

#[derive(Clone)]
struct Step {
    status: u16,
    body: Value,
    delay: Duration,
}

fn step(status: u16, body: Value) -> Step {
    Step {
        status,
        body,
        delay: Duration::ZERO,
    }
}

#[derive(Clone)]
struct Script {
    steps: Arc<std::sync::Mutex<std::collections::VecDeque<Step>>>,
    hits: Arc<AtomicUsize>,
    paths: Arc<std::sync::Mutex<Vec<String>>>,
}

async fn serve(steps: Vec<Step>) -> (Url, Script) {
    use axum::extract::State;
    use axum::http::{StatusCode, Uri};
    let script = Script {
        steps: Arc::new(std::sync::Mutex::new(steps.into())),
        hits: Arc::new(AtomicUsize::new(0)),
        paths: Arc::new(std::sync::Mutex::new(Vec::new())),
    };
    async fn answer(State(s): State<Script>, uri: Uri) -> (StatusCode, axum::Json<Value>) {
        s.hits.fetch_add(1, Ordering::SeqCst);
        s.paths.lock().unwrap().push(uri.to_string());
        let next = s.steps.lock().unwrap().pop_front();
        let next = next.unwrap_or_else(|| {
            step(
                200,
                json!({"code":200,"msg":"success","data":{"taskId":"again"}}),
            )
        });
        tokio::time::sleep(next.delay).await;
        (
            StatusCode::from_u16(next.status).unwrap(),
            axum::Json(next.body),
        )
    }
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (Url::parse(&format!("http://{addr}")).unwrap(), script)
}

fn client(base: Url) -> KieClient {
    let mut cfg = KieConfig::new(ApiKey::new("secret-key"))
        .with_base(base)
        .with_time_scale(1000);
    cfg.create_timeout = Duration::from_millis(300);
    cfg.query_timeout = Duration::from_millis(300);
    KieClient::new(cfg).unwrap()
}

fn veo_req() -> FamilyRequest {
    VeoGenerate {
        prompt: "a cat".into(),
        ..VeoGenerate::default()
    }
    .to_request()
    .unwrap()
}

#[tokio::test]
async fn a_family_create_is_sent_once_and_returns_its_task_id() {
    let (base, script) = serve(vec![step(
        200,
        json!({"code":200,"msg":"success","data":{"taskId":"veo_task_abcdef123456"}}),
    )])
    .await;
    let kie = client(base);
    let created = kie.create_family_task(&veo_req()).await.unwrap();
    assert_eq!(created.task_id, "veo_task_abcdef123456");
    assert_eq!(script.hits.load(Ordering::SeqCst), 1);
    assert_eq!(script.paths.lock().unwrap()[0], "/api/v1/veo/generate");
    assert_eq!(
        kie.stats().creates.load(Ordering::Relaxed),
        1,
        "counted as a create"
    );
}

#[tokio::test]
async fn an_ambiguous_family_create_is_never_resent() {
    // A gateway error after receipt, a time-out after receipt, a success without an id.
    let slow = Step {
        delay: Duration::from_millis(1000),
        ..step(
            200,
            json!({"code":200,"msg":"success","data":{"taskId":"late"}}),
        )
    };
    for first in [
        step(500, json!({"code":500,"msg":"Internal Server Error"})),
        step(502, json!({})),
        slow,
        step(200, json!({"code":200,"msg":"success","data":{}})),
    ] {
        let (base, script) = serve(vec![first]).await;
        let err = client(base)
            .create_family_task(&veo_req())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Ambiguous, "{err}");
        assert_eq!(script.hits.load(Ordering::SeqCst), 1, "sent once: {err}");
    }
}

#[tokio::test]
async fn a_family_create_is_resent_only_when_nothing_was_created() {
    // 429 and 455 prove nothing was created: retried, then the task is made once.
    let (base, script) = serve(vec![
        step(429, json!({"code":429,"msg":"rate limited"})),
        step(200, json!({"code":455,"msg":"maintenance"})),
        step(
            200,
            json!({"code":200,"msg":"success","data":{"taskId":"t1"}}),
        ),
    ])
    .await;
    let created = client(base).create_family_task(&veo_req()).await.unwrap();
    assert_eq!(created.task_id, "t1");
    assert_eq!(script.hits.load(Ordering::SeqCst), 3);

    // Final answers are not resent; 550 (4o queue full) created nothing but is not retried here.
    for (body, kind) in [
        (
            json!({"code":422,"msg":"Please enter callBackUrl.","data":null}),
            ErrorKind::Rejected,
        ),
        (
            json!({"code":402,"msg":"The current credits are insufficient. Please top up."}),
            ErrorKind::Rejected,
        ),
        (
            json!({"code":550,"msg":"queue full"}),
            ErrorKind::Unavailable,
        ),
        (json!({"code":501,"msg":"failed"}), ErrorKind::Rejected),
    ] {
        let (base, script) = serve(vec![step(200, body.clone())]).await;
        let err = client(base)
            .create_family_task(&veo_req())
            .await
            .unwrap_err();
        assert_eq!(err.kind, kind, "{body}");
        assert_eq!(script.hits.load(Ordering::SeqCst), 1, "{body}");
    }

    // A connection that never opened sent nothing: Unavailable after the retries.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = client(Url::parse(&format!("http://127.0.0.1:{port}")).unwrap())
        .create_family_task(&veo_req())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unavailable);
    assert!(!err.to_string().contains("secret-key"));
}

#[tokio::test]
async fn family_status_queries_retry_and_read_every_shape() {
    let (base, script) = serve(vec![
        step(502, json!({})),
        step(
            200,
            json!({"code":200,"msg":"success","data":{"taskId":"t","state":"generating"}}),
        ),
        step(200, json!({"code":200,"msg":"success","data":null})),
        step(
            200,
            json!({"code":200,"msg":"success","data":{"taskId":"t","status":"WEIRD"}}),
        ),
    ])
    .await;
    let kie = client(base);
    let r = kie
        .family_record(StatusEndpoint::RunwayRecordDetail, "t")
        .await
        .unwrap();
    assert_eq!(r.state, FamilyTaskState::Running { progress: None });
    assert_eq!(
        script.hits.load(Ordering::SeqCst),
        2,
        "a status query is idempotent"
    );
    assert!(script.paths.lock().unwrap()[1].starts_with("/api/v1/runway/record-detail?taskId=t"));
    let none = kie
        .family_record(StatusEndpoint::SunoRecordInfo, "nope")
        .await
        .unwrap_err();
    assert_eq!((none.kind, none.code), (ErrorKind::Rejected, Some(404)));
    let weird = kie
        .family_record(StatusEndpoint::SunoRecordInfo, "t")
        .await
        .unwrap_err();
    assert_eq!(weird.kind, ErrorKind::Invalid);
    assert_eq!(kie.stats().status_queries.load(Ordering::Relaxed), 4);
}

#[tokio::test]
async fn veo_1080p_waits_while_processing() {
    let (base, script) = serve(vec![
        step(200, json!({"code":400,"msg":"1080P is processing. It should be ready in 1-2 minutes. Please check back shortly.","data":null})),
        step(200, json!({"code":200,"msg":"success","data":{"resultUrl":"https://tempfile.aiquickdraw.com/p/42f4f8facbb040c0ade87c27cb2d5e58_1749711595.mp4"}})),
        step(200, json!({"code":422,"msg":"record status is not success","data":null})),
    ])
    .await;
    let kie = client(base);
    assert_eq!(kie.veo_1080p("t", 0).await.unwrap(), None);
    let url = kie.veo_1080p("t", 0).await.unwrap().unwrap();
    assert!(url.as_str().ends_with(".mp4"));
    assert_eq!(kie.veo_1080p("t", 0).await.unwrap_err().code, Some(422));
    assert!(script.paths.lock().unwrap()[0].contains("index=0"));
}

#[tokio::test]
async fn family_and_market_creates_share_one_window() {
    let (base, _script) = serve(vec![]).await;
    let mut cfg = KieConfig::new(ApiKey::new("k")).with_base(base);
    cfg.create_limit = crate::RateLimit {
        max: 1,
        window: Duration::from_millis(400),
        margin: Duration::ZERO,
    };
    let kie = KieClient::new(cfg).unwrap();
    let begin = std::time::Instant::now();
    kie.create_task(&crate::CreateTask {
        model: "m".into(),
        input: Map::new(),
        callback_url: None,
    })
    .await
    .unwrap();
    kie.create_family_task(&veo_req()).await.unwrap();
    assert!(
        begin.elapsed() >= Duration::from_millis(400),
        "the family create waited its turn"
    );
}
