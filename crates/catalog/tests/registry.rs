//! The real registry loads, and its models behave as the product promises.

use std::path::Path;

use catalog::{Catalog, Category, InputErrorKind, ParamKind};
use pricing::Settings;
use rust_decimal_macros::dec;
use serde_json::{Map, Value, json};

fn registry_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry")
}

fn registry() -> Catalog {
    Catalog::load_dir(&registry_dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn settings() -> Settings {
    Settings::load(&registry_dir().join("settings.toml")).unwrap()
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[test]
fn the_registry_has_every_category_users_expect() {
    let c = registry();
    assert!(c.len() >= 80, "{} models", c.len());
    let cats: Vec<Category> = c.categories().iter().map(|c| c.category).collect();
    for want in [
        Category::Image,
        Category::ImageEdit,
        Category::Video,
        Category::Audio,
        Category::Enhance,
        Category::Avatar,
    ] {
        assert!(cats.contains(&want), "{want:?} missing");
    }
    let total: usize = c.categories().iter().map(|c| c.count).sum();
    assert_eq!(total, c.models().iter().filter(|m| m.enabled).count());
}

#[test]
fn no_model_asks_the_user_for_the_request_envelope() {
    for m in registry().models() {
        // Market: `model`, `callBackUrl` and `input` are the envelope. A family endpoint's body
        // is flat, so only `callBackUrl` is envelope there (`model` is e.g. Suno's version).
        let envelope: &[&str] = if m.api.is_market() {
            &["model", "callBackUrl", "input"]
        } else {
            &["callBackUrl"]
        };
        for p in &m.params {
            assert!(!envelope.contains(&p.name.as_str()), "{}: {}", m.id, p.name);
        }
    }
}

#[test]
fn a_category_lists_cheapest_first() {
    let c = registry();
    let s = settings();
    for cat in c.categories() {
        let prices: Vec<_> = c
            .in_category(cat.category)
            .iter()
            .map(|m| m.price_range(&s.pricing).min)
            .collect();
        assert!(
            prices.windows(2).all(|w| w[0] <= w[1]),
            "{:?}: {prices:?}",
            cat.category
        );
    }
}

#[test]
fn ten_second_1080p_costs_more_than_five_second_720p() {
    // The old bot charged a 10 s 1080p video like a 5 s 720p one.
    let c = registry();
    let s = settings();
    let m = c.get("wan/2-5-text-to-video").unwrap();
    let q = |d: &str, r: &str| {
        let v = m
            .validate(&obj(
                json!({"prompt": "a cat", "duration": d, "resolution": r}),
            ))
            .unwrap();
        m.quote(&v, &s.pricing).unwrap()
    };
    let cheap = q("5", "720p");
    let dear = q("10", "1080p");
    assert_eq!(cheap.cost_usd, dec!(0.30));
    assert_eq!(cheap.price.to_string(), "57.00"); // 0.30 × 95 × 2
    assert_eq!(dear.cost_usd, dec!(1.00));
    assert_eq!(dear.price.to_string(), "190.00");
}

#[test]
fn tts_is_billed_per_thousand_characters() {
    let c = registry();
    let s = settings();
    let m = c.get("elevenlabs/text-to-speech-multilingual-v2").unwrap();
    let text: String = "а".repeat(2000);
    let v = m.validate(&obj(json!({ "text": text }))).unwrap();
    let q = m.quote(&v, &s.pricing).unwrap();
    assert_eq!(q.cost_usd, dec!(0.12));
    assert_eq!(q.price.to_string(), "22.80");
}

#[test]
fn an_unmeasured_upload_is_billed_at_its_limit_and_a_measured_one_by_its_length() {
    let c = registry();
    let s = settings();
    let m = c.get("elevenlabs/audio-isolation").unwrap();
    let mut v = m
        .validate(&obj(json!({"audio_url": "https://files.example/a.mp3"})))
        .unwrap();
    let worst = m.quote(&v, &s.pricing).unwrap();
    assert_eq!(worst.cost_usd, dec!(0.3)); // 300 s limit × $0.001
    v.set_media_measure("audio_url", dec!(12.2));
    let q = m.quote(&v, &s.pricing).unwrap();
    assert_eq!(q.cost_usd, dec!(0.013)); // 13 started seconds
}

#[test]
fn defaults_are_applied_and_errors_name_fields_with_kinds() {
    let c = registry();
    let m = c.get("kling/v2-1-master-text-to-video").unwrap();
    let v = m.validate(&obj(json!({"prompt": "x"}))).unwrap();
    assert_eq!(v.params()["duration"], json!("5"));
    assert_eq!(v.params()["aspect_ratio"], json!("16:9"));

    let long = "x".repeat(5001);
    let errs = m
        .validate(&obj(
            json!({"prompt": long, "duration": "7", "cfg_scale": 3, "seed": 1}),
        ))
        .unwrap_err();
    let find = |f: &str| errs.iter().find(|e| e.field == f).map(|e| e.kind.clone());
    assert_eq!(find("prompt"), Some(InputErrorKind::TooLong { max: 5000 }));
    assert!(matches!(
        find("duration"),
        Some(InputErrorKind::NotAllowed { .. })
    ));
    assert!(matches!(
        find("cfg_scale"),
        Some(InputErrorKind::AboveMaximum { .. })
    ));
    assert_eq!(find("seed"), Some(InputErrorKind::Unknown));

    let errs = m.validate(&Map::new()).unwrap_err();
    assert_eq!(errs[0].field, "prompt");
    assert_eq!(errs[0].kind, InputErrorKind::Required);
}

#[test]
fn a_conditional_constraint_is_enforced() {
    // Hailuo 2.3: 1080P allows 6 seconds only; the table has no price for 1080P × 10 s.
    let c = registry();
    let m = c.get("hailuo/2-3-image-to-video-pro").unwrap();
    let base =
        json!({"prompt": "x", "image_url": "https://files.example/a.png", "resolution": "1080P"});
    let mut bad = obj(base.clone());
    bad.insert("duration".into(), json!("10"));
    let errs = m.validate(&bad).unwrap_err();
    assert_eq!(errs[0].field, "duration");
    assert!(m.validate(&obj(base)).is_ok());
}

#[test]
fn uploads_must_be_urls_and_are_typed_for_the_wizard() {
    let c = registry();
    let m = c.get("kling/ai-avatar-pro").unwrap();
    let kinds: Vec<String> = m.upload_params().map(|p| p.kind.describe()).collect();
    assert_eq!(kinds, ["upload:image", "upload:audio"]);
    assert_eq!(
        m.params[0].name, "image_url",
        "uploads come first in the wizard"
    );
    let errs = m
        .validate(&obj(json!({"image_url": "not a url", "audio_url": "https://files.example/a.mp3", "prompt": "hi"})))
        .unwrap_err();
    assert_eq!(errs[0].field, "image_url");
    assert!(matches!(errs[0].kind, InputErrorKind::BadFormat { .. }));
    match &m.param("audio_url").unwrap().kind {
        ParamKind::Upload {
            max_seconds,
            max_bytes,
            ..
        } => {
            assert_eq!(*max_seconds, Some(60));
            assert!(
                *max_bytes <= 20 * 1024 * 1024,
                "Telegram bots download at most 20 MB"
            );
        }
        k => panic!("{k:?}"),
    }
}

#[test]
fn search_finds_by_title_tag_and_id_in_either_language() {
    let c = registry();
    let hits = c.search("kling");
    assert!(hits.len() >= 10);
    assert!(
        hits.iter()
            .all(|m| m.id.contains("kling") || m.tags.iter().any(|t| t.contains("kling")))
    );
    assert!(!c.search("озвучка").is_empty());
    assert!(
        c.search("nano banana")
            .iter()
            .any(|m| m.id == "google/nano-banana")
    );
    assert!(c.search("zzzz-nothing").is_empty());
    assert!(c.search("   ").is_empty());
}

#[test]
fn free_models_are_the_five_cheapest_unless_listed() {
    let c = registry();
    let s = settings();
    let free = c.free_models(&s.free, &s.pricing);
    assert_eq!(free.len(), 5);
    let max_free = free
        .iter()
        .map(|id| c.get(id).unwrap().price_range(&s.pricing).min)
        .max()
        .unwrap();
    assert!(
        free.iter().all(|id| c.get(id).unwrap().price.confirmed),
        "auto-free never picks a preliminary price"
    );
    for m in c
        .models()
        .iter()
        .filter(|m| !free.contains(&m.id) && m.price.confirmed)
    {
        assert!(
            m.price_range(&s.pricing).min >= max_free,
            "{} is cheaper than a free model",
            m.id
        );
    }
    let mut policy = s.free.clone();
    policy.models = vec!["google/nano-banana".into(), "no/such-model".into()];
    assert_eq!(c.free_models(&policy, &s.pricing), ["google/nano-banana"]);
}

#[test]
fn kie_input_adds_fixed_inputs_the_user_never_sets() {
    let c = registry();
    let m = c.get("kling-3.0/video").unwrap();
    let v = m.validate(&obj(json!({"prompt": "x"}))).unwrap();
    let input = m.kie_input(&v);
    assert_eq!(input["multi_shots"], json!(false));
    assert!(m.param("multi_shots").is_none());
}
