//! Suno: music creates (generate, extend, upload-cover, upload-extend, add-instrumental,
//! add-vocals, mashup, replace-section) and the derived tasks (cover art, lyrics, WAV, vocal
//! removal/stems, MIDI), each with its own record-info and callback shape. Music record-info is
//! camelCase (`sunoData[].audioUrl`), music callbacks are per stage (`text`, `first`,
//! `complete`, `error`) with snake_case items (`data.data[].audio_url`). Must never resend a
//! create whose outcome is unknown, nor log a request body (its `callBackUrl` holds our token).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::parse::{self, Callback};
use super::{
    Family, FamilyCreate, FamilyEndpoint, FamilyRecord, FamilyTaskState, ResultFile, ResultKind,
    ResultSet, ResultText,
};

/// Suno model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SunoModel {
    /// V4.
    V4,
    /// V4.5.
    #[serde(rename = "V4_5")]
    V4_5,
    /// V4.5+.
    #[serde(rename = "V4_5PLUS")]
    V4_5Plus,
    /// V4.5 All.
    #[serde(rename = "V4_5ALL")]
    V4_5All,
    /// V5.
    V5,
    /// V5.5.
    #[serde(rename = "V5_5")]
    V5_5,
}

impl SunoModel {
    fn max_prompt(self) -> usize {
        if self == SunoModel::V4 { 3000 } else { 5000 }
    }

    fn max_style(self) -> usize {
        if self == SunoModel::V4 { 200 } else { 1000 }
    }

    /// Title limit of extend / upload-cover / upload-extend.
    fn max_title(self) -> usize {
        if matches!(self, SunoModel::V4 | SunoModel::V4_5All) {
            80
        } else {
            100
        }
    }
}

/// Vocal gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VocalGender {
    /// Male.
    #[serde(rename = "m")]
    Male,
    /// Female.
    #[serde(rename = "f")]
    Female,
}

/// Persona kind (V5/V5_5 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaModel {
    /// Style persona.
    StylePersona,
    /// Voice persona.
    VoicePersona,
}

/// Vocal removal kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeparationType {
    /// Vocals + instrumental (default).
    SeparateVocal,
    /// Up to 12 stems.
    SplitStem,
}

fn len(name: &str, v: &Option<String>, max: usize) -> Result<(), String> {
    match v {
        Some(s) if s.chars().count() > max => Err(format!("{name} is longer than {max}")),
        _ => Ok(()),
    }
}

fn weight(name: &str, v: Option<f64>) -> Result<(), String> {
    match v {
        Some(w) if !(0.0..=1.0).contains(&w) => Err(format!("{name} must be 0-1")),
        _ => Ok(()),
    }
}

fn present(name: &str, v: &Option<String>) -> Result<(), String> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(()),
        _ => Err(format!("{name} is required")),
    }
}

fn required(name: &str, v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Err(format!("{name} is required"))
    } else {
        Ok(())
    }
}

fn weights(s: Option<f64>, w: Option<f64>, a: Option<f64>) -> Result<(), String> {
    weight("styleWeight", s)?;
    weight("weirdnessConstraint", w)?;
    weight("audioWeight", a)
}

/// The generate / upload-cover rules: custom mode needs style and title (and the lyrics as
/// `prompt` unless instrumental); simple mode only a prompt of at most 500 characters.
#[allow(clippy::too_many_arguments)]
fn music_rules(
    model: SunoModel,
    custom: bool,
    instrumental: bool,
    prompt: &Option<String>,
    style: &Option<String>,
    title: &Option<String>,
    max_title: usize,
    persona: (&Option<String>, Option<PersonaModel>),
) -> Result<(), String> {
    if custom {
        present("style", style)?;
        present("title", title)?;
        if !instrumental {
            present("prompt", prompt)?;
        }
    } else {
        present("prompt", prompt)?;
        len("prompt", prompt, 500)?;
        if persona.0.is_some() {
            return Err("personaId only in custom mode".into());
        }
    }
    if persona.1.is_some() && !matches!(model, SunoModel::V5 | SunoModel::V5_5) {
        return Err("personaModel only for V5 and V5_5".into());
    }
    len("prompt", prompt, model.max_prompt())?;
    len("style", style, model.max_style())?;
    len("title", title, max_title)
}

/// `POST /api/v1/generate`: two tracks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoGenerate {
    /// Idea (simple mode) or exact lyrics (custom mode with vocals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Style (custom mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Title (custom mode, at most 80).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Custom mode.
    pub custom_mode: bool,
    /// No vocals.
    pub instrumental: bool,
    /// Model.
    pub model: SunoModel,
    /// Callback URL (required by Kie: 422 "Please enter callBackUrl." without it).
    pub call_back_url: String,
    /// Styles to avoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_tags: Option<String>,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
    /// Persona (custom mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    /// Persona kind (V5, V5_5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_model: Option<PersonaModel>,
}

impl FamilyCreate for SunoGenerate {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoGenerate;

    fn validate(&self) -> Result<(), String> {
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )?;
        music_rules(
            self.model,
            self.custom_mode,
            self.instrumental,
            &self.prompt,
            &self.style,
            &self.title,
            80,
            (&self.persona_id, self.persona_model),
        )
    }
}

/// `POST /api/v1/generate/extend`: continue one of an earlier task's tracks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoExtend {
    /// true: use the given prompt/style/title/continueAt; false: the source's.
    pub default_param_flag: bool,
    /// The track (`sunoData[].id`).
    pub audio_id: String,
    /// Lyrics/idea.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Seconds into the source (0 < continueAt < its duration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continue_at: Option<f64>,
    /// Model.
    pub model: SunoModel,
    /// Callback URL.
    pub call_back_url: String,
    /// Styles to avoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_tags: Option<String>,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
    /// Persona.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    /// Persona kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_model: Option<PersonaModel>,
}

fn extend_rules(
    flag: bool,
    model: SunoModel,
    prompt: &Option<String>,
    style: &Option<String>,
    title: &Option<String>,
    continue_at: Option<f64>,
    need_prompt: bool,
) -> Result<(), String> {
    if flag {
        if need_prompt {
            present("prompt", prompt)?;
        }
        present("style", style)?;
        present("title", title)?;
        match continue_at {
            Some(c) if c > 0.0 => {}
            _ => return Err("continueAt must be given and > 0".into()),
        }
    }
    len("prompt", prompt, model.max_prompt())?;
    len("style", style, model.max_style())?;
    len("title", title, model.max_title())
}

impl FamilyCreate for SunoExtend {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoExtend;

    fn validate(&self) -> Result<(), String> {
        required("audioId", &self.audio_id)?;
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )?;
        extend_rules(
            self.default_param_flag,
            self.model,
            &self.prompt,
            &self.style,
            &self.title,
            self.continue_at,
            true,
        )
    }
}

/// `POST /api/v1/generate/upload-cover`: a cover song of an uploaded track (at most 8 min).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoUploadCover {
    /// The uploaded audio.
    pub upload_url: String,
    /// Idea or lyrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Custom mode.
    pub custom_mode: bool,
    /// No vocals.
    pub instrumental: bool,
    /// Model.
    pub model: SunoModel,
    /// Callback URL.
    pub call_back_url: String,
    /// Styles to avoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_tags: Option<String>,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
    /// Persona.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    /// Persona kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_model: Option<PersonaModel>,
}

impl FamilyCreate for SunoUploadCover {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoUploadCover;

    fn validate(&self) -> Result<(), String> {
        required("uploadUrl", &self.upload_url)?;
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )?;
        music_rules(
            self.model,
            self.custom_mode,
            self.instrumental,
            &self.prompt,
            &self.style,
            &self.title,
            self.model.max_title(),
            (&self.persona_id, self.persona_model),
        )
    }
}

/// `POST /api/v1/generate/upload-extend`: continue an uploaded track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoUploadExtend {
    /// The uploaded audio.
    pub upload_url: String,
    /// true: use the given prompt/style/title/continueAt.
    pub default_param_flag: bool,
    /// No vocals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instrumental: Option<bool>,
    /// Lyrics/idea.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Style.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Seconds into the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub continue_at: Option<f64>,
    /// Model.
    pub model: SunoModel,
    /// Styles to avoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_tags: Option<String>,
    /// Callback URL.
    pub call_back_url: String,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
    /// Persona.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_id: Option<String>,
    /// Persona kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona_model: Option<PersonaModel>,
}

impl FamilyCreate for SunoUploadExtend {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoUploadExtend;

    fn validate(&self) -> Result<(), String> {
        required("uploadUrl", &self.upload_url)?;
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )?;
        extend_rules(
            self.default_param_flag,
            self.model,
            &self.prompt,
            &self.style,
            &self.title,
            self.continue_at,
            self.instrumental != Some(true),
        )
    }
}

/// Models of add-instrumental / add-vocals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SunoAddModel {
    /// V4.5+ (default).
    #[serde(rename = "V4_5PLUS")]
    V4_5Plus,
    /// V5.
    V5,
    /// V5.5.
    #[serde(rename = "V5_5")]
    V5_5,
}

/// `POST /api/v1/generate/add-instrumental`: an accompaniment for an uploaded vocal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoAddInstrumental {
    /// The uploaded audio.
    pub upload_url: String,
    /// Model (default V4_5PLUS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<SunoAddModel>,
    /// Title.
    pub title: String,
    /// Styles to avoid.
    pub negative_tags: String,
    /// Styles.
    pub tags: String,
    /// Callback URL.
    pub call_back_url: String,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
}

impl FamilyCreate for SunoAddInstrumental {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoAddInstrumental;

    fn validate(&self) -> Result<(), String> {
        required("uploadUrl", &self.upload_url)?;
        required("title", &self.title)?;
        required("tags", &self.tags)?;
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )
    }
}

/// `POST /api/v1/generate/add-vocals`: vocals over an uploaded instrumental.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoAddVocals {
    /// Lyrics.
    pub prompt: String,
    /// Model (default V4_5PLUS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<SunoAddModel>,
    /// Title.
    pub title: String,
    /// Styles to avoid.
    pub negative_tags: String,
    /// Style.
    pub style: String,
    /// The uploaded instrumental.
    pub upload_url: String,
    /// Callback URL.
    pub call_back_url: String,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
}

impl FamilyCreate for SunoAddVocals {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoAddVocals;

    fn validate(&self) -> Result<(), String> {
        required("prompt", &self.prompt)?;
        required("title", &self.title)?;
        required("style", &self.style)?;
        required("uploadUrl", &self.upload_url)?;
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )
    }
}

/// `POST /api/v1/generate/mashup`: two uploaded tracks into one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoMashup {
    /// Exactly two uploaded tracks.
    pub upload_url_list: Vec<String>,
    /// Idea or lyrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// Style.
    pub style: String,
    /// Title (at most 80).
    pub title: String,
    /// Custom mode.
    pub custom_mode: bool,
    /// No vocals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instrumental: Option<bool>,
    /// Model.
    pub model: SunoModel,
    /// Callback URL.
    pub call_back_url: String,
    /// Vocal gender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vocal_gender: Option<VocalGender>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style_weight: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weirdness_constraint: Option<f64>,
    /// 0-1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_weight: Option<f64>,
}

impl FamilyCreate for SunoMashup {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoMashup;

    fn validate(&self) -> Result<(), String> {
        if self.upload_url_list.len() != 2 {
            return Err("uploadUrlList takes exactly 2 URLs".into());
        }
        required("callBackUrl", &self.call_back_url)?;
        weights(
            self.style_weight,
            self.weirdness_constraint,
            self.audio_weight,
        )?;
        if !self.custom_mode {
            len("prompt", &self.prompt, 500)?;
        }
        len("prompt", &self.prompt, self.model.max_prompt())?;
        len("style", &Some(self.style.clone()), self.model.max_style())?;
        len("title", &Some(self.title.clone()), 80)
    }
}

/// `POST /api/v1/generate/replace-section`: regenerate 6-60 s of a track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoReplaceSection {
    /// The music task.
    pub task_id: String,
    /// The track.
    pub audio_id: String,
    /// Lyrics of the new section.
    pub prompt: String,
    /// Styles.
    pub tags: String,
    /// Title.
    pub title: String,
    /// Styles to avoid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_tags: Option<String>,
    /// Start, seconds.
    pub infill_start_s: f64,
    /// End, seconds.
    pub infill_end_s: f64,
    /// The whole song's lyrics after the change.
    pub full_lyrics: String,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for SunoReplaceSection {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoReplaceSection;

    fn validate(&self) -> Result<(), String> {
        required("taskId", &self.task_id)?;
        required("audioId", &self.audio_id)?;
        let span = self.infill_end_s - self.infill_start_s;
        if self.infill_start_s < 0.0 || !(6.0..=60.0).contains(&span) {
            return Err("the section must be 6-60 s long, starting at >= 0".into());
        }
        Ok(())
    }
}

/// `POST /api/v1/suno/cover/generate`: cover art (about 2 images) for a music task; once per
/// task (a repeat is code 400).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoCoverArt {
    /// The music task.
    pub task_id: String,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for SunoCoverArt {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoCoverArt;

    fn validate(&self) -> Result<(), String> {
        required("taskId", &self.task_id)
    }
}

/// `POST /api/v1/lyrics`: 2-3 lyric variants.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoLyrics {
    /// The idea (at most 200).
    pub prompt: String,
    /// Callback URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_back_url: Option<String>,
}

impl FamilyCreate for SunoLyrics {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoLyrics;

    fn validate(&self) -> Result<(), String> {
        required("prompt", &self.prompt)?;
        len("prompt", &Some(self.prompt.clone()), 200)
    }
}

/// `POST /api/v1/wav/generate`: a WAV of one track (409 when it exists already).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoWav {
    /// The music task.
    pub task_id: String,
    /// The track.
    pub audio_id: String,
    /// Callback URL.
    pub call_back_url: String,
}

impl FamilyCreate for SunoWav {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoWav;

    fn validate(&self) -> Result<(), String> {
        required("taskId", &self.task_id)?;
        required("audioId", &self.audio_id)?;
        required("callBackUrl", &self.call_back_url)
    }
}

/// `POST /api/v1/vocal-removal/generate`: vocals/instrumental, or stems.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoVocalRemoval {
    /// The music task.
    pub task_id: String,
    /// The track.
    pub audio_id: String,
    /// Kind (default separate_vocal).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<SeparationType>,
    /// Callback URL.
    pub call_back_url: String,
}

impl FamilyCreate for SunoVocalRemoval {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoVocalRemoval;

    fn validate(&self) -> Result<(), String> {
        required("taskId", &self.task_id)?;
        required("audioId", &self.audio_id)?;
        required("callBackUrl", &self.call_back_url)
    }
}

/// `POST /api/v1/midi/generate`: MIDI from a finished vocal removal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SunoMidi {
    /// The vocal-removal task.
    pub task_id: String,
    /// Callback URL.
    pub call_back_url: String,
    /// One stem only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_id: Option<String>,
}

impl FamilyCreate for SunoMidi {
    const ENDPOINT: FamilyEndpoint = FamilyEndpoint::SunoMidi;

    fn validate(&self) -> Result<(), String> {
        required("taskId", &self.task_id)?;
        required("callBackUrl", &self.call_back_url)
    }
}

// ---- reading ----

/// One track, camelCase (record-info) or snake_case (callbacks). `None` while it has no audio
/// URL yet (a stage before the file exists).
fn track(item: &Value) -> Result<Option<ResultFile>, String> {
    let o = item.as_object().ok_or("a track is not an object")?;
    let Some(url) = parse::url_of(o, &["audioUrl", "audio_url"])? else {
        return Ok(None);
    };
    let mut f = ResultFile::new(ResultKind::Audio, url);
    f.id = parse::text_of(o, &["id", "audioId", "audio_id"]);
    f.title = parse::text_of(o, &["title"]);
    f.cover_url = parse::url_of(o, &["imageUrl", "image_url"])?;
    f.stream_url = parse::url_of(o, &["streamAudioUrl", "stream_audio_url"])?;
    f.lyrics = parse::text_of(o, &["prompt", "lyrics"]);
    f.tags = parse::text_of(o, &["tags"]);
    f.duration_secs = parse::field(o, &["duration"]).and_then(parse::number);
    Ok(Some(f))
}

fn tracks(items: Option<&Value>) -> Result<ResultSet, String> {
    let mut set = ResultSet::default();
    if let Some(Value::Array(items)) = items {
        for item in items {
            if let Some(f) = track(item)? {
                set.files.push(f);
            }
        }
    }
    Ok(set)
}

/// A status string of the music / lyrics / WAV / vocal-removal record-info.
fn status_word(word: &str, data: &Map<String, Value>) -> Result<FamilyTaskState, String> {
    Ok(match word {
        "PENDING" => FamilyTaskState::Queued,
        "TEXT_SUCCESS" | "FIRST_SUCCESS" => FamilyTaskState::Stage {
            name: word.to_string(),
        },
        "SUCCESS" => FamilyTaskState::Succeeded,
        "CREATE_TASK_FAILED"
        | "GENERATE_AUDIO_FAILED"
        | "GENERATE_LYRICS_FAILED"
        | "GENERATE_WAV_FAILED"
        | "CALLBACK_EXCEPTION"
        | "SENSITIVE_WORD_ERROR" => parse::failure(data, word),
        other => return Err(format!("unknown status {other:?}")),
    })
}

fn word<'a>(data: &'a Map<String, Value>, keys: &[&str]) -> Result<&'a str, String> {
    parse::field(data, keys)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("no {}", keys[0]))
}

fn parent(data: &Map<String, Value>) -> Option<String> {
    parse::text_of(data, &["parentTaskId", "parentMusicId"])
}

/// `/api/v1/generate/record-info`. `CALLBACK_EXCEPTION` is a failure (the docs' outcome) even
/// when tracks are present; they are still reported in `results`.
pub(crate) fn music_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = status_word(word(data, &["status"])?, data)?;
    let empty = Map::new();
    let response = parse::obj(data.get("response"), &empty);
    let results = tracks(parse::field(response, &["sunoData", "suno_data", "data"]))?;
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        results,
        parse::param(data, &["param", "paramJson"])?,
        parent(data),
    )
}

/// Music callbacks: one per stage.
pub(crate) fn music_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let task_id = cb.task_id()?;
    let stage = parse::text_of(cb.data, &["callbackType", "callback_type"]);
    let results = tracks(cb.data.get("data"))?;
    let state = if cb.code != 200 || stage.as_deref() == Some("error") {
        cb.failed()
    } else {
        match stage.as_deref() {
            Some("text") => FamilyTaskState::Stage {
                name: "TEXT_SUCCESS".into(),
            },
            Some("first") => FamilyTaskState::Stage {
                name: "FIRST_SUCCESS".into(),
            },
            Some("complete") => FamilyTaskState::Succeeded,
            other => return Err(format!("unknown callbackType {other:?}")),
        }
    };
    parse::record(Family::Suno, task_id, state, results, None, None)
}

fn images(v: Option<&Value>) -> Result<ResultSet, String> {
    Ok(ResultSet {
        files: parse::files(ResultKind::Image, parse::urls(v)?),
        ..ResultSet::default()
    })
}

/// `/api/v1/suno/cover/record-info`: here 0 is pending and **2 is generating**.
pub(crate) fn cover_art_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let flag = parse::field(data, &["successFlag"]).ok_or("no successFlag")?;
    let state = match parse::int(flag) {
        Some(0) => FamilyTaskState::Queued,
        Some(1) => FamilyTaskState::Succeeded,
        Some(2) => FamilyTaskState::Running { progress: None },
        Some(3) => parse::failure(data, "generation failed"),
        _ => return Err(format!("unknown successFlag {flag}")),
    };
    let empty = Map::new();
    let response = parse::obj(data.get("response"), &empty);
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        images(response.get("images"))?,
        None,
        parent(data),
    )
}

pub(crate) fn cover_art_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    parse::record(
        Family::Suno,
        cb.task_id()?,
        state,
        images(cb.data.get("images"))?,
        None,
        None,
    )
}

fn lyric_texts(items: Option<&Value>) -> ResultSet {
    let mut set = ResultSet::default();
    if let Some(Value::Array(items)) = items {
        for o in items.iter().filter_map(Value::as_object) {
            if let Some(text) = parse::text_of(o, &["text"]) {
                set.texts.push(ResultText {
                    title: parse::text_of(o, &["title"]),
                    text,
                });
            }
        }
    }
    set
}

/// `/api/v1/lyrics/record-info`.
pub(crate) fn lyrics_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = status_word(word(data, &["status"])?, data)?;
    let empty = Map::new();
    let response = parse::obj(data.get("response"), &empty);
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        lyric_texts(response.get("data")),
        parse::param(data, &["param", "paramJson"])?,
        None,
    )
}

pub(crate) fn lyrics_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let stage = parse::text_of(cb.data, &["callbackType", "callback_type"]);
    let state = if cb.code != 200 || stage.as_deref() == Some("error") {
        cb.failed()
    } else {
        FamilyTaskState::Succeeded
    };
    parse::record(
        Family::Suno,
        cb.task_id()?,
        state,
        lyric_texts(cb.data.get("data")),
        None,
        None,
    )
}

fn wav(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    let url = parse::url_of(obj, &["audioWavUrl", "audio_wav_url"])?;
    Ok(ResultSet {
        files: parse::files(ResultKind::Audio, url.into_iter().collect()),
        ..ResultSet::default()
    })
}

/// `/api/v1/wav/record-info`: `successFlag` holds status strings.
pub(crate) fn wav_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = status_word(word(data, &["successFlag", "status"])?, data)?;
    let empty = Map::new();
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        wav(parse::obj(data.get("response"), &empty))?,
        None,
        parse::text_of(data, &["musicId"]),
    )
}

pub(crate) fn wav_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    parse::record(
        Family::Suno,
        cb.task_id()?,
        state,
        wav(cb.data)?,
        None,
        None,
    )
}

/// Stems: every `*Url` / `*_url` field except the original, named without the suffix
/// (`vocalUrl` -> `vocal`, `backing_vocals_url` -> `backing_vocals`).
fn stems(obj: &Map<String, Value>) -> Result<ResultSet, String> {
    let mut set = ResultSet::default();
    for (key, v) in obj {
        let name = if let Some(n) = key.strip_suffix("_url") {
            n.to_string()
        } else if let Some(n) = key.strip_suffix("Url") {
            snake(n)
        } else {
            continue;
        };
        if name == "origin" {
            continue;
        }
        if let Some(u) = parse::url(v)? {
            set.files.push(ResultFile::new(ResultKind::Stem(name), u));
        }
    }
    Ok(set)
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `/api/v1/vocal-removal/record-info`: `successFlag` holds status strings.
pub(crate) fn vocal_removal_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = status_word(word(data, &["successFlag", "status"])?, data)?;
    let empty = Map::new();
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        stems(parse::obj(data.get("response"), &empty))?,
        None,
        parse::text_of(data, &["musicId"]),
    )
}

pub(crate) fn vocal_removal_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    let empty = Map::new();
    let info = parse::obj(
        parse::field(cb.data, &["vocal_removal_info", "vocalRemovalInfo"]),
        &empty,
    );
    parse::record(Family::Suno, cb.task_id()?, state, stems(info)?, None, None)
}

fn midi(obj: &Map<String, Value>) -> ResultSet {
    ResultSet {
        data: parse::field(obj, &["instruments", "midiData", "midi_data"]).cloned(),
        ..ResultSet::default()
    }
}

/// `/api/v1/midi/record-info`: `successFlag` 0/1/2/3; the MIDI is structured data.
pub(crate) fn midi_status(data: &Map<String, Value>) -> Result<FamilyRecord, String> {
    let state = parse::flag_0123(data)?;
    let empty = Map::new();
    parse::record(
        Family::Suno,
        parse::task_id(data)?,
        state,
        midi(parse::obj(data.get("response"), &empty)),
        None,
        None,
    )
}

pub(crate) fn midi_callback(cb: &Callback<'_>) -> Result<FamilyRecord, String> {
    let state = if cb.code == 200 {
        FamilyTaskState::Succeeded
    } else {
        cb.failed()
    };
    parse::record(
        Family::Suno,
        cb.task_id()?,
        state,
        midi(cb.data),
        None,
        None,
    )
}
