//! A wrong model file is refused with a message naming the file and the field — and every
//! problem is reported, not only the first.

use std::path::Path;

use catalog::{Catalog, LoadError};
use serde_json::{Value, json};

fn good() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../registry/models/kling__v2-1-master-text-to-video.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

const FILE: &str = "kling__v2-1-master-text-to-video.json";

fn load(v: &Value) -> Result<Catalog, LoadError> {
    Catalog::from_files([(FILE.to_string(), v.to_string())])
}

fn problems(v: &Value) -> Vec<String> {
    load(v)
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn has(ps: &[String], needle: &str) -> bool {
    ps.iter().any(|p| p.contains(needle))
}

#[test]
fn the_unchanged_file_loads() {
    assert_eq!(load(&good()).unwrap().len(), 1);
}

#[test]
fn an_untyped_parameter_is_refused() {
    let mut v = good();
    v["input_schema"]["properties"]["cfg_scale"]
        .as_object_mut()
        .unwrap()
        .remove("maximum");
    let ps = problems(&v);
    assert!(
        has(&ps, &format!("{FILE}: /input_schema/properties/cfg_scale")),
        "{ps:?}"
    );
}

#[test]
fn the_envelope_is_not_a_parameter() {
    let mut v = good();
    v["input_schema"]["properties"]["callBackUrl"] = json!({"type": "string", "maxLength": 10, "title": "x", "x-ui": {"label": {"ru": "x", "en": "x"}}});
    assert!(has(&problems(&v), "/input_schema/properties"));
}

#[test]
fn a_missing_translation_and_a_bad_price_are_both_reported() {
    let mut v = good();
    v["title"].as_object_mut().unwrap().remove("en");
    v["price"]["table"]["rows"][0]["amount"] = json!(0.8); // a float, not a decimal string
    let ps = problems(&v);
    assert!(has(&ps, "/title"), "{ps:?}");
    assert!(has(&ps, "/price/table/rows/0/amount"), "{ps:?}");
}

#[test]
fn a_price_table_must_cover_every_allowed_combination() {
    let mut v = good();
    v["price"]["table"]["rows"].as_array_mut().unwrap().pop(); // drop the 10 s row
    let ps = problems(&v);
    assert!(
        has(&ps, "no row prices the allowed combination duration=\"10\""),
        "{ps:?}"
    );
}

#[test]
fn a_row_for_a_value_the_schema_does_not_allow_is_refused() {
    let mut v = good();
    v["price"]["table"]["rows"][1]["when"]["duration"] = json!("15");
    let ps = problems(&v);
    assert!(has(&ps, "/price/table/rows/1/when/duration"), "{ps:?}");
}

#[test]
fn a_priced_parameter_must_be_marked_and_exist() {
    let mut v = good();
    v["input_schema"]["properties"]["duration"]["x-ui"]
        .as_object_mut()
        .unwrap()
        .remove("priced");
    assert!(has(
        &problems(&v),
        "/input_schema/properties/duration/x-ui/priced"
    ));
    let mut v = good();
    v["price"]["per"] =
        json!([{"kind": "param", "param": "frames", "unit": {"ru": "к", "en": "f"}}]);
    assert!(has(&problems(&v), "/price/per/0"));
}

#[test]
fn an_example_that_does_not_validate_is_refused() {
    let mut v = good();
    v["example"]["prompt"] = json!("");
    assert!(has(&problems(&v), "/example/prompt"));
}

#[test]
fn a_file_named_for_another_id_and_a_duplicate_id_are_refused() {
    let v = good();
    let e = Catalog::from_files([("other.json".to_string(), v.to_string())]).unwrap_err();
    assert!(e.to_string().contains("must be named"), "{e}");
    let e = Catalog::from_files([
        (FILE.to_string(), v.to_string()),
        (FILE.to_string(), v.to_string()),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("also used by"), "{e}");
}

#[test]
fn invalid_json_names_the_file() {
    let e = Catalog::from_files([(FILE.to_string(), "{ not json".to_string())]).unwrap_err();
    assert!(
        e.to_string().contains(FILE) && e.to_string().contains("not valid JSON"),
        "{e}"
    );
}

fn family() -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../registry/models/veo3__fast-text-to-video.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

const FAMILY_FILE: &str = "veo3__fast-text-to-video.json";

fn family_problems(v: &Value) -> Vec<String> {
    Catalog::from_files([(FAMILY_FILE.to_string(), v.to_string())])
        .unwrap_err()
        .problems
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_family_file_loads_with_its_api_and_endpoint() {
    let c = Catalog::from_files([(FAMILY_FILE.to_string(), family().to_string())]).unwrap();
    let m = c.get("veo3/fast-text-to-video").unwrap();
    assert_eq!(
        m.api,
        catalog::Api::Family {
            family: "veo".into(),
            endpoint: "/api/v1/veo/generate".into()
        }
    );
    assert!(!m.api.is_market());
    assert!(!m.enabled);
    let market = load(&good()).unwrap();
    assert_eq!(market.models()[0].api, catalog::Api::Market);
}

#[test]
fn a_family_file_without_endpoint_is_refused() {
    let mut v = family();
    v.as_object_mut().unwrap().remove("endpoint");
    let ps = family_problems(&v);
    assert!(has(&ps, FAMILY_FILE), "{ps:?}");
    assert!(has(&ps, "endpoint"), "{ps:?}");
}

#[test]
fn a_market_file_with_an_endpoint_is_refused() {
    let mut v = good();
    v["endpoint"] = json!("/api/v1/veo/generate");
    let ps = problems(&v);
    assert!(has(&ps, FILE), "{ps:?}");
}

#[test]
fn an_unknown_api_or_endpoint_is_refused() {
    let mut v = family();
    v["api"] = json!("sora");
    assert!(!family_problems(&v).is_empty());
    let mut v = family();
    v["endpoint"] = json!("/api/v1/veo/nonsense");
    assert!(has(&family_problems(&v), "/endpoint"));
}

#[test]
fn a_market_model_cannot_take_model_as_a_parameter_but_a_family_model_can() {
    let mut v = good();
    v["input_schema"]["properties"]["model"] = json!({"type": "string", "enum": ["a"], "title": "x", "x-ui": {"label": {"ru": "x", "en": "x"}}});
    assert!(has(&problems(&v), FILE));
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/models/suno__generate.json");
    let suno = std::fs::read_to_string(p).unwrap();
    let c = Catalog::from_files([("suno__generate.json".to_string(), suno)]).unwrap();
    assert!(c.get("suno/generate").unwrap().param("model").is_some());
}
