//! The storefront against real PostgreSQL (a database per test): it reads the admins' model
//! overrides and settings, and the cache re-reads after its time to live or at once after
//! `invalidate`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use catalog::Catalog;
use ledger::UserId;
use pricing::Settings;
use rust_decimal_macros::dec;
use storefront::{Availability, Storefront, StorefrontCache};
use test_db::TestDatabase;

const ADMIN: UserId = UserId(1);

fn registry() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry")
}

fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::load_dir(&registry()).unwrap_or_else(|e| panic!("{e}")))
}

fn file_settings() -> Settings {
    Settings::load(&registry().join("settings.toml")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn load_applies_model_overrides_and_settings_and_the_cache_sees_changes() {
    let db = TestDatabase::new().await;
    let pool = ledger::connect_pool(db.url(), 8).expect("pool");
    let catalog = catalog();
    let file = file_settings();

    let store = Storefront::load(&mut pool.get().await.unwrap(), catalog.clone(), &file)
        .await
        .unwrap();
    assert_eq!(
        store.models().len(),
        catalog.models().iter().filter(|m| m.enabled).count()
    );
    assert_eq!(
        store.free_models(),
        catalog.free_models(&file.free, &file.pricing)
    );
    assert_eq!(store.settings(), &file);
    let victim = store.free_models()[0].clone();

    let cache = StorefrontCache::new(catalog.clone(), file.clone(), Duration::from_secs(3600));
    let first = cache.get(&pool).await.unwrap();
    assert!(first.is_free(&victim));

    // An admin disables a free model and sets a budget (as another process would).
    {
        let c = &mut pool.get().await.unwrap();
        ledger::set_model_disabled(c, ADMIN, &victim, true, Some("broken at Kie"))
            .await
            .unwrap();
        ledger::set_setting(
            c,
            &file,
            ADMIN,
            "free.daily_budget_usd",
            Some("2"),
            "launch",
        )
        .await
        .unwrap();
    }
    // Within the time to live the cache answers from memory...
    let again = cache.get(&pool).await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert!(again.is_free(&victim));
    // ...and after invalidate it reads the change.
    cache.invalidate();
    let now = cache.get(&pool).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &now));
    assert!(matches!(
        now.availability(&victim),
        Availability::Disabled { reason } if reason == "broken at Kie"
    ));
    assert!(now.on_sale(&victim).is_none() && !now.is_free(&victim));
    assert_eq!(now.free_models().len(), file.free.auto_count);
    assert_eq!(now.settings().free.daily_budget_usd, Some(dec!(2)));
    assert_eq!(now.free_limits().daily_budget_usd, Some(dec!(2)));
    assert_eq!(now.models().len(), store.models().len() - 1);

    // Enabled again: back on sale and free.
    {
        let c = &mut pool.get().await.unwrap();
        ledger::set_model_disabled(c, ADMIN, &victim, false, None)
            .await
            .unwrap();
    }
    cache.invalidate();
    let back = cache.get(&pool).await.unwrap();
    assert!(matches!(
        back.availability(&victim),
        Availability::OnSale(_)
    ));
    assert!(back.is_free(&victim));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_cache_is_read_again_once_for_all_concurrent_callers() {
    let db = TestDatabase::new().await;
    let pool = ledger::connect_pool(db.url(), 8).expect("pool");
    let cache = Arc::new(StorefrontCache::new(
        catalog(),
        file_settings(),
        Duration::from_millis(200),
    ));
    assert_eq!(cache.ttl(), Duration::from_millis(200));
    let first = cache.get(&pool).await.unwrap();
    let model = "google/nano-banana";
    assert!(first.on_sale(model).is_some());
    ledger::set_model_disabled(
        &mut pool.get().await.unwrap(),
        ADMIN,
        model,
        true,
        Some("x"),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;

    let gets = (0..10).map(|_| {
        let cache = cache.clone();
        let pool = pool.clone();
        tokio::spawn(async move { cache.get(&pool).await.unwrap() })
    });
    let got: Vec<_> = futures_join(gets).await;
    assert!(
        got.iter().all(|s| s.on_sale(model).is_none()),
        "re-read after the ttl"
    );
    assert!(
        got.iter().all(|s| Arc::ptr_eq(s, &got[0])),
        "one read served every caller"
    );
    assert!(!Arc::ptr_eq(&got[0], &first));
}

async fn futures_join<T>(handles: impl IntoIterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}
