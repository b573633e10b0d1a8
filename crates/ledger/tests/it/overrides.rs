//! Model overrides: an admin's disabling needs a reason, is kept per model and audited in the
//! same statement.

use ledger::ModelOverride;

use crate::support::*;

#[tokio::test]
async fn disabling_needs_a_reason_is_audited_and_re_enabling_replaces_it() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    assert!(ledger::model_overrides(c).await.unwrap().is_empty());
    for reason in [None, Some(""), Some("   ")] {
        assert!(
            ledger::set_model_disabled(c, ADMIN, "google/nano-banana", true, reason)
                .await
                .is_err(),
            "{reason:?}"
        );
    }
    assert!(
        ledger::model_overrides(c).await.unwrap().is_empty(),
        "nothing written"
    );

    let off =
        ledger::set_model_disabled(c, ADMIN, "google/nano-banana", true, Some(" Kie is down "))
            .await
            .unwrap();
    assert_eq!(
        (
            off.model_id.as_str(),
            off.disabled,
            off.reason.as_deref(),
            off.changed_by
        ),
        ("google/nano-banana", true, Some("Kie is down"), ADMIN.0)
    );
    ledger::set_model_disabled(c, ADMIN, "other/model", true, Some("too dear"))
        .await
        .unwrap();
    assert_eq!(
        ledger::model_override(c, "google/nano-banana")
            .await
            .unwrap(),
        Some(off.clone())
    );
    assert_eq!(
        ledger::model_override(c, "unknown/model").await.unwrap(),
        None
    );

    let second_admin = user(c, 2).await;
    let on = ledger::set_model_disabled(c, second_admin, "google/nano-banana", false, None)
        .await
        .unwrap();
    assert!(!on.disabled && on.reason.is_none() && on.changed_by == 2);
    let all: Vec<ModelOverride> = ledger::model_overrides(c).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|o| (o.model_id.as_str(), o.disabled))
            .collect::<Vec<_>>(),
        vec![("google/nano-banana", false), ("other/model", true)]
    );

    let audit = ledger::recent_audit(c, None, 10).await.unwrap();
    let changes: Vec<(&str, Option<i64>, &serde_json::Value)> = audit
        .iter()
        .map(|a| (a.action.as_str(), a.actor_id, &a.details))
        .collect();
    assert_eq!(changes.len(), 3, "{changes:?}");
    assert_eq!(changes[0].0, "model_enabled");
    assert_eq!(changes[0].1, Some(2));
    assert_eq!(changes[0].2["model_id"], "google/nano-banana");
    assert_eq!(changes[0].2["was_disabled"], true);
    assert_eq!(changes[2].0, "model_disabled");
    assert_eq!(changes[2].2["reason"], "Kie is down");
    assert_eq!(changes[2].2["was_disabled"], false);
}

#[tokio::test]
async fn the_database_refuses_a_disabled_model_without_a_reason() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    use diesel_async::SimpleAsyncConnection;
    let e = c
        .batch_execute(
            "INSERT INTO model_overrides (model_id, disabled, reason, changed_by) VALUES ('m', true, ' ', 1)",
        )
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("model_overrides_disabled_has_reason"),
        "{e}"
    );
}
