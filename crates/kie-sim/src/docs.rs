//! Kie's documented model inputs (`data/kie-api-inputs.json`, a copy of the shared reference) and
//! the check of a createTask `input` against them.
//!
//! This module must never consult our own registry: the simulator knows models only from Kie's
//! documentation, so that a drift between our registry and Kie (a typo in a field name, a number
//! where Kie wants a string) is caught by tests instead of by Kie in production.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The copy of `shared/kie-api-inputs.json` compiled into the crate.
const BUNDLED: &str = include_str!("../data/kie-api-inputs.json");

/// A model's output family, as the docs file classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Still images (results are PNG files in the simulator).
    Image,
    /// Videos (results are MP4 files).
    Video,
    /// Audio (results are MP3 files; speech-to-text returns text instead).
    Audio,
}

/// The JSON type of one documented input parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum InputType {
    /// A JSON string.
    #[serde(rename = "string")]
    String,
    /// `true` or `false`.
    #[serde(rename = "boolean")]
    Boolean,
    /// A JSON number with no fractional part (`5` or `5.0`, not `5.5` and not `"5"`).
    #[serde(rename = "integer")]
    Integer,
    /// Any JSON number.
    #[serde(rename = "number")]
    Number,
    /// An array of strings.
    #[serde(rename = "array<string>")]
    ArrayOfStrings,
    /// An array of objects.
    #[serde(rename = "array<object>")]
    ArrayOfObjects,
    /// An array of arrays.
    #[serde(rename = "array<array>")]
    ArrayOfArrays,
}

impl InputType {
    /// The name the docs file uses for this type.
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::String => "string",
            InputType::Boolean => "boolean",
            InputType::Integer => "integer",
            InputType::Number => "number",
            InputType::ArrayOfStrings => "array<string>",
            InputType::ArrayOfObjects => "array<object>",
            InputType::ArrayOfArrays => "array<array>",
        }
    }
}

/// One documented input parameter of a model.
#[derive(Debug, Clone, Deserialize)]
pub struct InputDoc {
    /// Field name inside `input`.
    pub name: String,
    /// Its JSON type.
    #[serde(rename = "type")]
    pub ty: InputType,
    /// Whether the docs mark it required.
    pub required: bool,
    /// Allowed values, compared as JSON values (`"5"` and `5` differ).
    #[serde(rename = "enum", default)]
    pub enum_values: Option<Vec<Value>>,
    /// A note that the enum is not exhaustive (e.g. voice names accepted besides the listed ids);
    /// when present the enum is advisory and not enforced.
    #[serde(default)]
    pub enum_note: Option<String>,
    /// The documented default (`None` when the docs give none).
    #[serde(default)]
    pub default: Option<Value>,
    /// Inclusive lower bound for numbers.
    #[serde(default)]
    pub min: Option<f64>,
    /// Inclusive upper bound for numbers.
    #[serde(default)]
    pub max: Option<f64>,
    /// Maximum length of a string, in characters.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// Maximum number of array items.
    #[serde(default)]
    pub max_items: Option<usize>,
    /// Free text from the docs.
    #[serde(default)]
    pub description: String,
}

impl InputDoc {
    /// Whether a request must carry this field. Kie applies documented defaults, so a field the
    /// docs mark required but give a non-null default for may be left out.
    pub fn must_be_given(&self) -> bool {
        self.required && self.default.is_none()
    }

    /// `needed`: whether this request must carry the field ([`InputDoc::must_be_given`], unless
    /// a [`CONDITIONAL`] requirement does not apply to it).
    fn check(&self, value: &Value, needed: bool, problems: &mut Vec<String>) {
        let field = format!("input.{}", self.name);
        if let Some(problem) = type_problem(self.ty, value) {
            problems.push(format!("{field}{problem}"));
            return;
        }
        // An empty prompt or an empty list of images for a field that has to be given is as good
        // as a missing one.
        let empty = match value {
            Value::String(s) => s.trim().is_empty(),
            Value::Array(a) => a.is_empty(),
            _ => false,
        };
        if empty && needed {
            problems.push(format!("{field}: must not be empty"));
        }
        if let (Some(allowed), None) = (&self.enum_values, &self.enum_note) {
            let items: Vec<&Value> = match value {
                Value::Array(a) => a.iter().collect(),
                v => vec![v],
            };
            for item in items {
                if !allowed.is_empty() && !allowed.iter().any(|a| json_eq(a, item)) {
                    problems.push(format!(
                        "{field}: {} is not one of {}",
                        render(item),
                        Value::Array(allowed.clone())
                    ));
                }
            }
        }
        if let Some(n) = value.as_f64() {
            if let Some(min) = self.min.filter(|min| n < *min) {
                problems.push(format!("{field}: {} is less than min {min}", render(value)));
            }
            if let Some(max) = self.max.filter(|max| n > *max) {
                problems.push(format!(
                    "{field}: {} is greater than max {max}",
                    render(value)
                ));
            }
        }
        if let (Some(limit), Value::String(s)) = (self.max_length, value) {
            let len = s.chars().count();
            if len > limit {
                problems.push(format!("{field}: length {len} exceeds max_length {limit}"));
            }
        }
        if let (Some(limit), Value::Array(a)) = (self.max_items, value)
            && a.len() > limit
        {
            problems.push(format!(
                "{field}: {} items exceed max_items {limit}",
                a.len()
            ));
        }
    }
}

/// One model as Kie documents it.
#[derive(Debug, Clone, Deserialize)]
pub struct ModelDoc {
    /// The Kie model id, e.g. `google/nano-banana`.
    pub model_id: String,
    /// Output family.
    pub category: Category,
    /// The documented endpoint (always the Market createTask for the bundled file).
    #[serde(default)]
    pub endpoint: String,
    /// Documented input parameters, in the docs' order.
    pub inputs: Vec<InputDoc>,
    /// Kie's price description (free text).
    #[serde(default)]
    pub price_note: String,
}

impl ModelDoc {
    /// The documented parameter called `name`.
    pub fn input(&self, name: &str) -> Option<&InputDoc> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// Every problem with `input`, each naming the field and the rule, e.g.
    /// `input.duration: 7 is not one of ["5","10"]` or `input.foo: unknown field`. Documented
    /// fields come first in the docs' order, then unknown fields in request order. A JSON `null`
    /// counts as an absent field.
    pub fn validate(&self, input: &Map<String, Value>) -> Vec<String> {
        let mut problems = Vec::new();
        for doc in &self.inputs {
            let needed = doc.must_be_given() && self.applies(&doc.name, input);
            match input.get(&doc.name).filter(|v| !v.is_null()) {
                Some(value) => doc.check(value, needed, &mut problems),
                None if needed => {
                    problems.push(format!("input.{}: required field is missing", doc.name));
                }
                None => {}
            }
        }
        for key in input.keys() {
            if self.input(key).is_none() {
                problems.push(format!("input.{key}: unknown field"));
            }
        }
        problems
    }

    /// Whether a required field applies to this request: true unless [`CONDITIONAL`] ties it to
    /// a mode the request is not in.
    fn applies(&self, field: &str, input: &Map<String, Value>) -> bool {
        CONDITIONAL
            .iter()
            .find(|c| c.model == self.model_id && c.field == field)
            .is_none_or(|c| c.when.holds(input))
    }

    /// Whether the model transcribes audio to text (its result is a `resultObject`, not files).
    pub fn is_speech_to_text(&self) -> bool {
        self.model_id.contains("speech-to-text")
    }
}

/// A field the docs data marks `required` (with no default) whose own documentation makes it
/// required only in one mode of the model.
struct Conditional {
    model: &'static str,
    field: &'static str,
    when: When,
}

/// When a [`Conditional`] field is required.
enum When {
    /// Another field is given with this boolean value.
    FieldIs(&'static str, bool),
    /// The prompt (or a shot's prompt in `multi_prompt`) names an element as `@name`.
    PromptNamesElement,
}

impl When {
    fn holds(&self, input: &Map<String, Value>) -> bool {
        match self {
            When::FieldIs(field, value) => input.get(*field) == Some(&Value::Bool(*value)),
            When::PromptNamesElement => {
                let shots = input.get("multi_prompt").and_then(Value::as_array);
                std::iter::once(input.get("prompt"))
                    .chain(shots.into_iter().flatten().map(|s| s.get("prompt")))
                    .filter_map(|p| p?.as_str())
                    .any(names_element)
            }
        }
    }
}

/// `@` followed by a name character, as Kie's `@element_name` references are written.
fn names_element(prompt: &str) -> bool {
    prompt.split('@').skip(1).any(|rest| {
        rest.chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The only exceptions to "a required field with no default must be given, non-empty".
///
/// The data file (`shared/kie-api-inputs.json`) marks kling-3.0/video's `multi_prompt` and
/// `kling_elements` required with no default, and contradicts itself: `multi_prompt` is described
/// as "Per-shot prompts/durations when multi_shots=true", and Kie's page for the model
/// (docs.kie.ai/market/kling/kling-3.0; `shared/kie-api.md` §8 marks neither required) describes
/// single-shot mode (`multi_shots: false`, the `prompt` field) without shots, and
/// `kling_elements` as the definitions of the elements a prompt names with `@element_name`. Read
/// literally, the data would refuse every ordinary single-shot request, which Kie accepts.
///
/// So each listed field is required exactly when its mode is on, and then as strictly as any
/// other required field (present and non-empty). Types, `max_items` and unknown-field checks
/// still apply in every mode, and every other `required` in the data is enforced as written.
/// Add to this list only with the same kind of evidence from Kie's own documentation.
const CONDITIONAL: &[Conditional] = &[
    Conditional {
        model: "kling-3.0/video",
        field: "multi_prompt",
        when: When::FieldIs("multi_shots", true),
    },
    Conditional {
        model: "kling-3.0/video",
        field: "kling_elements",
        when: When::PromptNamesElement,
    },
];

/// Kie's documented models, looked up by id.
#[derive(Debug, Clone)]
pub struct KieDocs {
    models: Vec<ModelDoc>,
    index: HashMap<String, usize>,
}

impl KieDocs {
    /// Parses a docs file in the `kie-api-inputs.json` format (a JSON list of models).
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let models: Vec<ModelDoc> =
            serde_json::from_str(text).context("parsing the Kie model inputs")?;
        let mut index = HashMap::new();
        for (i, m) in models.iter().enumerate() {
            if index.insert(m.model_id.clone(), i).is_some() {
                anyhow::bail!("model {} is listed twice", m.model_id);
            }
        }
        Ok(KieDocs { models, index })
    }

    /// Loads a docs file from disk.
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::from_json(&text).with_context(|| format!("in {}", path.display()))
    }

    /// The copy compiled into the crate (`data/kie-api-inputs.json`).
    pub fn bundled() -> Self {
        // The file is part of the crate and parsed by a unit test, so a failure here is a build
        // defect, not a run-time condition.
        Self::from_json(BUNDLED).expect("the bundled kie-api-inputs.json parses")
    }

    /// The model with this id.
    pub fn model(&self, model_id: &str) -> Option<&ModelDoc> {
        self.index.get(model_id).map(|&i| &self.models[i])
    }

    /// All models, in file order.
    pub fn models(&self) -> &[ModelDoc] {
        &self.models
    }
}

/// `Some(": expected …")` when `value` does not have type `ty`.
fn type_problem(ty: InputType, value: &Value) -> Option<String> {
    let ok = match ty {
        InputType::String => value.is_string(),
        InputType::Boolean => value.is_boolean(),
        InputType::Integer => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        InputType::Number => value.is_number(),
        InputType::ArrayOfStrings | InputType::ArrayOfObjects | InputType::ArrayOfArrays => {
            let Some(items) = value.as_array() else {
                return Some(format!(
                    ": expected {}, got {} {}",
                    ty.as_str(),
                    json_type(value),
                    render(value)
                ));
            };
            let (want, good): (&str, fn(&Value) -> bool) = match ty {
                InputType::ArrayOfStrings => ("string", Value::is_string),
                InputType::ArrayOfObjects => ("object", Value::is_object),
                _ => ("array", Value::is_array),
            };
            return items
                .iter()
                .enumerate()
                .find(|(_, v)| !good(v))
                .map(|(i, v)| {
                    format!("[{i}]: expected {want}, got {} {}", json_type(v), render(v))
                });
        }
    };
    (!ok).then(|| {
        format!(
            ": expected {}, got {} {}",
            ty.as_str(),
            json_type(value),
            render(value)
        )
    })
}

/// JSON equality where numbers compare by value (`1` equals `1.0`) but types never mix.
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The value as compact JSON, cut short so a 20 000-character prompt cannot flood a message.
fn render(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(model: &str, input: Value) -> Vec<String> {
        let docs = KieDocs::bundled();
        docs.model(model)
            .unwrap()
            .validate(input.as_object().unwrap())
    }

    #[test]
    fn bundled_docs_parse_with_all_112_models() {
        assert_eq!(KieDocs::bundled().models().len(), 112);
    }

    #[test]
    fn string_enum_given_a_number_is_a_type_error() {
        let p = problems(
            "kling/v2-1-master-text-to-video",
            json!({"prompt": "x", "duration": 5}),
        );
        assert_eq!(p, vec!["input.duration: expected string, got number 5"]);
    }

    #[test]
    fn enum_membership_names_the_allowed_values() {
        let p = problems(
            "kling/v2-1-master-text-to-video",
            json!({"prompt": "x", "duration": "7"}),
        );
        assert_eq!(p, vec![r#"input.duration: "7" is not one of ["5","10"]"#]);
    }

    #[test]
    fn problems_are_collected() {
        let p = problems(
            "google/nano-banana",
            json!({"output_format": "gif", "foo": 1}),
        );
        assert_eq!(
            p,
            vec![
                "input.prompt: required field is missing",
                r#"input.output_format: "gif" is not one of ["png","jpeg"]"#,
                "input.foo: unknown field",
            ]
        );
    }

    #[test]
    fn bounds_lengths_and_items() {
        let p = problems(
            "elevenlabs/text-to-speech-multilingual-v2",
            json!({"text": "a".repeat(5001), "voice": "Rachel", "stability": 1.5}),
        );
        assert_eq!(
            p,
            vec![
                "input.text: length 5001 exceeds max_length 5000",
                "input.stability: 1.5 is greater than max 1",
            ],
            "the voice enum carries an enum_note, so preset names pass"
        );
        let urls: Vec<String> = (0..11).map(|i| format!("https://x/{i}.png")).collect();
        let p = problems(
            "google/nano-banana-edit",
            json!({"prompt": "x", "image_urls": urls}),
        );
        assert_eq!(p, vec!["input.image_urls: 11 items exceed max_items 10"]);
        let p = problems(
            "google/nano-banana-edit",
            json!({"prompt": "x", "image_urls": ["a", 1]}),
        );
        assert_eq!(
            p,
            vec!["input.image_urls[1]: expected string, got number 1"]
        );
    }

    #[test]
    fn integers_and_defaults() {
        // seedream v4: seed is an integer; 5.0 is an integer, 5.5 is not.
        let ok = problems(
            "bytedance/seedream-v4-text-to-image",
            json!({"prompt": "x", "seed": 5.0}),
        );
        assert!(ok.is_empty(), "{ok:?}");
        let bad = problems(
            "bytedance/seedream-v4-text-to-image",
            json!({"prompt": "x", "seed": 5.5}),
        );
        assert_eq!(bad, vec!["input.seed: expected integer, got number 5.5"]);
        // flux-2: aspect_ratio and resolution are required but have defaults, so may be omitted.
        assert!(problems("flux-2/pro-text-to-image", json!({"prompt": "abc"})).is_empty());
    }

    #[test]
    fn kling_3_shots_and_elements_are_required_only_in_their_mode() {
        let model = "kling-3.0/video";
        // Single shot, no elements named: neither is needed; empty lists are as good as absent.
        assert!(problems(model, json!({"prompt": "a fox", "multi_shots": false})).is_empty());
        assert!(
            problems(
                model,
                json!({"prompt": "a fox", "multi_shots": false, "multi_prompt": [], "kling_elements": []})
            )
            .is_empty()
        );
        // Multi-shot mode needs its shots, strictly.
        assert_eq!(
            problems(model, json!({"prompt": "a fox", "multi_shots": true})),
            vec!["input.multi_prompt: required field is missing"]
        );
        assert_eq!(
            problems(
                model,
                json!({"prompt": "a fox", "multi_shots": true, "multi_prompt": []})
            ),
            vec!["input.multi_prompt: must not be empty"]
        );
        // A prompt naming an element needs its definition; an e-mail-like "a @ b" does not.
        assert_eq!(
            problems(
                model,
                json!({"prompt": "@hero walks in", "kling_elements": []})
            ),
            vec!["input.kling_elements: must not be empty"]
        );
        assert!(problems(model, json!({"prompt": "meet a @ b"})).is_empty());
        // Types are still checked in every mode.
        assert_eq!(
            problems(model, json!({"prompt": "a fox", "multi_prompt": "x"})),
            vec![r#"input.multi_prompt: expected array<object>, got string "x""#]
        );
    }
}
