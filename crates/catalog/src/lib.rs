//! The model catalog: every Kie model the bot sells, loaded from `registry/`.
//!
//! # What it does
//! - [`Catalog::load_dir`] reads `registry/models/*.json` once at start, checks each file against
//!   the model-file format (`registry/model.schema.json`, embedded at build time), compiles every
//!   model's input schema, and proves each price rule covers every input the schema allows. Every
//!   problem in every file is reported, each naming the file and the field.
//! - Lookup by id, categories with counts, a category's models cheapest first, search by name and
//!   tag.
//! - [`Model::validate`] checks a user's parameters, applies defaults and returns either a
//!   [`ValidatedInput`] or typed [`InputError`]s with the field path and a machine-readable kind,
//!   so the UI can phrase them in any language.
//! - [`Model::quote`] prices a validated input through the `pricing` crate.
//!
//! # What it must never do
//! Know about PostgreSQL, Telegram or HTTP; change a model at run time (admin overrides live in
//! the database and are applied by the layers above); accept a model file that any check
//! rejects.
#![deny(missing_docs)]

mod catalog;
mod input;
mod load;
mod model;
mod param;

pub use catalog::{Catalog, CategoryCount};
pub use input::{InputError, InputErrorKind, ValidatedInput};
pub use load::{LoadError, Problem};
pub use model::{Api, Category, Model, OutputKind};
pub use param::{MediaKind, Param, ParamKind};
pub use pricing::Text;

/// The longest model id the UI's callback data can carry: Telegram allows 64 bytes of
/// callback data, and the UI reserves 16 for its action prefix and arguments.
pub const MAX_MODEL_ID_BYTES: usize = 48;

/// The longest title, in characters, so a button "title · price" fits a phone screen.
pub const MAX_TITLE_CHARS: usize = 32;
