//! A chat's dialogue state: what the bot is waiting for (a search query, a Stars amount, the
//! next wizard input) and the wizard in progress. Stored as JSON in PostgreSQL (`dialogues`), so
//! it survives restarts and any instance can continue a conversation.
//!
//! The state never holds money or authority: the confirm screen re-validates and re-prices
//! everything, and the pipeline re-checks the price it was shown. A state that no longer
//! decodes (an older format) is treated as "nothing in progress".

use std::collections::BTreeMap;

use ledger::AsyncPgConnection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a chat is doing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// What typed text means now.
    #[serde(default)]
    pub mode: Mode,
    /// The wizard in progress, if any.
    #[serde(default)]
    pub wizard: Option<Wizard>,
}

/// What a typed text means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Input for the wizard (if one is in progress), else nothing.
    #[default]
    Normal,
    /// A search query.
    Search,
    /// A number of Stars to top up.
    TopUpAmount,
    /// The name of a preset to save: of the wizard in progress (`job: None`) or of one of the
    /// user's jobs (re-checked for its owner when the name arrives).
    PresetName {
        /// The job whose parameters are saved; `None`: the wizard's.
        job: Option<i64>,
    },
}

/// A generation being set up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wizard {
    /// The model id.
    pub model: String,
    /// Random per wizard: buttons drawn for another wizard are stale.
    pub rev: u32,
    /// Values the user set (defaults are not stored: they come from the schema).
    pub values: Map<String, Value>,
    /// Files per upload parameter, in order.
    pub uploads: BTreeMap<String, Vec<Upload>>,
    /// Where the wizard is.
    pub step: Step,
    /// The wizard's message (edited in place as the user taps).
    pub message_id: Option<i32>,
    /// The confirm screen's idempotency key (a second tap on Run finds the first job).
    pub confirm_key: Option<String>,
    /// The price the confirm screen showed, as text (the pipeline refuses another).
    pub confirm_price: Option<Decimal>,
    /// Whether the confirm screen offered a free run.
    pub confirm_free: bool,
}

/// Where a wizard is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Step {
    /// Asking for a required parameter (part of the first pass).
    Param {
        /// The parameter.
        name: String,
    },
    /// Changing one parameter from the settings screen.
    Edit {
        /// The parameter.
        name: String,
    },
    /// The optional parameters.
    Settings,
    /// The confirm screen.
    Confirm,
    /// Run was pressed: the job exists.
    Submitted {
        /// The job.
        job: i64,
    },
}

/// A file the user sent for an upload parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Upload {
    /// Sent in this chat: downloaded from Telegram when the job is submitted.
    Telegram {
        /// Telegram's file id.
        file_id: String,
        /// Its size in bytes, as Telegram reported it.
        size: u64,
        /// A file name to give Kie's upload host.
        name: String,
        /// Its MIME type.
        mime: String,
        /// Duration, for audio and video.
        seconds: Option<u32>,
    },
    /// Already on Kie's upload host (a re-run of an earlier job).
    Url {
        /// The URL.
        url: String,
    },
}

impl State {
    /// The chat's state (default when none is stored or it no longer decodes).
    pub async fn load(conn: &mut AsyncPgConnection, chat: i64) -> anyhow::Result<State> {
        Ok(ledger::dialogue(conn, chat)
            .await?
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default())
    }

    /// The state as it was when the update arrived (loaded with the user, no round trip). Only
    /// for a handler's first look: after a save in the same handler, [`State::load`] again.
    pub fn entry(ctx: &tg_kit::Ctx) -> State {
        ctx.dialogue
            .clone()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default()
    }

    /// Stores the state (or forgets it when it is the default).
    pub async fn save(&self, conn: &mut AsyncPgConnection, chat: i64) -> anyhow::Result<()> {
        if *self == State::default() {
            ledger::remove_dialogue(conn, chat).await?;
        } else {
            ledger::set_dialogue(conn, chat, &serde_json::to_value(self)?).await?;
        }
        Ok(())
    }
}

impl Wizard {
    /// A new wizard for `model`.
    pub fn new(model: &str, step: Step) -> Wizard {
        Wizard {
            model: model.to_string(),
            rev: fastrand::u32(1..u32::MAX),
            values: Map::new(),
            uploads: BTreeMap::new(),
            step,
            message_id: None,
            confirm_key: None,
            confirm_price: None,
            confirm_free: false,
        }
    }
}
