//! The committed schema.rs matches the migrated database, and migrations apply cleanly to an
//! empty database and are a no-op the second time.

use test_db::TestDatabase;

#[tokio::test]
async fn schema_rs_matches_the_migrations() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    let generated = test_db::render_schema(&mut conn)
        .await
        .expect("rendering the schema");
    let committed = include_str!("../../src/schema.rs");
    assert!(
        generated == committed,
        "crates/ledger/src/schema.rs is stale: run `cargo xtask schema` and commit the result.\n\
         --- generated ---\n{generated}"
    );
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_once() {
    // A database created empty (not from the template) goes through the shipped code path.
    let db = TestDatabase::new().await;
    let empty = format!("{}_empty", db.name());
    let mut admin = db.connect().await;
    use diesel_async::SimpleAsyncConnection;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{empty}\""))
        .await
        .unwrap();
    let url = test_db::with_database(db.url(), &empty);
    let first = ledger::migrate(&url).await.unwrap();
    let second = ledger::migrate(&url).await.unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE \"{empty}\" WITH (FORCE)"))
        .await
        .unwrap();
    assert_eq!(
        first.len(),
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
            .unwrap()
            .count()
    );
    assert!(second.is_empty(), "{second:?}");
}
