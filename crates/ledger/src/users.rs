//! Users: upserted on every Telegram update, banned and unbanned, given roles, marked
//! unreachable when Telegram answers 403. Admin actions write their audit record in the same
//! statement.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::LedgerError;
use crate::schema::users;
use crate::types::{Language, Role, UserId};

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    /// The Telegram user id.
    #[diesel(deserialize_as = i64)]
    pub id: UserId,
    /// @username, if any.
    pub username: Option<String>,
    /// First name (may be empty).
    pub first_name: String,
    /// Last name, if any.
    pub last_name: Option<String>,
    /// The language the bot speaks to them in.
    #[diesel(deserialize_as = String)]
    pub language: Language,
    /// User or admin.
    #[diesel(deserialize_as = String)]
    pub role: Role,
    /// Banned: nothing works for them but one message saying so.
    pub banned: bool,
    /// Why.
    pub ban_reason: Option<String>,
    /// By which admin.
    pub banned_by: Option<i64>,
    /// When.
    pub banned_at: Option<DateTime<Utc>>,
    /// False once Telegram answered 403 (they blocked the bot).
    pub reachable: bool,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last seen (refreshed at most every few minutes).
    pub last_seen_at: DateTime<Utc>,
}

/// What Telegram tells us about a user on each update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelegramProfile {
    /// The Telegram user id.
    pub id: UserId,
    /// @username, if any.
    pub username: Option<String>,
    /// First name.
    pub first_name: String,
    /// Last name, if any.
    pub last_name: Option<String>,
}

/// Creates the user (with an empty account, by trigger) or refreshes their names, and returns
/// them. `language` is used only when the user is new: later changes go through
/// [`set_language`].
///
/// Cheap on the hot path: when nothing changed and they were seen in the last five minutes, no
/// row is written (one statement to find that out, one to read the row).
pub async fn upsert_user(
    conn: &mut AsyncPgConnection,
    profile: &TelegramProfile,
    language: Language,
) -> Result<User, LedgerError> {
    use diesel::query_dsl::methods::FilterDsl;
    use diesel::upsert::excluded;
    let now = Utc::now();
    let written: Option<User> = diesel::insert_into(users::table)
        .values((
            users::id.eq(profile.id.0),
            users::username.eq(profile.username.as_deref()),
            users::first_name.eq(&profile.first_name),
            users::last_name.eq(profile.last_name.as_deref()),
            users::language.eq(language.as_str()),
        ))
        .on_conflict(users::id)
        .do_update()
        .set((
            users::username.eq(excluded(users::username)),
            users::first_name.eq(excluded(users::first_name)),
            users::last_name.eq(excluded(users::last_name)),
            users::last_seen_at.eq(now),
        ))
        .filter(
            users::username
                .is_distinct_from(excluded(users::username))
                .or(users::first_name.is_distinct_from(excluded(users::first_name)))
                .or(users::last_name.is_distinct_from(excluded(users::last_name)))
                .or(users::last_seen_at.lt(now - chrono::Duration::minutes(5))),
        )
        .returning(User::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match written {
        Some(u) => Ok(u),
        None => user(conn, profile.id)
            .await?
            .ok_or(LedgerError::NoSuchUser(profile.id.0)),
    }
}

/// A `users` row as the raw query of [`enter`] returns it, with the dialogue beside it.
#[derive(QueryableByName)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct Entered {
    id: i64,
    username: Option<String>,
    first_name: String,
    last_name: Option<String>,
    language: String,
    role: String,
    banned: bool,
    ban_reason: Option<String>,
    banned_by: Option<i64>,
    banned_at: Option<DateTime<Utc>>,
    reachable: bool,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    dialogue: Option<serde_json::Value>,
}

impl Entered {
    fn split(self) -> Result<(User, Option<serde_json::Value>), LedgerError> {
        let user = User {
            id: UserId(self.id),
            username: self.username,
            first_name: self.first_name,
            last_name: self.last_name,
            language: self
                .language
                .parse()
                .map_err(|e| LedgerError::Unexpected(format!("{e:?}")))?,
            role: self
                .role
                .parse()
                .map_err(|e| LedgerError::Unexpected(format!("{e:?}")))?,
            banned: self.banned,
            ban_reason: self.ban_reason,
            banned_by: self.banned_by,
            banned_at: self.banned_at,
            reachable: self.reachable,
            created_at: self.created_at,
            last_seen_at: self.last_seen_at,
        };
        Ok((user, self.dialogue))
    }
}

/// What every update starts with, in one round trip: [`upsert_user`] (written only when the
/// profile changed or `last_seen_at` is five minutes old) and the stored dialogue state of
/// `chat` (see [`crate::dialogue`]).
pub async fn enter(
    conn: &mut AsyncPgConnection,
    profile: &TelegramProfile,
    language: Language,
    chat: i64,
) -> Result<(User, Option<serde_json::Value>), LedgerError> {
    use diesel::sql_types::{BigInt, Nullable, Text};
    // A data-modifying CTE: the outer query sees `users` as before the upsert, so the row
    // comes from `up` when it was written and from `users` when it was left alone.
    let entered = diesel::sql_query(
        "WITH up AS (              INSERT INTO users AS u (id, username, first_name, last_name, language)              VALUES ($1, $2, $3, $4, $5)              ON CONFLICT (id) DO UPDATE                 SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,                     last_name = EXCLUDED.last_name, last_seen_at = now()               WHERE u.username IS DISTINCT FROM EXCLUDED.username                  OR u.first_name IS DISTINCT FROM EXCLUDED.first_name                  OR u.last_name IS DISTINCT FROM EXCLUDED.last_name                  OR u.last_seen_at < now() - interval '5 minutes'              RETURNING u.*),          found AS (              SELECT * FROM up              UNION ALL              SELECT * FROM users WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM up))          SELECT found.*, d.state AS dialogue FROM found            LEFT JOIN dialogues d ON d.chat_id = $6",
    )
    .bind::<BigInt, _>(profile.id.0)
    .bind::<Nullable<Text>, _>(profile.username.as_deref())
    .bind::<Text, _>(&profile.first_name)
    .bind::<Nullable<Text>, _>(profile.last_name.as_deref())
    .bind::<Text, _>(language.as_str())
    .bind::<BigInt, _>(chat)
    .get_result::<Entered>(conn)
    .await?;
    entered.split()
}

/// A user by id.
pub async fn user(conn: &mut AsyncPgConnection, id: UserId) -> Result<Option<User>, LedgerError> {
    Ok(users::table
        .find(id.0)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Sets the language the bot speaks to the user in.
pub async fn set_language(
    conn: &mut AsyncPgConnection,
    id: UserId,
    language: Language,
) -> Result<(), LedgerError> {
    let n = diesel::update(users::table.find(id.0))
        .set(users::language.eq(language.as_str()))
        .execute(conn)
        .await?;
    if n == 0 {
        return Err(LedgerError::NoSuchUser(id.0));
    }
    Ok(())
}

async fn audited_update(
    conn: &mut AsyncPgConnection,
    set_clause: &str,
    action: &str,
    admin: UserId,
    target: UserId,
    reason: Option<&str>,
) -> Result<(), LedgerError> {
    // One statement: the change and its audit record commit together or not at all.
    let n = diesel::sql_query(format!(
        "WITH changed AS (UPDATE users SET {set_clause} WHERE id = $2 RETURNING id) \
         INSERT INTO audit_log (actor_id, action, target_user_id, details) \
         SELECT $1, $4, id, jsonb_strip_nulls(jsonb_build_object('reason', $3::TEXT)) FROM changed"
    ))
    .bind::<BigInt, _>(admin.0)
    .bind::<BigInt, _>(target.0)
    .bind::<Nullable<Text>, _>(reason)
    .bind::<Text, _>(action)
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(LedgerError::NoSuchUser(target.0));
    }
    Ok(())
}

/// Bans a user (recorded in the audit log with the admin and reason).
pub async fn ban(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    target: UserId,
    reason: &str,
) -> Result<(), LedgerError> {
    if reason.trim().is_empty() {
        return Err(LedgerError::Invalid("a ban needs a reason".into()));
    }
    audited_update(
        conn,
        "banned = true, ban_reason = $3, banned_by = $1, banned_at = now()",
        "ban",
        admin,
        target,
        Some(reason),
    )
    .await
}

/// Lifts a ban (recorded in the audit log).
pub async fn unban(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    target: UserId,
) -> Result<(), LedgerError> {
    audited_update(
        conn,
        "banned = false, ban_reason = NULL, banned_by = NULL, banned_at = NULL",
        "unban",
        admin,
        target,
        None,
    )
    .await
}

/// Gives a user a role (recorded in the audit log).
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    admin: UserId,
    target: UserId,
    role: Role,
) -> Result<(), LedgerError> {
    let set = match role {
        Role::Admin => "role = 'admin'",
        Role::User => "role = 'user'",
    };
    let action = match role {
        Role::Admin => "role_admin",
        Role::User => "role_user",
    };
    audited_update(conn, set, action, admin, target, None).await
}

/// Marks a user unreachable (Telegram answered 403: they blocked the bot). Their money and jobs
/// stay; [`mark_reachable`] undoes it when they write again.
pub async fn mark_unreachable(conn: &mut AsyncPgConnection, id: UserId) -> Result<(), LedgerError> {
    set_reachable(conn, id, false).await
}

/// Marks a user reachable again.
pub async fn mark_reachable(conn: &mut AsyncPgConnection, id: UserId) -> Result<(), LedgerError> {
    set_reachable(conn, id, true).await
}

async fn set_reachable(
    conn: &mut AsyncPgConnection,
    id: UserId,
    reachable: bool,
) -> Result<(), LedgerError> {
    diesel::update(
        users::table
            .find(id.0)
            .filter(users::reachable.ne(reachable)),
    )
    .set(users::reachable.eq(reachable))
    .execute(conn)
    .await?;
    Ok(())
}
