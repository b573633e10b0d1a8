//! What the storefront's rules mean at submit: a model an admin disabled cannot be run by any
//! path (read fresh from the database, not from a cache), and the free runs' daily budget is
//! never exceeded however many free runs race, and comes back exactly once when a run fails.

use generation::{FailureKind, Pipeline, Submission};
use kie_sim::{Outcome, SimConfig};
use ledger::{FreeLimits, JobOutcome, JobState, UserId};
use rust_decimal::Decimal;

use crate::support::*;

const BANANA: &str = "google/nano-banana";

/// Kie's cost of the test image order, in US dollars.
fn image_cost_usd() -> Decimal {
    let order = image_order(UserId(0), "cost", "a");
    catalog()
        .get(BANANA)
        .unwrap()
        .quote(&order.input, &settings())
        .unwrap()
        .cost_usd
}

fn free_limits(budget: Option<Decimal>) -> FreeLimits {
    FreeLimits {
        per_day: 5,
        per_hour: 2,
        daily_budget_usd: budget,
    }
}

fn free_order(u: UserId, key: &str, limits: FreeLimits) -> generation::Order {
    let mut order = image_order(u, key, "a free fox");
    order.free = Some(limits);
    order
}

async fn submit_any(p: &Pipeline<Recorder>, order: generation::Order) -> Submission {
    p.submit(order, &settings()).await.expect("submit")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_model_cannot_be_submitted_by_any_path_and_holds_nothing() {
    let rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let p = rig.pipeline();
    let u = rig.user(20, "100").await;
    // An order left waiting for a top-up: its confirm button stays in the chat.
    let poor = rig.user(21, "0").await;
    assert!(matches!(
        submit_any(&p, image_order(poor, "old-button", "a")).await,
        Submission::InsufficientFunds { .. }
    ));

    {
        let mut c = rig.pool.get().await.unwrap();
        ledger::set_model_disabled(&mut c, ADMIN, BANANA, true, Some("Kie returns garbage"))
            .await
            .unwrap();
    }
    // A paid run, a free run, and the old confirm button after a top-up: all refused.
    assert_eq!(
        submit_any(&p, image_order(u, "paid", "a")).await,
        Submission::ModelUnavailable
    );
    assert_eq!(
        submit_any(&p, free_order(u, "free", free_limits(None))).await,
        Submission::ModelUnavailable
    );
    {
        let mut c = rig.pool.get().await.unwrap();
        ledger::adjust(
            &mut c,
            ADMIN,
            poor,
            ledger::Adjustment::Credit(rub("10")),
            "top up",
            "topup-21",
        )
        .await
        .unwrap();
    }
    assert_eq!(
        submit_any(&p, image_order(poor, "old-button", "a")).await,
        Submission::ModelUnavailable
    );

    // Nothing was held, no job was created, no free run was taken.
    let mut c = rig.pool.get().await.unwrap();
    for (user, available) in [(u, "100"), (poor, "10")] {
        let b = rig.balance(user).await;
        assert_eq!((b.available, b.held), (rub(available), rub("0")));
    }
    for key in ["paid", "free"] {
        assert!(
            ledger::job_by_key(&mut c, key).await.unwrap().is_none(),
            "{key}"
        );
    }
    let waiting = ledger::job_by_key(&mut c, "old-button")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(waiting.state, JobState::Created);
    let quota = ledger::free_quota(&mut c, u, BANANA, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(quota.used_today, 0);

    // Enabled again, the same buttons work.
    ledger::set_model_disabled(&mut c, ADMIN, BANANA, false, None)
        .await
        .unwrap();
    let job = submit(&p, image_order(poor, "old-button", "a")).await;
    assert_eq!(job.id, waiting.id);
    assert_eq!(rig.balance(poor).await.held, job.price);
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_concurrent_free_submits_with_a_budget_for_three_queue_exactly_three() {
    let rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let p = rig.pipeline();
    let cost = image_cost_usd();
    assert!(cost > Decimal::ZERO);
    // Room for three runs and a half.
    let limits = free_limits(Some(cost * Decimal::new(35, 1)));
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(rig.user(100 + i, "0").await);
    }
    let tasks: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, &u)| {
            let p = p.clone();
            tokio::spawn(async move {
                submit_any(&p, free_order(u, &format!("free-{i}"), limits)).await
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    let queued: Vec<_> = results
        .iter()
        .filter_map(|r| match r {
            Submission::Queued { job, .. } => Some(job.clone()),
            _ => None,
        })
        .collect();
    let spent = results
        .iter()
        .filter(|r| matches!(r, Submission::FreeBudgetSpent))
        .count();
    assert_eq!((queued.len(), spent), (3, 17), "{results:#?}");
    assert!(queued.iter().all(|j| j.is_free && j.price.is_zero()));

    let day = queued[0].free_budget_day.expect("a budget day");
    let mut c = rig.pool.get().await.unwrap();
    assert_eq!(
        ledger::free_budget_spent(&mut c, day).await.unwrap(),
        cost * Decimal::from(3)
    );
    // The refused users kept their free runs, and their jobs wait in `created`.
    for (i, r) in results.iter().enumerate() {
        let used = ledger::free_quota(&mut c, users[i], BANANA, chrono::Utc::now())
            .await
            .unwrap();
        let job = ledger::job_by_key(&mut c, &format!("free-{i}"))
            .await
            .unwrap()
            .unwrap();
        match r {
            Submission::Queued { .. } => {
                assert_eq!((used.used_today, job.state), (1, JobState::Held))
            }
            _ => assert_eq!((used.used_today, job.state), (0, JobState::Created)),
        }
    }
    rig.assert_sound().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_free_run_gives_its_budget_back_exactly_once() {
    let mut rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let p = rig.pipeline();
    let cost = image_cost_usd();
    // Room for one run only.
    let limits = free_limits(Some(cost * Decimal::new(15, 1)));
    let a = rig.user(30, "0").await;
    let b = rig.user(31, "0").await;
    rig.sim.script(Outcome::fail_with_code("501"));
    let first = submit(&p, free_order(a, "a", limits)).await;
    let day = first.free_budget_day.expect("a budget day");
    assert_eq!(
        submit_any(&p, free_order(b, "b", limits)).await,
        Submission::FreeBudgetSpent
    );

    rig.start(&p);
    let failed = rig.wait_outcome(first.id).await;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!(
        rig.recorder.failures(first.id)[0].kind,
        FailureKind::GenerationFailed
    );
    {
        let mut c = rig.pool.get().await.unwrap();
        assert_eq!(
            ledger::free_budget_spent(&mut c, day).await.unwrap(),
            Decimal::ZERO
        );
        // Ending it again gives nothing back a second time.
        for outcome in [
            JobOutcome::Failed {
                code: "501".into(),
                message: "again".into(),
            },
            JobOutcome::Cancelled,
            JobOutcome::Expired,
        ] {
            assert!(
                !ledger::finish_job(&mut c, first.id, outcome)
                    .await
                    .unwrap()
                    .changed
            );
        }
        assert!(!p.cancel(a, first.id).await.unwrap());
        assert_eq!(
            ledger::free_budget_spent(&mut c, day).await.unwrap(),
            Decimal::ZERO
        );
        let quota = ledger::free_quota(&mut c, a, BANANA, first.free_consumed_at.unwrap())
            .await
            .unwrap();
        assert_eq!(quota.used_today, 0, "the free run is back too");
    }

    // The budget it gave back lets the refused order run, once; a success keeps it spent.
    let second = submit(&p, free_order(b, "b", limits)).await;
    assert_eq!(
        ledger::free_budget_spent(&mut rig.pool.get().await.unwrap(), day)
            .await
            .unwrap(),
        cost
    );
    rig.wait_outcome(second.id).await;
    assert_eq!(rig.recorder.deliveries(second.id).len(), 1);
    assert_eq!(
        ledger::free_budget_spent(&mut rig.pool.get().await.unwrap(), day)
            .await
            .unwrap(),
        cost
    );
    rig.assert_sound().await;
}

/// The registry with the Veo 3.1 Fast family model switched on (as a careless registry edit
/// would): the catalog loads it, but the pipeline still refuses it.
fn catalog_with_family_model_enabled() -> std::sync::Arc<catalog::Catalog> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry/models");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !name.ends_with(".json") {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if name == "veo3__fast-text-to-video.json" {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            v["enabled"] = serde_json::Value::Bool(true);
            v.as_object_mut().unwrap().remove("disabled_reason");
            text = v.to_string();
        }
        files.push((name, text));
    }
    std::sync::Arc::new(catalog::Catalog::from_files(files).unwrap_or_else(|e| panic!("{e}")))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_family_model_is_refused_at_submit_even_when_enabled_and_holds_nothing() {
    let rig = Rig::new(SimConfig::default(), false, test_config()).await;
    let cat = catalog_with_family_model_enabled();
    let model = cat.get("veo3/fast-text-to-video").unwrap();
    assert!(model.enabled);
    assert!(!model.api.is_market());
    let p = Pipeline::new(
        rig.pool.clone(),
        kie_client::KieClient::new(rig.kie.config().clone()).unwrap(),
        cat.clone(),
        rig.recorder.clone(),
        rig.config.clone(),
    );
    let u = rig.user(30, "1000").await;
    let params = serde_json::json!({"prompt": "a fox in the snow"})
        .as_object()
        .cloned()
        .unwrap();
    let mut order = image_order(u, "family", "a");
    order.input = model.validate(&params).unwrap();
    assert_eq!(submit_any(&p, order).await, Submission::ModelUnavailable);
    let b = rig.balance(u).await;
    assert_eq!((b.available, b.held), (rub("1000"), rub("0")));
    let mut c = rig.pool.get().await.unwrap();
    assert!(
        ledger::job_by_key(&mut c, "family")
            .await
            .unwrap()
            .is_none()
    );
}
