//! Favourites and presets (the UI's, issue 13): the models a user starred, and named presets of
//! a model's non-file parameters. Caps are enforced here, by the SQL functions that add
//! (`ui_add_favourite`, `ui_save_preset` in `migrations/…_favourites`), under the user's row
//! lock; reaching a cap is an `Ok` outcome, like every expected outcome of the ledger.
//!
//! The ledger does not know the catalog: it stores any model id and any JSON object it is
//! given. The UI decides what goes in (only models on sale, only non-file parameters) and
//! re-validates a preset's input like any other when it is applied.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::schema::{favourites, presets};
use crate::types::UserId;

/// At most this many favourites per user.
pub const MAX_FAVOURITES: i32 = 50;
/// At most this many presets per user and model (all of them fit on the wizard's first screen).
pub const MAX_PRESETS_PER_MODEL: i32 = 10;
/// A preset's name is 1 to this many characters.
pub const MAX_PRESET_NAME_CHARS: usize = 32;

/// What starring a model did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StarOutcome {
    /// It is a favourite now.
    Added,
    /// It already was; nothing changed.
    Already,
    /// The user has [`MAX_FAVOURITES`] already; nothing changed.
    Full,
}

/// Stars `model_id` for `user` (idempotent; refused with [`StarOutcome::Full`] past the cap).
pub async fn star(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model_id: &str,
) -> Result<StarOutcome, LedgerError> {
    if model_id.trim().is_empty() {
        return Err(LedgerError::Invalid("a favourite needs a model id".into()));
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        outcome: String,
    }
    let row: Row = diesel::sql_query("SELECT ui_add_favourite($1, $2, $3) AS outcome")
        .bind::<BigInt, _>(user.0)
        .bind::<Text, _>(model_id)
        .bind::<Integer, _>(MAX_FAVOURITES)
        .get_result(conn)
        .await?;
    match row.outcome.as_str() {
        "added" => Ok(StarOutcome::Added),
        "already" => Ok(StarOutcome::Already),
        "full" => Ok(StarOutcome::Full),
        other => Err(LedgerError::Unexpected(format!(
            "ui_add_favourite answered {other}"
        ))),
    }
}

/// Unstars `model_id` for `user` (idempotent); true when it was a favourite.
pub async fn unstar(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model_id: &str,
) -> Result<bool, LedgerError> {
    let n = diesel::delete(favourites::table.find((user.0, model_id)))
        .execute(conn)
        .await?;
    Ok(n > 0)
}

/// Whether `user` starred `model_id`.
pub async fn is_favourite(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model_id: &str,
) -> Result<bool, LedgerError> {
    Ok(diesel::select(diesel::dsl::exists(
        favourites::table.find((user.0, model_id)),
    ))
    .get_result(conn)
    .await?)
}

/// The models `user` starred, oldest first (whether on sale or not: the UI hides those that
/// are not).
pub async fn favourites(
    conn: &mut AsyncPgConnection,
    user: UserId,
) -> Result<Vec<String>, LedgerError> {
    Ok(favourites::table
        .filter(favourites::user_id.eq(user.0))
        .order((favourites::created_at.asc(), favourites::model_id.asc()))
        .select(favourites::model_id)
        .load(conn)
        .await?)
}

/// A named preset of a model's parameters.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = presets, check_for_backend(diesel::pg::Pg))]
pub struct Preset {
    /// Its id (what the UI's buttons carry).
    pub id: i64,
    /// Its owner.
    pub user_id: i64,
    /// The model it is for.
    pub model_id: String,
    /// Its name, as the user typed it (escape it to show it).
    pub name: String,
    /// The parameters: a JSON object of non-file values.
    pub input: serde_json::Value,
    /// When it was saved last.
    pub created_at: DateTime<Utc>,
}

/// What saving a preset did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveOutcome {
    /// A new preset with this id.
    Added(i64),
    /// The preset of that name (this id) has the new parameters.
    Replaced(i64),
    /// The user has [`MAX_PRESETS_PER_MODEL`] presets of this model; nothing changed.
    Full,
}

/// True for a name a preset can have: 1 to [`MAX_PRESET_NAME_CHARS`] characters, not blank,
/// and without surrounding whitespace (the UI trims what the user typed).
pub fn valid_preset_name(name: &str) -> bool {
    let chars = name.chars().count();
    (1..=MAX_PRESET_NAME_CHARS).contains(&chars) && name.trim() == name
}

/// Saves `input` (a JSON object) as `user`'s preset `name` of `model_id`: the same name
/// replaces the preset's parameters; a new name past the cap is refused ([`SaveOutcome::Full`]).
/// A name that is not [`valid_preset_name`] or an input that is not an object is a bug.
pub async fn save_preset(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model_id: &str,
    name: &str,
    input: &serde_json::Value,
) -> Result<SaveOutcome, LedgerError> {
    if model_id.trim().is_empty() || !valid_preset_name(name) || !input.is_object() {
        return Err(LedgerError::Invalid(format!(
            "a preset needs a model, a name of 1–{MAX_PRESET_NAME_CHARS} characters and an object"
        )));
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        outcome: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        preset_id: Option<i64>,
    }
    let row: Row =
        diesel::sql_query("SELECT outcome, preset_id FROM ui_save_preset($1, $2, $3, $4, $5)")
            .bind::<BigInt, _>(user.0)
            .bind::<Text, _>(model_id)
            .bind::<Text, _>(name)
            .bind::<Jsonb, _>(input)
            .bind::<Integer, _>(MAX_PRESETS_PER_MODEL)
            .get_result(conn)
            .await?;
    match (row.outcome.as_str(), row.preset_id) {
        ("added", Some(id)) => Ok(SaveOutcome::Added(id)),
        ("replaced", Some(id)) => Ok(SaveOutcome::Replaced(id)),
        ("full", None) => Ok(SaveOutcome::Full),
        (other, id) => Err(LedgerError::Unexpected(format!(
            "ui_save_preset answered {other} {id:?}"
        ))),
    }
}

/// `user`'s presets of `model_id`, most recently saved first.
pub async fn presets(
    conn: &mut AsyncPgConnection,
    user: UserId,
    model_id: &str,
) -> Result<Vec<Preset>, LedgerError> {
    Ok(presets::table
        .filter(presets::user_id.eq(user.0))
        .filter(presets::model_id.eq(model_id))
        .order((presets::created_at.desc(), presets::id.desc()))
        .select(Preset::as_select())
        .load(conn)
        .await?)
}

/// The preset `id` if `user` owns it (anyone else's id is `None`, as if it did not exist).
pub async fn preset(
    conn: &mut AsyncPgConnection,
    user: UserId,
    id: i64,
) -> Result<Option<Preset>, LedgerError> {
    Ok(presets::table
        .find(id)
        .filter(presets::user_id.eq(user.0))
        .select(Preset::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Deletes `user`'s preset `id`; true when it existed and was theirs (anyone else's id
/// changes nothing).
pub async fn delete_preset(
    conn: &mut AsyncPgConnection,
    user: UserId,
    id: i64,
) -> Result<bool, LedgerError> {
    let n = diesel::delete(
        presets::table
            .filter(presets::id.eq(id))
            .filter(presets::user_id.eq(user.0)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}
