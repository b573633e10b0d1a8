//! Pending actions and roles on a real PostgreSQL: a Confirm is taken once however many arrive
//! at the same time, only by its own admin, never after it expires or is cancelled; roles are
//! read fresh and audited when changed.

use std::time::Duration;

use admin::pending::{self, Plan};
use admin::roles::{self, Role};
use diesel_async::RunQueryDsl;
use ledger::UserId;
use pricing::Money;
use test_db::TestDatabase;

const OWNER: UserId = UserId(1);
const OTHER: UserId = UserId(2);

fn credit() -> Plan {
    Plan::Credit {
        rub: Money::parse("150").unwrap(),
        reason: "goodwill".into(),
    }
}

#[tokio::test]
async fn twenty_concurrent_confirms_take_an_action_once() {
    let db = TestDatabase::new().await;
    let pool = db.pool(24);
    let proposed = pending::propose(
        &mut pool.get().await.unwrap(),
        OWNER,
        Some(UserId(42)),
        &credit(),
        Duration::from_secs(300),
    )
    .await
    .unwrap();
    let takes = (0..20).map(|_| {
        let pool = pool.clone();
        tokio::spawn(async move {
            pending::take(&mut pool.get().await.unwrap(), proposed.id, OWNER)
                .await
                .unwrap()
        })
    });
    let taken: Vec<_> = futures_util::future::join_all(takes)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .filter(Option::is_some)
        .collect();
    assert_eq!(taken.len(), 1, "exactly one Confirm runs");
    let got = taken[0].clone().unwrap();
    assert_eq!((got.plan, got.target), (credit(), Some(UserId(42))));
}

#[tokio::test]
async fn only_its_admin_before_expiry_and_not_after_cancel() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    let ttl = Duration::from_secs(300);
    let a = pending::propose(&mut conn, OWNER, None, &credit(), ttl)
        .await
        .unwrap();
    assert_eq!(
        pending::take(&mut conn, a.id, OTHER).await.unwrap(),
        None,
        "another admin"
    );
    assert!(!pending::cancel(&mut conn, a.id, OTHER).await.unwrap());
    assert!(pending::cancel(&mut conn, a.id, OWNER).await.unwrap());
    assert_eq!(
        pending::take(&mut conn, a.id, OWNER).await.unwrap(),
        None,
        "cancelled"
    );
    let b = pending::propose(&mut conn, OWNER, None, &credit(), ttl)
        .await
        .unwrap();
    diesel::sql_query(
        "UPDATE admin_actions SET created_at = now() - interval '10 minutes', \
         expires_at = now() - interval '1 second'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        pending::take(&mut conn, b.id, OWNER).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        pending::take(&mut conn, 999_999, OWNER).await.unwrap(),
        None,
        "no such id"
    );
}

#[tokio::test]
async fn roles_are_seeded_granted_and_revoked_with_an_audit_record() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    roles::seed_owners(&mut conn, &[OWNER.0]).await.unwrap();
    roles::seed_owners(&mut conn, &[OWNER.0]).await.unwrap();
    assert_eq!(
        roles::role_of(&mut conn, OWNER).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(roles::role_of(&mut conn, OTHER).await.unwrap(), None);
    roles::grant(&mut conn, OWNER, OTHER, Role::Support)
        .await
        .unwrap();
    assert_eq!(
        roles::role_of(&mut conn, OTHER).await.unwrap(),
        Some(Role::Support)
    );
    assert!(roles::revoke(&mut conn, OWNER, OTHER).await.unwrap());
    assert!(!roles::revoke(&mut conn, OWNER, OTHER).await.unwrap());
    assert_eq!(roles::role_of(&mut conn, OTHER).await.unwrap(), None);
    let log = ledger::recent_audit(&mut conn, None, 10).await.unwrap();
    let actions: Vec<_> = log.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["admin_revoke", "admin_grant"],
        "one record per change"
    );
}
