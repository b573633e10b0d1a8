//! Kie's own-endpoint ("legacy") families — Veo 3.1, Suno, Runway, Runway Aleph, Flux Kontext,
//! 4o Image, Midjourney — behind one notion the pipeline can use whatever the family
//! (`shared/kie-api-families.json`).
//!
//! # Design
//! - **Requests** are a [`FamilyRequest`]: a typed [`FamilyEndpoint`] (which knows its family,
//!   path, status endpoint and callback shape) plus the JSON body. The pipeline builds bodies from
//!   the registry as JSON, exactly as it builds Market `input`s today, so the core path is one
//!   [`KieClient::create_family_task`]. The typed builders in each family module (for example
//!   [`veo::VeoGenerate`]) serialise to the documented field names and casing, check the
//!   documented cross-field rules in [`FamilyCreate::validate`], and are what the tests (and any
//!   code that wants compile-time shapes) use; [`FamilyRequest::validated`] runs the same checks
//!   on a registry-built JSON body.
//! - **Status** ([`KieClient::family_record`]) and **callbacks** ([`parse_family_callback`]) are
//!   parsed into one [`FamilyRecord`]: a [`FamilyTaskState`] and a [`ResultSet`], tolerant where
//!   the docs say shapes vary (strings vs objects, camelCase vs snake_case, arrays sent as JSON
//!   strings) and strict elsewhere (an unknown status value is an error, not "still running").
//! - **Errors and limits** are the Market ones: every call goes through the same
//!   `KieClient::call`, so creates share the create window, status queries the status window,
//!   and the classification ([`crate::ErrorKind`]) is identical. Family-only codes are mapped on
//!   top: 550 (4o queue full), 405/430 (Suno lyrics call frequency) are `Unavailable` — nothing
//!   was created — and `data: null` on a status query is a `Rejected` 404.
//! - **Callbacks** of these families are signed like Market ones (optional HMAC of
//!   `taskId + "." + timestamp`, taskId from `data.taskId`, `data.task_id` or, for Aleph, the
//!   top level): [`FamilyRecord::task_id`] is what [`crate::verify_signature`] takes. Without the
//!   key there is no signature at all, so the per-job URL token stays mandatory.
//!
//! # What it must never do
//! - Resend a create whose request may have reached Kie (a time-out, a lost connection, an HTTP
//!   5xx): that is [`crate::ErrorKind::Ambiguous`] and is returned, never retried.
//! - Log or return the API key, or log request bodies (their `callBackUrl` holds our token).
//! - Treat a callback as proof of anything: it is a notification; confirm with the status call.

pub mod aleph;
pub mod flux_kontext;
pub mod gpt4o_image;
pub mod midjourney;
pub mod runway;
pub mod suno;
pub mod veo;

mod parse;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::client::Kind;
use crate::error::{ErrorKind, KieError};
use crate::{CreatedTask, KieClient};

/// A Kie own-endpoint family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Veo 3.1 (`/api/v1/veo/*`).
    Veo,
    /// Suno music (`/api/v1/generate*`, `/lyrics`, `/wav`, `/vocal-removal`, `/midi`, ...).
    Suno,
    /// Runway Gen-4 (`/api/v1/runway/*`).
    Runway,
    /// Runway Aleph video-to-video (`/api/v1/aleph/*`).
    Aleph,
    /// Flux Kontext (`/api/v1/flux/kontext/*`).
    FluxKontext,
    /// 4o Image (`/api/v1/gpt4o-image/*`).
    Gpt4oImage,
    /// Midjourney (`/api/v1/mj/*`).
    Midjourney,
}

impl Family {
    /// A stable lower-case id (for storage and logs).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Veo => "veo",
            Family::Suno => "suno",
            Family::Runway => "runway",
            Family::Aleph => "aleph",
            Family::FluxKontext => "flux_kontext",
            Family::Gpt4oImage => "gpt4o_image",
            Family::Midjourney => "midjourney",
        }
    }

    /// The inverse of [`Family::as_str`].
    pub fn parse(s: &str) -> Option<Family> {
        [
            Family::Veo,
            Family::Suno,
            Family::Runway,
            Family::Aleph,
            Family::FluxKontext,
            Family::Gpt4oImage,
            Family::Midjourney,
        ]
        .into_iter()
        .find(|f| f.as_str() == s)
    }
}

macro_rules! endpoints {
    ($( $(#[$doc:meta])* $name:ident => $family:ident, $path:literal, $status:ident; )*) => {
        /// An endpoint that creates a (paid) family task.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum FamilyEndpoint {
            $( $(#[$doc])* $name, )*
        }

        impl FamilyEndpoint {
            /// Every create endpoint.
            pub const ALL: &'static [FamilyEndpoint] = &[$(FamilyEndpoint::$name),*];

            /// Its family.
            pub fn family(self) -> Family {
                match self { $(FamilyEndpoint::$name => Family::$family,)* }
            }

            /// Its path on the API host (`POST`).
            pub fn path(self) -> &'static str {
                match self { $(FamilyEndpoint::$name => $path,)* }
            }

            /// Where its task's state is queried.
            pub fn status(self) -> StatusEndpoint {
                match self { $(FamilyEndpoint::$name => StatusEndpoint::$status,)* }
            }
        }
    };
}

endpoints! {
    /// `POST /api/v1/veo/generate`.
    VeoGenerate => Veo, "/api/v1/veo/generate", VeoRecordInfo;
    /// `POST /api/v1/veo/extend` (follow-up of a Veo task).
    VeoExtend => Veo, "/api/v1/veo/extend", VeoRecordInfo;
    /// `POST /api/v1/veo/get-4k-video` (follow-up of a Veo task).
    VeoGet4k => Veo, "/api/v1/veo/get-4k-video", VeoRecordInfo;
    /// `POST /api/v1/generate`.
    SunoGenerate => Suno, "/api/v1/generate", SunoRecordInfo;
    /// `POST /api/v1/generate/extend` (follow-up of a Suno track).
    SunoExtend => Suno, "/api/v1/generate/extend", SunoRecordInfo;
    /// `POST /api/v1/generate/upload-cover`.
    SunoUploadCover => Suno, "/api/v1/generate/upload-cover", SunoRecordInfo;
    /// `POST /api/v1/generate/upload-extend`.
    SunoUploadExtend => Suno, "/api/v1/generate/upload-extend", SunoRecordInfo;
    /// `POST /api/v1/generate/add-instrumental`.
    SunoAddInstrumental => Suno, "/api/v1/generate/add-instrumental", SunoRecordInfo;
    /// `POST /api/v1/generate/add-vocals`.
    SunoAddVocals => Suno, "/api/v1/generate/add-vocals", SunoRecordInfo;
    /// `POST /api/v1/generate/mashup`.
    SunoMashup => Suno, "/api/v1/generate/mashup", SunoRecordInfo;
    /// `POST /api/v1/generate/replace-section` (follow-up of a Suno track).
    SunoReplaceSection => Suno, "/api/v1/generate/replace-section", SunoRecordInfo;
    /// `POST /api/v1/suno/cover/generate`: cover *art* for a music task.
    SunoCoverArt => Suno, "/api/v1/suno/cover/generate", SunoCoverRecordInfo;
    /// `POST /api/v1/lyrics`.
    SunoLyrics => Suno, "/api/v1/lyrics", SunoLyricsRecordInfo;
    /// `POST /api/v1/wav/generate` (follow-up of a Suno track).
    SunoWav => Suno, "/api/v1/wav/generate", SunoWavRecordInfo;
    /// `POST /api/v1/vocal-removal/generate`: vocals/instrumental or stems.
    SunoVocalRemoval => Suno, "/api/v1/vocal-removal/generate", SunoVocalRemovalRecordInfo;
    /// `POST /api/v1/midi/generate` (after a vocal removal).
    SunoMidi => Suno, "/api/v1/midi/generate", SunoMidiRecordInfo;
    /// `POST /api/v1/runway/generate`.
    RunwayGenerate => Runway, "/api/v1/runway/generate", RunwayRecordDetail;
    /// `POST /api/v1/runway/extend` (follow-up of a Runway task).
    RunwayExtend => Runway, "/api/v1/runway/extend", RunwayRecordDetail;
    /// `POST /api/v1/aleph/generate`.
    AlephGenerate => Aleph, "/api/v1/aleph/generate", AlephRecordInfo;
    /// `POST /api/v1/flux/kontext/generate`.
    FluxKontextGenerate => FluxKontext, "/api/v1/flux/kontext/generate", FluxKontextRecordInfo;
    /// `POST /api/v1/gpt4o-image/generate`.
    Gpt4oImageGenerate => Gpt4oImage, "/api/v1/gpt4o-image/generate", Gpt4oImageRecordInfo;
    /// `POST /api/v1/mj/generate`.
    MjGenerate => Midjourney, "/api/v1/mj/generate", MjRecordInfo;
    /// `POST /api/v1/mj/generateUpscale` (follow-up of a Midjourney grid).
    MjUpscale => Midjourney, "/api/v1/mj/generateUpscale", MjRecordInfo;
    /// `POST /api/v1/mj/generateVary` (follow-up of a Midjourney grid).
    MjVary => Midjourney, "/api/v1/mj/generateVary", MjRecordInfo;
    /// `POST /api/v1/mj/generateVideoExtend` (follow-up of a Midjourney video).
    MjVideoExtend => Midjourney, "/api/v1/mj/generateVideoExtend", MjRecordInfo;
}

impl FamilyEndpoint {
    /// The endpoint at `path` (as the registry stores it).
    pub fn from_path(path: &str) -> Option<FamilyEndpoint> {
        FamilyEndpoint::ALL
            .iter()
            .copied()
            .find(|e| e.path() == path)
    }
}

/// A status endpoint (`GET ...?taskId=`), which decides how its answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusEndpoint {
    /// `/api/v1/veo/record-info`: `successFlag` 0/1/2/3.
    VeoRecordInfo,
    /// `/api/v1/generate/record-info`: `status` PENDING/TEXT_SUCCESS/FIRST_SUCCESS/SUCCESS/...
    SunoRecordInfo,
    /// `/api/v1/suno/cover/record-info`: `successFlag` 0 pending, 1, 2 *generating*, 3 failed.
    SunoCoverRecordInfo,
    /// `/api/v1/lyrics/record-info`: `status` strings.
    SunoLyricsRecordInfo,
    /// `/api/v1/wav/record-info`: `successFlag` holding status strings.
    SunoWavRecordInfo,
    /// `/api/v1/vocal-removal/record-info`: `successFlag` holding status strings.
    SunoVocalRemovalRecordInfo,
    /// `/api/v1/midi/record-info`: `successFlag` 0/1/2/3.
    SunoMidiRecordInfo,
    /// `/api/v1/runway/record-detail`: `state` wait/queueing/generating/success/fail.
    RunwayRecordDetail,
    /// `/api/v1/aleph/record-info`: `successFlag` 0 (pending *or* failed) / 1.
    AlephRecordInfo,
    /// `/api/v1/flux/kontext/record-info`: `successFlag` 0/1/2/3.
    FluxKontextRecordInfo,
    /// `/api/v1/gpt4o-image/record-info`: `status` + `successFlag` + `progress`.
    Gpt4oImageRecordInfo,
    /// `/api/v1/mj/record-info`: `successFlag` 0/1/2/3.
    MjRecordInfo,
}

impl StatusEndpoint {
    /// Its path on the API host (`GET`, `taskId` in the query).
    pub fn path(self) -> &'static str {
        match self {
            StatusEndpoint::VeoRecordInfo => "/api/v1/veo/record-info",
            StatusEndpoint::SunoRecordInfo => "/api/v1/generate/record-info",
            StatusEndpoint::SunoCoverRecordInfo => "/api/v1/suno/cover/record-info",
            StatusEndpoint::SunoLyricsRecordInfo => "/api/v1/lyrics/record-info",
            StatusEndpoint::SunoWavRecordInfo => "/api/v1/wav/record-info",
            StatusEndpoint::SunoVocalRemovalRecordInfo => "/api/v1/vocal-removal/record-info",
            StatusEndpoint::SunoMidiRecordInfo => "/api/v1/midi/record-info",
            StatusEndpoint::RunwayRecordDetail => "/api/v1/runway/record-detail",
            StatusEndpoint::AlephRecordInfo => "/api/v1/aleph/record-info",
            StatusEndpoint::FluxKontextRecordInfo => "/api/v1/flux/kontext/record-info",
            StatusEndpoint::Gpt4oImageRecordInfo => "/api/v1/gpt4o-image/record-info",
            StatusEndpoint::MjRecordInfo => "/api/v1/mj/record-info",
        }
    }

    /// Its family.
    pub fn family(self) -> Family {
        match self {
            StatusEndpoint::VeoRecordInfo => Family::Veo,
            StatusEndpoint::SunoRecordInfo
            | StatusEndpoint::SunoCoverRecordInfo
            | StatusEndpoint::SunoLyricsRecordInfo
            | StatusEndpoint::SunoWavRecordInfo
            | StatusEndpoint::SunoVocalRemovalRecordInfo
            | StatusEndpoint::SunoMidiRecordInfo => Family::Suno,
            StatusEndpoint::RunwayRecordDetail => Family::Runway,
            StatusEndpoint::AlephRecordInfo => Family::Aleph,
            StatusEndpoint::FluxKontextRecordInfo => Family::FluxKontext,
            StatusEndpoint::Gpt4oImageRecordInfo => Family::Gpt4oImage,
            StatusEndpoint::MjRecordInfo => Family::Midjourney,
        }
    }
}

/// A family task's state, the same for every family.
#[derive(Clone, Debug, PartialEq)]
pub enum FamilyTaskState {
    /// Accepted, waiting (Runway `wait`/`queueing`, Suno `PENDING`, Suno cover art 0).
    Queued,
    /// Being generated; `progress` from 0 to 1 when Kie says (4o Image only).
    Running {
        /// 0..=1.
        progress: Option<Decimal>,
    },
    /// A documented intermediate stage with partial results (Suno `TEXT_SUCCESS`,
    /// `FIRST_SUCCESS`; callbacks `text`, `first`). Not terminal.
    Stage {
        /// Kie's name of the stage, as in record-info (`TEXT_SUCCESS`, `FIRST_SUCCESS`).
        name: String,
    },
    /// Finished with results.
    Succeeded,
    /// Finished without (all of) them.
    Failed {
        /// Kie's `errorCode`/`failCode` or the callback's `code`.
        code: Option<u16>,
        /// Kie's message, or the status value when there is none.
        message: Option<String>,
    },
}

impl FamilyTaskState {
    /// Succeeded or failed.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            FamilyTaskState::Succeeded | FamilyTaskState::Failed { .. }
        )
    }
}

/// What a result file is (a hint for delivery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultKind {
    /// A video (mp4).
    Video,
    /// An image.
    Image,
    /// An audio track (mp3 or wav).
    Audio,
    /// One stem of a vocal separation (`vocal`, `instrumental`, `drums`, ...).
    Stem(String),
    /// A thumbnail/cover image of another result.
    Thumbnail,
    /// An un-cropped or original-input copy (Veo `originUrls`, Flux `originImageUrl`), which
    /// Kie keeps only briefly. Deliver the primary results first.
    Original,
}

/// One result file.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultFile {
    /// What it is.
    pub kind: ResultKind,
    /// Where it is.
    pub url: Url,
    /// Kie's id of the item (Suno audioId, Runway videoId), needed by follow-ups.
    pub id: Option<String>,
    /// Its title (Suno).
    pub title: Option<String>,
    /// Its cover image (Suno track art, Runway thumbnail).
    pub cover_url: Option<Url>,
    /// A streaming URL (Suno), available before the file itself.
    pub stream_url: Option<Url>,
    /// The lyrics sung (Suno `prompt` of a track).
    pub lyrics: Option<String>,
    /// Style tags (Suno).
    pub tags: Option<String>,
    /// Length in seconds (Suno).
    pub duration_secs: Option<f64>,
    /// Its resolution, when Kie says (Veo).
    pub resolution: Option<String>,
}

impl ResultFile {
    /// A file with only a kind and a URL.
    pub fn new(kind: ResultKind, url: Url) -> ResultFile {
        ResultFile {
            kind,
            url,
            id: None,
            title: None,
            cover_url: None,
            stream_url: None,
            lyrics: None,
            tags: None,
            duration_secs: None,
            resolution: None,
        }
    }
}

/// A text result (Suno lyrics: one per variant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultText {
    /// Its title.
    pub title: Option<String>,
    /// The text.
    pub text: String,
}

/// Everything a task produced so far, in Kie's order (Suno: two tracks; Midjourney: four
/// images; lyrics: two or three texts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultSet {
    /// The files.
    pub files: Vec<ResultFile>,
    /// Text results.
    pub texts: Vec<ResultText>,
    /// A structured result (Suno MIDI: `instruments`).
    pub data: Option<Value>,
}

impl ResultSet {
    /// Nothing at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.texts.is_empty() && self.data.is_none()
    }

    /// The files of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a ResultKind) -> impl Iterator<Item = &'a ResultFile> {
        self.files.iter().filter(move |f| &f.kind == kind)
    }
}

/// A family task as a status call or a callback reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyRecord {
    /// Its family.
    pub family: Family,
    /// Kie's task id (opaque): the one to query and to check a callback signature with.
    pub task_id: String,
    /// The state.
    pub state: FamilyTaskState,
    /// The results so far (partial at a [`FamilyTaskState::Stage`]).
    pub results: ResultSet,
    /// The stored create body (`paramJson`/`param`/`generateParam`, decoded), when present.
    pub param: Option<Value>,
    /// The task this one follows up (Runway `parentTaskId`, Suno `parentTaskId`/`parentMusicId`).
    pub parent_task_id: Option<String>,
}

impl FamilyRecord {
    /// The `callBackUrl` this task was created with (from the stored body), if any.
    pub fn callback_url(&self) -> Option<&str> {
        self.param.as_ref()?.get("callBackUrl")?.as_str()
    }
}

/// A create request for any family: the endpoint and its JSON body (documented field names and
/// casing; `callBackUrl` included when wanted).
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyRequest {
    /// Where it goes.
    pub endpoint: FamilyEndpoint,
    /// The body.
    pub body: Map<String, Value>,
}

impl FamilyRequest {
    /// A request with `body` for `endpoint`.
    pub fn new(endpoint: FamilyEndpoint, body: Map<String, Value>) -> FamilyRequest {
        FamilyRequest { endpoint, body }
    }

    /// Its family.
    pub fn family(&self) -> Family {
        self.endpoint.family()
    }

    /// Sets `callBackUrl`.
    pub fn with_callback(mut self, url: &Url) -> FamilyRequest {
        self.body
            .insert("callBackUrl".into(), Value::String(url.to_string()));
        self
    }

    /// Checks the body against the endpoint's typed request (field types, enums, bounds and the
    /// documented cross-field rules) by reading it into that type. Unknown fields are refused,
    /// so a misspelt field (wrong casing) is caught before money is spent.
    pub fn validated(self) -> Result<FamilyRequest, String> {
        let v = Value::Object(self.body.clone());
        use FamilyEndpoint as E;
        match self.endpoint {
            E::VeoGenerate => check::<veo::VeoGenerate>(v),
            E::VeoExtend => check::<veo::VeoExtend>(v),
            E::VeoGet4k => check::<veo::VeoGet4k>(v),
            E::SunoGenerate => check::<suno::SunoGenerate>(v),
            E::SunoExtend => check::<suno::SunoExtend>(v),
            E::SunoUploadCover => check::<suno::SunoUploadCover>(v),
            E::SunoUploadExtend => check::<suno::SunoUploadExtend>(v),
            E::SunoAddInstrumental => check::<suno::SunoAddInstrumental>(v),
            E::SunoAddVocals => check::<suno::SunoAddVocals>(v),
            E::SunoMashup => check::<suno::SunoMashup>(v),
            E::SunoReplaceSection => check::<suno::SunoReplaceSection>(v),
            E::SunoCoverArt => check::<suno::SunoCoverArt>(v),
            E::SunoLyrics => check::<suno::SunoLyrics>(v),
            E::SunoWav => check::<suno::SunoWav>(v),
            E::SunoVocalRemoval => check::<suno::SunoVocalRemoval>(v),
            E::SunoMidi => check::<suno::SunoMidi>(v),
            E::RunwayGenerate => check::<runway::RunwayGenerate>(v),
            E::RunwayExtend => check::<runway::RunwayExtend>(v),
            E::AlephGenerate => check::<aleph::AlephGenerate>(v),
            E::FluxKontextGenerate => check::<flux_kontext::FluxKontextGenerate>(v),
            E::Gpt4oImageGenerate => check::<gpt4o_image::Gpt4oImageGenerate>(v),
            E::MjGenerate => check::<midjourney::MjGenerate>(v),
            E::MjUpscale => check::<midjourney::MjUpscale>(v),
            E::MjVary => check::<midjourney::MjVary>(v),
            E::MjVideoExtend => check::<midjourney::MjVideoExtend>(v),
        }?;
        Ok(self)
    }
}

fn check<T: FamilyCreate + serde::de::DeserializeOwned>(v: Value) -> Result<(), String> {
    let typed: T = serde_json::from_value(v).map_err(|e| e.to_string())?;
    typed.validate()
}

/// A typed create request of one endpoint.
pub trait FamilyCreate: Serialize {
    /// Where it goes.
    const ENDPOINT: FamilyEndpoint;

    /// Checks the documented rules the types cannot express (bounds, required-when, ...).
    fn validate(&self) -> Result<(), String>;

    /// Validates and serialises it.
    fn to_request(&self) -> Result<FamilyRequest, String> {
        self.validate()?;
        match serde_json::to_value(self).map_err(|e| e.to_string())? {
            Value::Object(body) => Ok(FamilyRequest::new(Self::ENDPOINT, body)),
            _ => Err("a request must serialise to an object".into()),
        }
    }
}

/// Reads a family callback body for a task created at `endpoint` (the callback shape depends on
/// it: Suno music, lyrics, WAV... differ). Suno's per-stage callbacks (`text`, `first`) come out
/// as [`FamilyTaskState::Stage`]. Only a notification: confirm with the status call.
pub fn parse_family_callback(
    endpoint: FamilyEndpoint,
    body: &[u8],
) -> Result<FamilyRecord, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let env = v.as_object().ok_or("not an object")?;
    let code = env.get("code").and_then(parse::code).ok_or("no code")?;
    let msg = env.get("msg").and_then(parse::text);
    let empty = Map::new();
    let data = env.get("data").and_then(Value::as_object).unwrap_or(&empty);
    let cb = parse::Callback {
        code,
        msg,
        data,
        envelope: env,
    };
    use FamilyEndpoint as E;
    match endpoint {
        E::VeoGenerate | E::VeoExtend | E::VeoGet4k => veo::callback(&cb),
        E::SunoCoverArt => suno::cover_art_callback(&cb),
        E::SunoLyrics => suno::lyrics_callback(&cb),
        E::SunoWav => suno::wav_callback(&cb),
        E::SunoVocalRemoval => suno::vocal_removal_callback(&cb),
        E::SunoMidi => suno::midi_callback(&cb),
        E::SunoGenerate
        | E::SunoExtend
        | E::SunoUploadCover
        | E::SunoUploadExtend
        | E::SunoAddInstrumental
        | E::SunoAddVocals
        | E::SunoMashup
        | E::SunoReplaceSection => suno::music_callback(&cb),
        E::RunwayGenerate | E::RunwayExtend => runway::callback(&cb),
        E::AlephGenerate => aleph::callback(&cb),
        E::FluxKontextGenerate => flux_kontext::callback(&cb),
        E::Gpt4oImageGenerate => gpt4o_image::callback(&cb),
        E::MjGenerate | E::MjUpscale | E::MjVary | E::MjVideoExtend => midjourney::callback(&cb),
    }
}

/// Reads the `data` object of a status answer from `status`.
pub fn parse_family_status(status: StatusEndpoint, data: &Value) -> Result<FamilyRecord, String> {
    let data = data.as_object().ok_or("data is not an object")?;
    use StatusEndpoint as S;
    match status {
        S::VeoRecordInfo => veo::status(data),
        S::SunoRecordInfo => suno::music_status(data),
        S::SunoCoverRecordInfo => suno::cover_art_status(data),
        S::SunoLyricsRecordInfo => suno::lyrics_status(data),
        S::SunoWavRecordInfo => suno::wav_status(data),
        S::SunoVocalRemovalRecordInfo => suno::vocal_removal_status(data),
        S::SunoMidiRecordInfo => suno::midi_status(data),
        S::RunwayRecordDetail => runway::status(data),
        S::AlephRecordInfo => aleph::status(data),
        S::FluxKontextRecordInfo => flux_kontext::status(data),
        S::Gpt4oImageRecordInfo => gpt4o_image::status(data),
        S::MjRecordInfo => midjourney::status(data),
    }
}

/// Family codes that prove nothing was created although the shared classifier calls them final.
fn remap_create_error(mut e: KieError) -> KieError {
    if e.kind == ErrorKind::Rejected && matches!(e.code, Some(405 | 430 | 550)) {
        e.kind = ErrorKind::Unavailable;
    }
    e
}

impl KieClient {
    /// Creates a family task: `POST endpoint.path()` with the body. Shares the create window with
    /// Market creates and is sent at most once unless Kie proved it created nothing (429, 455, a
    /// connection that never opened). A time-out, a lost connection or an HTTP 5xx after sending
    /// is [`ErrorKind::Ambiguous`], as is a success without a `taskId`.
    pub async fn create_family_task(&self, req: &FamilyRequest) -> Result<CreatedTask, KieError> {
        let endpoint = req.endpoint.path();
        let url = self.api(endpoint);
        let body = Value::Object(req.body.clone());
        let data = self
            .call(endpoint, Kind::Create, self.config().create_timeout, || {
                self.http().post(url.clone()).json(&body)
            })
            .await
            .map_err(remap_create_error)?;
        let task_id = data
            .get("taskId")
            .or_else(|| data.get("task_id"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty());
        let Some(task_id) = task_id else {
            return Err(KieError::new(
                endpoint,
                ErrorKind::Ambiguous,
                Some(200),
                "success without a taskId",
            ));
        };
        Ok(CreatedTask {
            task_id: task_id.to_string(),
            record_id: None,
        })
    }

    /// Queries a family task (`GET status.path()?taskId=`), sharing the status window with
    /// `recordInfo`. An answer with `data: null` (Suno's "no such task") is a `Rejected` 404.
    pub async fn family_record(
        &self,
        status: StatusEndpoint,
        task_id: &str,
    ) -> Result<FamilyRecord, KieError> {
        let endpoint = status.path();
        let mut url = self.api(endpoint);
        url.query_pairs_mut().append_pair("taskId", task_id);
        let data = self
            .call(endpoint, Kind::Status, self.config().query_timeout, || {
                self.http().get(url.clone())
            })
            .await?;
        if data.is_null() {
            return Err(KieError::new(
                endpoint,
                ErrorKind::Rejected,
                Some(404),
                "no such task (data is null)",
            ));
        }
        parse_family_status(status, &data)
            .map_err(|m| KieError::new(endpoint, ErrorKind::Invalid, None, m))
    }

    /// `GET /api/v1/veo/get-1080p-video?taskId=&index=`: the 1080p file of a finished Veo task,
    /// or `None` while Kie is still making it (its code 400 "1080P is processing"; ask again in
    /// 20-30 s). Shares the status window.
    pub async fn veo_1080p(&self, task_id: &str, index: u32) -> Result<Option<Url>, KieError> {
        let endpoint = "/api/v1/veo/get-1080p-video";
        let mut url = self.api(endpoint);
        url.query_pairs_mut()
            .append_pair("taskId", task_id)
            .append_pair("index", &index.to_string());
        let data = match self
            .call(endpoint, Kind::Status, self.config().query_timeout, || {
                self.http().get(url.clone())
            })
            .await
        {
            Ok(d) => d,
            Err(e) if e.code == Some(400) && e.message.to_lowercase().contains("processing") => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        data.get("resultUrl")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok())
            .map(Some)
            .ok_or_else(|| KieError::new(endpoint, ErrorKind::Invalid, None, "no resultUrl"))
    }
}

#[cfg(test)]
mod tests;
