//! [`Model`]: one sellable Kie model, as loaded and checked from its registry file.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use pricing::{
    PriceRange, PriceRule, PriceSettings, PricedInput, Quote, QuoteError, Text, UnitBounds,
};

use crate::input::ValidatedInput;
use crate::param::{MediaKind, Param, ParamKind};

/// What users browse by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Text to image.
    Image,
    /// Edit or transform an uploaded image.
    ImageEdit,
    /// Text or image to video.
    Video,
    /// Speech, dialogue, sound effects, audio clean-up, speech to text.
    Audio,
    /// Songs.
    Music,
    /// Upscaling and background removal.
    Enhance,
    /// Talking avatars and lip-sync.
    Avatar,
}

impl Category {
    /// Every category, in menu order.
    pub const ALL: [Category; 7] = [
        Category::Image,
        Category::ImageEdit,
        Category::Video,
        Category::Avatar,
        Category::Audio,
        Category::Music,
        Category::Enhance,
    ];

    /// The registry spelling ("image_edit").
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Image => "image",
            Category::ImageEdit => "image_edit",
            Category::Video => "video",
            Category::Audio => "audio",
            Category::Music => "music",
            Category::Enhance => "enhance",
            Category::Avatar => "avatar",
        }
    }

    /// Parses the registry spelling.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What a successful generation returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// One or more images.
    Image,
    /// A video.
    Video,
    /// An audio file.
    Audio,
    /// Text (speech to text).
    Text,
}

/// Which Kie API runs a model.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// The unified Market API (`createTask` / `recordInfo`): the only API sold today.
    Market,
    /// One of Kie's own-endpoint families. Described in the registry but not sold: the pipeline
    /// refuses these until family tasks are wired into it.
    Family {
        /// The registry spelling of the family (`veo`, `suno`, `runway`, `aleph`,
        /// `flux_kontext`, `gpt4o_image`, `midjourney`).
        family: String,
        /// The create endpoint's path on the API host (e.g. `/api/v1/veo/generate`), one of
        /// kie-client's `FamilyEndpoint::ALL` paths.
        endpoint: String,
    },
}

impl Api {
    /// Whether this is the Market API.
    pub fn is_market(&self) -> bool {
        matches!(self, Api::Market)
    }

    /// The registry spelling: `market` or the family.
    pub fn as_str(&self) -> &str {
        match self {
            Api::Market => "market",
            Api::Family { family, .. } => family,
        }
    }

    /// The family create endpoint, if any.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            Api::Market => None,
            Api::Family { endpoint, .. } => Some(endpoint),
        }
    }
}

/// The registry file as written (after the format schema accepted it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ModelFile {
    pub id: String,
    pub api: String,
    #[serde(default)]
    pub endpoint: Option<String>,
    pub category: Category,
    pub output: OutputKind,
    pub title: Text,
    pub description: Text,
    pub good_for: Text,
    pub tags: Vec<String>,
    pub enabled: bool,
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub input_schema: Value,
    #[serde(default)]
    pub fixed_input: Map<String, Value>,
    pub price: PriceRule,
    pub example: Map<String, Value>,
    pub docs: String,
}

/// One model the bot sells.
pub struct Model {
    /// Kie's model id.
    pub id: String,
    /// Which Kie API runs it (only [`Api::Market`] models are sold today).
    pub api: Api,
    /// Where users find it.
    pub category: Category,
    /// What it returns.
    pub output: OutputKind,
    /// Short product name.
    pub title: Text,
    /// What it does, for users.
    pub description: Text,
    /// Typical uses.
    pub good_for: Text,
    /// Search tags.
    pub tags: Vec<String>,
    /// False when the registry withholds it (the UI hides it).
    pub enabled: bool,
    /// Why it is withheld.
    pub disabled_reason: Option<String>,
    /// How Kie bills it.
    pub price: PriceRule,
    /// Its parameters, in wizard order (uploads, then prompt, then the rest).
    pub params: Vec<Param>,
    /// A complete sample input (sample prompt, sample upload URLs).
    pub example: Map<String, Value>,
    /// Where the inputs were documented.
    pub docs: String,
    pub(crate) schema: Value,
    pub(crate) validator: jsonschema::Validator,
    pub(crate) fixed_input: Map<String, Value>,
    pub(crate) unit_bounds: Vec<UnitBounds>,
    pub(crate) min_cost_usd: Decimal,
    pub(crate) file: String,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The registry file this model was loaded from.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The input schema (JSON Schema 2020-12) exactly as in the registry.
    pub fn input_schema(&self) -> &Value {
        &self.schema
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// The parameter the user types the main text into, if any.
    pub fn prompt_param(&self) -> Option<&Param> {
        self.params.iter().find(|p| {
            matches!(
                p.kind,
                ParamKind::Text { prompt: true, .. } | ParamKind::Dialogue { .. }
            )
        })
    }

    /// Upload parameters.
    pub fn upload_params(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|p| matches!(p.kind, ParamKind::Upload { .. }))
    }

    /// Kie's cost of the cheapest combination, in USD (settings-independent: used to sort).
    pub fn min_cost_usd(&self) -> Decimal {
        self.min_cost_usd
    }

    /// The cheapest and dearest user price: the card's "from X ₽".
    pub fn price_range(&self, settings: &PriceSettings) -> PriceRange {
        pricing::quote_range(&self.price, &self.unit_bounds, settings)
            .expect("price rules are checked at load")
    }

    /// Prices a validated input. Uploads the rule bills by (seconds, megapixels) use the
    /// measure the UI recorded with [`ValidatedInput::set_media_measure`]; an unmeasured upload
    /// is billed at its upper limit, so a price is never below cost.
    pub fn quote(
        &self,
        input: &ValidatedInput,
        settings: &PriceSettings,
    ) -> Result<Quote, QuoteError> {
        let media = self.media_quantities(input);
        pricing::quote(
            &self.price,
            PricedInput {
                params: input.params(),
                media: &media,
            },
            settings,
        )
    }

    pub(crate) fn media_quantities(&self, input: &ValidatedInput) -> BTreeMap<String, Decimal> {
        let mut out = BTreeMap::new();
        for (m, b) in self.price.per.iter().zip(&self.unit_bounds) {
            if let pricing::Multiplier::Media { param, .. } = m {
                let q = input
                    .media_measure(param)
                    .map(|raw| raw.ceil().max(Decimal::ONE))
                    .unwrap_or(b.max);
                out.insert(param.clone(), q);
            }
        }
        out
    }

    /// The `input` object to send to Kie: the user's validated parameters plus the registry's
    /// fixed inputs. (The request envelope — `model`, `callBackUrl` — is the client's business.)
    pub fn kie_input(&self, input: &ValidatedInput) -> Map<String, Value> {
        let mut out = input.params().clone();
        for (k, v) in &self.fixed_input {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    /// The media kind of an upload parameter.
    pub fn upload_media(&self, name: &str) -> Option<MediaKind> {
        match &self.param(name)?.kind {
            ParamKind::Upload { media, .. } => Some(*media),
            _ => None,
        }
    }
}
