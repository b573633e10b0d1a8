//! Callback data: every inline button's action, encoded in at most 64 bytes and decoded
//! strictly. Anything that does not decode to exactly one [`Action`] is refused (the user gets
//! "this button is out of date" and nothing changes).
//!
//! Buttons carry ids, never authority: the handlers re-check ownership (a job id is only acted
//! on for its owner) and freshness (wizard buttons carry the wizard's `rev`).
//! This module must never look anything up: it only turns actions into text and back.

use catalog::Category;

use crate::i18n::Lang;
use tg_kit::callback::{model_id, number};

pub use tg_kit::callback::MAX_CALLBACK_BYTES;

/// What a button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// The main menu.
    Menu,
    /// A page of a category.
    Category {
        /// Which.
        category: Category,
        /// Page, from 0.
        page: u16,
    },
    /// A page of the free models.
    Free {
        /// Page, from 0.
        page: u16,
    },
    /// A page of the most used models.
    Popular {
        /// Page, from 0.
        page: u16,
    },
    /// A page of the user's favourite models (those on sale).
    Favourites {
        /// Page, from 0.
        page: u16,
    },
    /// Star (`on`) or unstar a model from its card.
    Star {
        /// The model id.
        model: String,
        /// Star it (true) or unstar it.
        on: bool,
    },
    /// One of the user's presets (ownership is re-checked on press).
    Preset {
        /// The preset id.
        id: i64,
        /// What to do.
        op: PresetOp,
    },
    /// Ask for a search query.
    Search,
    /// A model's card.
    Card {
        /// The model id.
        model: String,
    },
    /// Start the wizard for a model.
    Generate {
        /// The model id.
        model: String,
    },
    /// A wizard button; `rev` identifies the wizard it was drawn for.
    Wizard {
        /// The wizard's revision.
        rev: u32,
        /// What to do.
        op: WizardOp,
    },
    /// Something about one of the user's jobs.
    Job {
        /// The job id.
        job: i64,
        /// What to do.
        op: JobOp,
    },
    /// A page of the history (jobs older than `before`).
    History {
        /// The oldest job on the previous page.
        before: Option<i64>,
    },
    /// The balance screen.
    Balance,
    /// The top-up screen.
    TopUp,
    /// An invoice for this many Stars.
    TopUpStars {
        /// Stars.
        stars: u32,
    },
    /// Ask for a custom number of Stars.
    TopUpCustom,
    /// Switch the interface language.
    Language {
        /// To this.
        lang: Lang,
    },
    /// The help screen.
    Help,
    /// A label that does nothing (a pager's "2/5").
    Noop,
}

/// A wizard step's buttons. Parameters and values are indexes into the model's parameter list
/// and the parameter's value list, which are fixed per model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WizardOp {
    /// Pick the `value`-th allowed value of parameter `param`.
    Choose {
        /// Parameter index.
        param: u8,
        /// Value index.
        value: u8,
    },
    /// Set a toggle.
    Toggle {
        /// Parameter index.
        param: u8,
        /// On or off.
        on: bool,
    },
    /// Pick the `index`-th suggested number.
    Preset {
        /// Parameter index.
        param: u8,
        /// Suggestion index.
        index: u8,
    },
    /// Back to the default (unset an optional parameter).
    Default {
        /// Parameter index.
        param: u8,
    },
    /// No more files for this upload parameter.
    UploadsDone {
        /// Parameter index.
        param: u8,
    },
    /// Change a parameter from the settings screen.
    Edit {
        /// Parameter index.
        param: u8,
    },
    /// The settings screen.
    Settings,
    /// On to the confirm screen.
    Continue,
    /// Run (the confirm screen's button).
    Run,
    /// Save the wizard's settings as a named preset (asks for the name).
    SavePreset,
    /// Leave the wizard.
    Cancel,
}

/// What to do with a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOp {
    /// Show it (history).
    Open,
    /// Cancel it while queued.
    Cancel,
    /// Run it again with the same parameters.
    Rerun,
    /// Same parameters, a new prompt.
    NewPrompt,
    /// Send its result again.
    Redeliver,
    /// Save its parameters as a named preset (asks for the name).
    SavePreset,
}

/// What to do with a preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetOp {
    /// Fill a new wizard with it.
    Apply,
    /// Delete it.
    Delete,
}

impl Action {
    /// The callback data (at most [`MAX_CALLBACK_BYTES`]: model ids are capped by the catalog).
    pub fn encode(&self) -> String {
        let s = match self {
            Action::Menu => "m".to_string(),
            Action::Category { category, page } => format!("c:{}:{page}", category.as_str()),
            Action::Free { page } => format!("f:{page}"),
            Action::Popular { page } => format!("p:{page}"),
            Action::Favourites { page } => format!("v:{page}"),
            Action::Star { model, on } => format!("z:{}:{model}", u8::from(*on)),
            Action::Preset { id, op } => {
                let op = match op {
                    PresetOp::Apply => "u",
                    PresetOp::Delete => "d",
                };
                format!("q:{id}:{op}")
            }
            Action::Search => "s".into(),
            Action::Card { model } => format!("o:{model}"),
            Action::Generate { model } => format!("g:{model}"),
            Action::Wizard { rev, op } => {
                let op = match op {
                    WizardOp::Choose { param, value } => format!("c:{param}:{value}"),
                    WizardOp::Toggle { param, on } => format!("t:{param}:{}", u8::from(*on)),
                    WizardOp::Preset { param, index } => format!("n:{param}:{index}"),
                    WizardOp::Default { param } => format!("d:{param}"),
                    WizardOp::UploadsDone { param } => format!("u:{param}"),
                    WizardOp::Edit { param } => format!("e:{param}"),
                    WizardOp::Settings => "s".into(),
                    WizardOp::Continue => "k".into(),
                    WizardOp::Run => "r".into(),
                    WizardOp::SavePreset => "v".into(),
                    WizardOp::Cancel => "x".into(),
                };
                format!("w:{rev}:{op}")
            }
            Action::Job { job, op } => {
                let op = match op {
                    JobOp::Open => "o",
                    JobOp::Cancel => "x",
                    JobOp::Rerun => "r",
                    JobOp::NewPrompt => "n",
                    JobOp::Redeliver => "d",
                    JobOp::SavePreset => "v",
                };
                format!("j:{job}:{op}")
            }
            Action::History { before: None } => "h".into(),
            Action::History { before: Some(b) } => format!("h:{b}"),
            Action::Balance => "b".into(),
            Action::TopUp => "t".into(),
            Action::TopUpStars { stars } => format!("t:{stars}"),
            Action::TopUpCustom => "tc".into(),
            Action::Language { lang } => format!("l:{}", lang.as_str()),
            Action::Help => "?".into(),
            Action::Noop => "-".into(),
        };
        tg_kit::callback::USER.encode(&s)
    }

    /// Decodes callback data; `None` for anything we did not produce.
    pub fn decode(data: &str) -> Option<Action> {
        if data.is_empty()
            || data.len() > MAX_CALLBACK_BYTES
            || !tg_kit::callback::is_user_data(data)
        {
            return None;
        }
        let (head, rest) = match data.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (data, None),
        };
        let action = match (head, rest) {
            ("m", None) => Action::Menu,
            ("s", None) => Action::Search,
            ("b", None) => Action::Balance,
            ("t", None) => Action::TopUp,
            ("tc", None) => Action::TopUpCustom,
            ("?", None) => Action::Help,
            ("-", None) => Action::Noop,
            ("h", None) => Action::History { before: None },
            ("h", Some(b)) => Action::History {
                before: Some(number(b)?),
            },
            ("c", Some(r)) => {
                let (cat, page) = r.split_once(':')?;
                Action::Category {
                    category: Category::parse(cat)?,
                    page: number(page)?,
                }
            }
            ("f", Some(p)) => Action::Free { page: number(p)? },
            ("p", Some(p)) => Action::Popular { page: number(p)? },
            ("v", Some(p)) => Action::Favourites { page: number(p)? },
            ("z", Some(r)) => {
                let (on, m) = r.split_once(':')?;
                let on = match on {
                    "0" => false,
                    "1" => true,
                    _ => return None,
                };
                Action::Star {
                    model: model_id(m)?,
                    on,
                }
            }
            ("q", Some(r)) => {
                let (id, op) = r.split_once(':')?;
                let op = match op {
                    "u" => PresetOp::Apply,
                    "d" => PresetOp::Delete,
                    _ => return None,
                };
                Action::Preset {
                    id: number(id)?,
                    op,
                }
            }
            ("o", Some(m)) => Action::Card {
                model: model_id(m)?,
            },
            ("g", Some(m)) => Action::Generate {
                model: model_id(m)?,
            },
            ("t", Some(n)) => Action::TopUpStars { stars: number(n)? },
            ("l", Some("ru")) => Action::Language { lang: Lang::Ru },
            ("l", Some("en")) => Action::Language { lang: Lang::En },
            ("j", Some(r)) => {
                let (job, op) = r.split_once(':')?;
                let op = match op {
                    "o" => JobOp::Open,
                    "x" => JobOp::Cancel,
                    "r" => JobOp::Rerun,
                    "n" => JobOp::NewPrompt,
                    "d" => JobOp::Redeliver,
                    "v" => JobOp::SavePreset,
                    _ => return None,
                };
                Action::Job {
                    job: number(job)?,
                    op,
                }
            }
            ("w", Some(r)) => {
                let (rev, op) = r.split_once(':')?;
                let rev = number(rev)?;
                let parts: Vec<&str> = op.split(':').collect();
                let op = match parts.as_slice() {
                    ["c", p, v] => WizardOp::Choose {
                        param: number(p)?,
                        value: number(v)?,
                    },
                    ["t", p, "0"] => WizardOp::Toggle {
                        param: number(p)?,
                        on: false,
                    },
                    ["t", p, "1"] => WizardOp::Toggle {
                        param: number(p)?,
                        on: true,
                    },
                    ["n", p, i] => WizardOp::Preset {
                        param: number(p)?,
                        index: number(i)?,
                    },
                    ["d", p] => WizardOp::Default { param: number(p)? },
                    ["u", p] => WizardOp::UploadsDone { param: number(p)? },
                    ["e", p] => WizardOp::Edit { param: number(p)? },
                    ["s"] => WizardOp::Settings,
                    ["k"] => WizardOp::Continue,
                    ["r"] => WizardOp::Run,
                    ["v"] => WizardOp::SavePreset,
                    ["x"] => WizardOp::Cancel,
                    _ => return None,
                };
                Action::Wizard { rev, op }
            }
            _ => return None,
        };
        // Only the canonical form is ours ("c:image:01" or "j:+5:o" are not).
        (action.encode() == data).then_some(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn samples() -> Vec<Action> {
        let long_model = "a".repeat(catalog::MAX_MODEL_ID_BYTES);
        vec![
            Action::Menu,
            Action::Category {
                category: Category::ImageEdit,
                page: 65535,
            },
            Action::Free { page: 3 },
            Action::Popular { page: 0 },
            Action::Search,
            Action::Card {
                model: long_model.clone(),
            },
            Action::Generate {
                model: long_model.clone(),
            },
            Action::Favourites { page: 65535 },
            Action::Star {
                model: long_model.clone(),
                on: true,
            },
            Action::Star {
                model: long_model,
                on: false,
            },
            Action::Preset {
                id: i64::MAX,
                op: PresetOp::Apply,
            },
            Action::Preset {
                id: 1,
                op: PresetOp::Delete,
            },
            Action::Wizard {
                rev: u32::MAX,
                op: WizardOp::SavePreset,
            },
            Action::Job {
                job: i64::MAX,
                op: JobOp::SavePreset,
            },
            Action::Wizard {
                rev: u32::MAX,
                op: WizardOp::Choose {
                    param: 255,
                    value: 255,
                },
            },
            Action::Wizard {
                rev: 7,
                op: WizardOp::Toggle { param: 1, on: true },
            },
            Action::Wizard {
                rev: 7,
                op: WizardOp::Preset { param: 1, index: 4 },
            },
            Action::Wizard {
                rev: 7,
                op: WizardOp::Run,
            },
            Action::Job {
                job: i64::MAX,
                op: JobOp::Redeliver,
            },
            Action::History { before: None },
            Action::History {
                before: Some(i64::MAX),
            },
            Action::Balance,
            Action::TopUp,
            Action::TopUpStars { stars: u32::MAX },
            Action::TopUpCustom,
            Action::Language { lang: Lang::En },
            Action::Help,
            Action::Noop,
        ]
    }

    #[test]
    fn every_action_round_trips_within_64_bytes() {
        for a in samples() {
            let data = a.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert!(
                tg_kit::callback::is_user_data(&data),
                "{data} is another branch's"
            );
            assert_eq!(Action::decode(&data), Some(a));
        }
    }

    #[test]
    fn forged_and_malformed_data_is_refused() {
        for bad in [
            "",
            "x",
            "m:",
            "c:image",
            "c:nosuch:0",
            "c:image:01",
            "c:image:-1",
            "c:image:+1",
            "j:5",
            "j:5:z",
            "j:-5:o",
            "j:99999999999999999999:o",
            "w:1:c:1",
            "w:1:t:1:2",
            "w::r",
            "o:../../etc",
            "o:a b",
            "l:de",
            "t:1.5",
            "h:",
            "v",
            "v:",
            "v:01",
            "z:1",
            "z:2:a/b",
            "z:1:../x",
            "z::a/b",
            "q:5",
            "q:5:x",
            "q:-5:u",
            "q:05:u",
            "q::u",
            "w:1:v:1",
            "j:5:v:1",
        ] {
            assert_eq!(Action::decode(bad), None, "{bad:?} must be refused");
        }
        assert_eq!(Action::decode(&"m".repeat(65)), None);
    }

    proptest! {
        #[test]
        fn decode_never_panics_and_only_accepts_canonical_data(s in "\\PC{0,70}") {
            if let Some(a) = Action::decode(&s) {
                prop_assert_eq!(a.encode(), s);
            }
        }
    }
}
