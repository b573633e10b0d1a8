//! The audit log's filtered pages (`audit_page`): by the user a record concerns, by the admin
//! who acted, by action, combined, paged by id, newest first.

use ledger::{AuditFilter, UserId};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn audit_pages_filter_by_user_admin_and_action_and_page_newest_first() {
    let (_db, pool) = setup(1).await;
    let c = &mut pool.get().await.unwrap();
    let (alice, bob) = (UserId(100), UserId(200));
    let (owner, helper) = (UserId(1), UserId(2));
    // (actor, action, target), oldest first.
    let records = [
        (Some(owner), "ban", Some(alice)),
        (Some(helper), "admin_view_user", Some(alice)),
        (Some(owner), "admin_view_user", Some(bob)),
        (None, "kie_out_of_credit", None),
        (Some(helper), "unban", Some(alice)),
        (Some(owner), "admin_view_user", Some(alice)),
    ];
    for (n, (actor, action, target)) in records.iter().enumerate() {
        ledger::record_audit(c, *actor, action, *target, json!({ "n": n }))
            .await
            .unwrap();
    }
    let ns = |page: &[ledger::AuditRecord]| -> Vec<i64> {
        page.iter()
            .map(|r| r.details["n"].as_i64().unwrap())
            .collect()
    };
    let all = ledger::audit_page(c, &AuditFilter::default(), None, 100)
        .await
        .unwrap();
    assert_eq!(ns(&all), [5, 4, 3, 2, 1, 0], "no filter: everything");
    let about_alice = AuditFilter {
        target: Some(alice),
        ..AuditFilter::default()
    };
    let page = ledger::audit_page(c, &about_alice, None, 100)
        .await
        .unwrap();
    assert_eq!(ns(&page), [5, 4, 1, 0]);
    let by_helper = AuditFilter {
        actor: Some(helper),
        ..AuditFilter::default()
    };
    let page = ledger::audit_page(c, &by_helper, None, 100).await.unwrap();
    assert_eq!(ns(&page), [4, 1]);
    let views = AuditFilter {
        action: Some("admin_view_user".into()),
        ..AuditFilter::default()
    };
    let page = ledger::audit_page(c, &views, None, 100).await.unwrap();
    assert_eq!(ns(&page), [5, 2, 1]);
    let owner_viewing_alice = AuditFilter {
        target: Some(alice),
        actor: Some(owner),
        action: Some("admin_view_user".into()),
    };
    let page = ledger::audit_page(c, &owner_viewing_alice, None, 100)
        .await
        .unwrap();
    assert_eq!(ns(&page), [5], "every field set must match");
    // Paging: two at a time, each page older than the last one's oldest.
    let first = ledger::audit_page(c, &about_alice, None, 2).await.unwrap();
    assert_eq!(ns(&first), [5, 4]);
    let second = ledger::audit_page(c, &about_alice, first.last().map(|r| r.id), 2)
        .await
        .unwrap();
    assert_eq!(ns(&second), [1, 0]);
    let third = ledger::audit_page(c, &about_alice, second.last().map(|r| r.id), 2)
        .await
        .unwrap();
    assert!(third.is_empty());
    // An action that is nobody's, and a limit clamped to at least one.
    let none = AuditFilter {
        action: Some("x'; DROP TABLE audit_log; --".into()),
        ..AuditFilter::default()
    };
    assert!(
        ledger::audit_page(c, &none, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let one = ledger::audit_page(c, &AuditFilter::default(), None, 0)
        .await
        .unwrap();
    assert_eq!(ns(&one), [5]);
}
