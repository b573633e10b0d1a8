//! Favourites and presets: starring is idempotent and capped, a preset's name is unique per
//! user and model (saving it again replaces it), presets are capped per model, and a preset is
//! only ever read or deleted by its owner.

use ledger::{MAX_FAVOURITES, MAX_PRESETS_PER_MODEL, SaveOutcome, StarOutcome, UserId};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn starring_is_idempotent_and_capped() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 10).await;
    let other = user(c, 11).await;
    assert!(ledger::favourites(c, u).await.unwrap().is_empty());
    assert_eq!(
        ledger::star(c, u, "a/one").await.unwrap(),
        StarOutcome::Added
    );
    assert_eq!(
        ledger::star(c, u, "a/one").await.unwrap(),
        StarOutcome::Already
    );
    assert_eq!(
        ledger::star(c, u, "b/two").await.unwrap(),
        StarOutcome::Added
    );
    assert_eq!(
        ledger::favourites(c, u).await.unwrap(),
        vec!["a/one".to_string(), "b/two".to_string()]
    );
    assert!(ledger::is_favourite(c, u, "a/one").await.unwrap());
    assert!(!ledger::is_favourite(c, other, "a/one").await.unwrap());
    assert!(ledger::favourites(c, other).await.unwrap().is_empty());

    assert!(ledger::unstar(c, u, "a/one").await.unwrap());
    assert!(!ledger::unstar(c, u, "a/one").await.unwrap(), "idempotent");
    assert!(!ledger::unstar(c, other, "b/two").await.unwrap());
    assert_eq!(ledger::favourites(c, u).await.unwrap(), vec!["b/two"]);

    for n in 1..MAX_FAVOURITES {
        assert_eq!(
            ledger::star(c, u, &format!("m/{n}")).await.unwrap(),
            StarOutcome::Added
        );
    }
    assert_eq!(ledger::favourites(c, u).await.unwrap().len(), 50);
    assert_eq!(
        ledger::star(c, u, "one/too/many").await.unwrap(),
        StarOutcome::Full
    );
    assert_eq!(
        ledger::star(c, u, "b/two").await.unwrap(),
        StarOutcome::Already,
        "an existing favourite is not refused at the cap"
    );
    assert_eq!(ledger::favourites(c, u).await.unwrap().len(), 50);
    assert!(ledger::star(c, u, " ").await.is_err());
    assert!(
        ledger::star(c, UserId(999), "a/one").await.is_err(),
        "an unknown user is a bug"
    );
}

#[tokio::test]
async fn presets_overwrite_by_name_are_capped_and_owner_only() {
    let (_db, pool) = setup(2).await;
    let c = &mut pool.get().await.unwrap();
    let u = user(c, 20).await;
    let mallory = user(c, 21).await;
    let first = json!({"prompt": "a cat", "aspect_ratio": "16:9"});
    let SaveOutcome::Added(id) = ledger::save_preset(c, u, "m/x", "My <b>style</b>", &first)
        .await
        .unwrap()
    else {
        panic!("added")
    };
    let got = ledger::preset(c, u, id)
        .await
        .unwrap()
        .expect("the owner's");
    assert_eq!(
        (got.name.as_str(), &got.input, got.model_id.as_str()),
        ("My <b>style</b>", &first, "m/x")
    );
    assert_eq!(ledger::preset(c, mallory, id).await.unwrap(), None);
    assert_eq!(ledger::preset(c, u, id + 1000).await.unwrap(), None);

    // The same name replaces (same id); the same name for another model or user is another.
    let second = json!({"prompt": "a dog"});
    assert_eq!(
        ledger::save_preset(c, u, "m/x", "My <b>style</b>", &second)
            .await
            .unwrap(),
        SaveOutcome::Replaced(id)
    );
    let list = ledger::presets(c, u, "m/x").await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].input, second);
    assert!(matches!(
        ledger::save_preset(c, u, "m/y", "My <b>style</b>", &first)
            .await
            .unwrap(),
        SaveOutcome::Added(other) if other != id
    ));
    assert!(matches!(
        ledger::save_preset(c, mallory, "m/x", "My <b>style</b>", &first)
            .await
            .unwrap(),
        SaveOutcome::Added(_)
    ));
    assert_eq!(ledger::presets(c, u, "m/x").await.unwrap().len(), 1);

    // The cap per model: a new name is refused, an existing one still replaces.
    for n in 1..MAX_PRESETS_PER_MODEL {
        assert!(matches!(
            ledger::save_preset(c, u, "m/x", &format!("p{n}"), &first)
                .await
                .unwrap(),
            SaveOutcome::Added(_)
        ));
    }
    assert_eq!(
        ledger::save_preset(c, u, "m/x", "one too many", &first)
            .await
            .unwrap(),
        SaveOutcome::Full
    );
    assert_eq!(
        ledger::save_preset(c, u, "m/x", "p1", &second)
            .await
            .unwrap(),
        match ledger::presets(c, u, "m/x")
            .await
            .unwrap()
            .iter()
            .find(|p| p.name == "p1")
        {
            Some(p) => SaveOutcome::Replaced(p.id),
            None => panic!("p1"),
        }
    );
    assert_eq!(
        ledger::presets(c, u, "m/x").await.unwrap().len(),
        MAX_PRESETS_PER_MODEL as usize
    );
    assert_eq!(
        ledger::presets(c, u, "m/x").await.unwrap()[0].name,
        "p1",
        "the most recently saved first"
    );

    // Names and inputs the UI must never send.
    for bad in ["", " padded ", &"x".repeat(33)] {
        assert!(
            ledger::save_preset(c, u, "m/z", bad, &first).await.is_err(),
            "{bad:?}"
        );
    }
    assert!(
        ledger::save_preset(c, u, "m/z", "ok", &json!([1]))
            .await
            .is_err()
    );
    assert!(ledger::valid_preset_name(&"я".repeat(32)));

    // Only the owner deletes.
    assert!(!ledger::delete_preset(c, mallory, id).await.unwrap());
    assert!(ledger::preset(c, u, id).await.unwrap().is_some());
    assert!(ledger::delete_preset(c, u, id).await.unwrap());
    assert!(!ledger::delete_preset(c, u, id).await.unwrap());
    assert_eq!(ledger::preset(c, u, id).await.unwrap(), None);
}
