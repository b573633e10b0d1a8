//! What the Telegram UI stores and reads beyond money: each chat's dialogue state, the models
//! people run most, recent Stars payments (for /paysupport), and the Telegram file ids of a
//! delivered result (so history can re-deliver it without Kie).
//!
//! The dialogue state is the UI's own JSON: this module stores it and never interprets it.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::LedgerError;
use crate::schema::{dialogues, jobs, payments};
use crate::types::{JobId, UserId};
use pricing::Money;

/// The stored dialogue state of `chat`, if any.
pub async fn dialogue(
    conn: &mut AsyncPgConnection,
    chat: i64,
) -> Result<Option<serde_json::Value>, LedgerError> {
    Ok(dialogues::table
        .find(chat)
        .select(dialogues::state)
        .first(conn)
        .await
        .optional()?)
}

/// Stores the dialogue state of `chat` (insert or replace).
pub async fn set_dialogue(
    conn: &mut AsyncPgConnection,
    chat: i64,
    state: &serde_json::Value,
) -> Result<(), LedgerError> {
    diesel::insert_into(dialogues::table)
        .values((dialogues::chat_id.eq(chat), dialogues::state.eq(state)))
        .on_conflict(dialogues::chat_id)
        .do_update()
        .set((
            dialogues::state.eq(state),
            dialogues::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the dialogue state of `chat` (back to the default).
pub async fn remove_dialogue(conn: &mut AsyncPgConnection, chat: i64) -> Result<(), LedgerError> {
    diesel::delete(dialogues::table.find(chat))
        .execute(conn)
        .await?;
    Ok(())
}

/// The `limit` models with the most jobs created since `since`, most first (ties by id).
pub async fn popular_models(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>, LedgerError> {
    use diesel::dsl::count_star;
    Ok(jobs::table
        .filter(jobs::created_at.ge(since))
        .group_by(jobs::model_id)
        .select((jobs::model_id, count_star()))
        .order((count_star().desc(), jobs::model_id.asc()))
        .limit(limit.clamp(1, 100))
        .load(conn)
        .await?)
}

/// A Stars payment, as /paysupport lists it.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg))]
pub struct Payment {
    /// Telegram's charge id (what support asks for).
    pub telegram_payment_charge_id: String,
    /// Stars paid.
    pub xtr_amount: i32,
    /// Rubles credited.
    #[diesel(deserialize_as = Decimal)]
    pub rub_credited: Money,
    /// `credited` or `refunded`.
    pub state: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The `limit` (1–20) most recent payments of `user`, newest first.
pub async fn recent_payments(
    conn: &mut AsyncPgConnection,
    user: UserId,
    limit: i64,
) -> Result<Vec<Payment>, LedgerError> {
    Ok(payments::table
        .filter(payments::user_id.eq(user.0))
        .order(payments::id.desc())
        .limit(limit.clamp(1, 20))
        .select(Payment::as_select())
        .load(conn)
        .await?)
}

/// Records the Telegram file ids a result was delivered as, under `result.telegram`, so the
/// result can be sent again from history. Changes nothing else on the job.
pub async fn record_delivered_files(
    conn: &mut AsyncPgConnection,
    job: JobId,
    files: &serde_json::Value,
) -> Result<(), LedgerError> {
    diesel::sql_query(
        "UPDATE jobs SET result = coalesce(result, '{}'::jsonb) || jsonb_build_object('telegram', $2::jsonb) \
         WHERE id = $1",
    )
    .bind::<BigInt, _>(job.0)
    .bind::<Jsonb, _>(files)
    .execute(conn)
    .await?;
    Ok(())
}
