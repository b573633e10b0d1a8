//! Who is an admin, and with what role (table `admins`). The ids in `ADMIN_IDS` are seeded as
//! owners at every start, so the operator can always get in; an owner adds and removes the
//! others from Telegram. The role is read from the database on every admin command and every
//! admin button press: callback data never carries authority.
//!
//! This module must never cache a role: a revoked admin loses access at their next tap.

use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ledger::UserId;

/// What an admin may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Views, search, bans: support cannot move money, change prices or manage admins.
    Support,
    /// Everything.
    Owner,
}

impl Role {
    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Support => "support",
        }
    }

    /// Parses the database (and `/grant`) spelling.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "support" => Some(Role::Support),
            _ => None,
        }
    }
}

/// An admin as the database knows them.
#[derive(Clone, Debug, PartialEq, Eq, diesel::QueryableByName)]
pub struct AdminRow {
    /// Their Telegram id.
    #[diesel(sql_type = BigInt)]
    pub user_id: i64,
    /// `owner` or `support`.
    #[diesel(sql_type = Text)]
    pub role: String,
    /// Who added them; `None` for the owners seeded from ADMIN_IDS.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub added_by: Option<i64>,
}

/// The role of `user`, or `None` when they are not an admin.
pub async fn role_of(conn: &mut AsyncPgConnection, user: UserId) -> anyhow::Result<Option<Role>> {
    let rows: Vec<AdminRow> =
        diesel::sql_query("SELECT user_id, role, added_by FROM admins WHERE user_id = $1")
            .bind::<BigInt, _>(user.0)
            .load(conn)
            .await?;
    Ok(rows.into_iter().next().and_then(|r| Role::parse(&r.role)))
}

/// Makes every id in `owners` an owner (ADMIN_IDS, at start).
pub async fn seed_owners(conn: &mut AsyncPgConnection, owners: &[i64]) -> anyhow::Result<()> {
    diesel::sql_query(
        "INSERT INTO admins (user_id, role) SELECT unnest($1::BIGINT[]), 'owner' \
         ON CONFLICT (user_id) DO UPDATE SET role = 'owner'",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(owners)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every admin, owners first.
pub async fn admins(conn: &mut AsyncPgConnection) -> anyhow::Result<Vec<AdminRow>> {
    Ok(diesel::sql_query(
        "SELECT user_id, role, added_by FROM admins ORDER BY role = 'owner' DESC, user_id",
    )
    .load(conn)
    .await?)
}

/// Gives `target` a role, with its audit record in the same statement.
pub async fn grant(
    conn: &mut AsyncPgConnection,
    by: UserId,
    target: UserId,
    role: Role,
) -> anyhow::Result<()> {
    diesel::sql_query(
        "WITH granted AS (\
           INSERT INTO admins (user_id, role, added_by) VALUES ($2, $3, $1) \
           ON CONFLICT (user_id) DO UPDATE SET role = $3, added_by = $1 RETURNING user_id) \
         INSERT INTO audit_log (actor_id, action, target_user_id, details) \
         SELECT $1, 'admin_grant', user_id, jsonb_build_object('role', $3::TEXT) FROM granted",
    )
    .bind::<BigInt, _>(by.0)
    .bind::<BigInt, _>(target.0)
    .bind::<Text, _>(role.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes `target`'s admin role away (audited in the same statement). Returns false when they
/// were not an admin.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    by: UserId,
    target: UserId,
) -> anyhow::Result<bool> {
    let n = diesel::sql_query(
        "WITH gone AS (DELETE FROM admins WHERE user_id = $2 RETURNING user_id, role) \
         INSERT INTO audit_log (actor_id, action, target_user_id, details) \
         SELECT $1, 'admin_revoke', user_id, jsonb_build_object('role', role) FROM gone",
    )
    .bind::<BigInt, _>(by.0)
    .bind::<BigInt, _>(target.0)
    .execute(conn)
    .await?;
    Ok(n > 0)
}
