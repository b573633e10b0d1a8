//! Checking a user's parameters against a model's input schema.

use std::collections::BTreeMap;

use jsonschema::error::ValidationErrorKind;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::Model;

/// Parameters that passed a model's input schema, with defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidatedInput {
    model_id: String,
    params: Map<String, Value>,
    media: BTreeMap<String, Decimal>,
}

impl ValidatedInput {
    /// The model these parameters are for.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The parameters, defaults included.
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// Records a measure of the file uploaded for `param` (its duration in seconds, or its size
    /// in megapixels, whichever the model's price rule bills by). Rounded up when priced.
    pub fn set_media_measure(&mut self, param: &str, measure: Decimal) {
        self.media.insert(param.to_string(), measure);
    }

    /// The recorded measure of the file uploaded for `param`.
    pub fn media_measure(&self, param: &str) -> Option<Decimal> {
        self.media.get(param).copied()
    }
}

/// One thing wrong with a user's input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputError {
    /// The parameter (and item) at fault, e.g. `duration` or `image_urls/1`; empty for the
    /// input as a whole.
    pub field: String,
    /// What is wrong, machine-readable.
    pub kind: InputErrorKind,
}

/// What is wrong with a field, for the UI to phrase in the user's language.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InputErrorKind {
    /// A required parameter is missing.
    Required,
    /// The model has no such parameter.
    Unknown,
    /// Wrong JSON type (e.g. text where a number belongs).
    WrongType {
        /// The expected type(s).
        expected: String,
    },
    /// Not one of the allowed values.
    NotAllowed {
        /// The allowed values.
        allowed: Vec<Value>,
    },
    /// Text too short.
    TooShort {
        /// Fewest characters.
        min: u64,
    },
    /// Text too long.
    TooLong {
        /// Most characters.
        max: u64,
    },
    /// Number too small.
    BelowMinimum {
        /// The minimum.
        min: Value,
    },
    /// Number too large.
    AboveMaximum {
        /// The maximum.
        max: Value,
    },
    /// Too few items (files).
    TooFewItems {
        /// Fewest items.
        min: u64,
    },
    /// Too many items (files).
    TooManyItems {
        /// Most items.
        max: u64,
    },
    /// Not a valid URL (or other format).
    BadFormat {
        /// The format, e.g. `uri`.
        format: String,
    },
    /// Anything else; the message is English and for logs only.
    Invalid {
        /// The validator's message.
        message: String,
    },
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {:?}",
            if self.field.is_empty() {
                "input"
            } else {
                &self.field
            },
            self.kind
        )
    }
}

fn field_of(pointer: &str) -> String {
    pointer.trim_start_matches('/').to_string()
}

impl Model {
    /// Applies the schema's defaults to missing optional parameters, then validates.
    ///
    /// Returns every problem at once (not just the first), each with its field.
    pub fn validate(&self, input: &Map<String, Value>) -> Result<ValidatedInput, Vec<InputError>> {
        let mut params = input.clone();
        if let Some(props) = self.schema.get("properties").and_then(Value::as_object) {
            for (name, s) in props {
                if let (false, Some(d)) = (params.contains_key(name), s.get("default")) {
                    params.insert(name.clone(), d.clone());
                }
            }
        }
        let value = Value::Object(params);
        let mut errors: Vec<InputError> = Vec::new();
        for e in self.validator.iter_errors(&value) {
            let field = field_of(e.instance_path().as_str());
            let kind = match e.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default().to_string();
                    errors.push(InputError {
                        field: name,
                        kind: InputErrorKind::Required,
                    });
                    continue;
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for name in unexpected {
                        errors.push(InputError {
                            field: name.clone(),
                            kind: InputErrorKind::Unknown,
                        });
                    }
                    continue;
                }
                ValidationErrorKind::Type { kind } => InputErrorKind::WrongType {
                    expected: format!("{kind:?}"),
                },
                ValidationErrorKind::Enum { options } => InputErrorKind::NotAllowed {
                    allowed: options.as_array().cloned().unwrap_or_default(),
                },
                ValidationErrorKind::Constant { expected_value } => InputErrorKind::NotAllowed {
                    allowed: vec![(**expected_value).clone()],
                },
                ValidationErrorKind::MinLength { limit } => {
                    InputErrorKind::TooShort { min: *limit }
                }
                ValidationErrorKind::MaxLength { limit } => InputErrorKind::TooLong { max: *limit },
                ValidationErrorKind::Minimum { limit }
                | ValidationErrorKind::ExclusiveMinimum { limit } => {
                    InputErrorKind::BelowMinimum { min: limit.clone() }
                }
                ValidationErrorKind::Maximum { limit }
                | ValidationErrorKind::ExclusiveMaximum { limit } => {
                    InputErrorKind::AboveMaximum { max: limit.clone() }
                }
                ValidationErrorKind::MinItems { limit } => {
                    InputErrorKind::TooFewItems { min: *limit }
                }
                ValidationErrorKind::MaxItems { limit } => {
                    InputErrorKind::TooManyItems { max: *limit }
                }
                ValidationErrorKind::Format { format } => InputErrorKind::BadFormat {
                    format: format.clone(),
                },
                _ => InputErrorKind::Invalid {
                    message: e.to_string(),
                },
            };
            errors.push(InputError { field, kind });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Value::Object(params) = value else {
            unreachable!("built from an object")
        };
        Ok(ValidatedInput {
            model_id: self.id.clone(),
            params,
            media: BTreeMap::new(),
        })
    }
}
