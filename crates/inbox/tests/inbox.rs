//! The inbox on a real PostgreSQL: fenced polled stores, duplicates dropped, lane heads only,
//! lapsed claims handed out again, poison updates set aside, and concurrent workers that handle
//! every update once and each chat in order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inbox::{Incoming, StoreOutcome, claim, depth, describe, release, store, store_polled};
use serde_json::json;
use test_db::TestDatabase;

const LEASE: Duration = Duration::from_secs(30);

fn message(update_id: i64, chat: i64) -> Incoming {
    describe(json!({
        "update_id": update_id,
        "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}, "text": "hi"}
    }))
    .unwrap()
}

#[test]
fn lanes_are_chats_then_users_then_the_update_itself() {
    assert_eq!(message(1, 42).lane, 42);
    assert_eq!(message(1, 42).kind, "message");
    let button = describe(json!({"update_id": 2, "callback_query": {
        "id": "q", "from": {"id": 7}, "message": {"chat": {"id": 43}}}}))
    .unwrap();
    assert_eq!((button.lane, button.kind.as_str()), (43, "callback_query"));
    let inline_button =
        describe(json!({"update_id": 3, "callback_query": {"id": "q", "from": {"id": 7}}}));
    assert_eq!(inline_button.unwrap().lane, 7);
    let checkout =
        describe(json!({"update_id": 4, "pre_checkout_query": {"id": "c", "from": {"id": 8}}}));
    assert_eq!(
        checkout.unwrap().lane,
        i64::MIN + 4,
        "answered at once, behind nothing"
    );
    let odd = describe(json!({"update_id": 5, "something_new": {}})).unwrap();
    assert_eq!(odd.lane, i64::MIN + 5);
    assert!(
        describe(json!({"update_id": "5"})).is_none(),
        "not an update"
    );
    assert!(describe(json!([1])).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn polled_updates_are_stored_only_under_the_live_lease() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    let fence = lock::try_acquire(&mut conn, "p", "a", Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    let batch = [message(1, 10), message(2, 10)];
    assert_eq!(
        store_polled(&mut conn, &fence, &batch).await.unwrap(),
        StoreOutcome::Stored(2)
    );
    assert_eq!(
        store_polled(&mut conn, &fence, &batch).await.unwrap(),
        StoreOutcome::Stored(0),
        "duplicates dropped"
    );
    lock::release(&mut conn, &fence).await.unwrap();
    let late = [message(3, 10)];
    assert_eq!(
        store_polled(&mut conn, &fence, &late).await.unwrap(),
        StoreOutcome::Fenced
    );
    let next = lock::try_acquire(&mut conn, "p", "b", Duration::from_secs(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store_polled(&mut conn, &fence, &late).await.unwrap(),
        StoreOutcome::Fenced,
        "an old epoch stays fenced"
    );
    assert_eq!(
        store_polled(&mut conn, &next, &late).await.unwrap(),
        StoreOutcome::Stored(1)
    );
    assert!(
        !store(&mut conn, &message(3, 10)).await.unwrap(),
        "webhook store drops duplicates too"
    );
    assert_eq!(depth(&mut conn).await.unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_lane_heads_are_claimed_and_done_frees_the_next() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    for (id, chat) in [(1, 10), (2, 10), (3, 20), (4, 10), (5, 30)] {
        assert!(store(&mut conn, &message(id, chat)).await.unwrap());
    }
    let ids = |c: &[inbox::Claimed]| c.iter().map(|c| c.update_id).collect::<Vec<_>>();
    let first = claim(&mut conn, "w1", &[], &[], &[], 10, LEASE)
        .await
        .unwrap();
    assert_eq!(ids(&first), [1, 3, 5], "one per chat, oldest first");
    let none = claim(&mut conn, "w2", &[], &[], &[], 10, LEASE)
        .await
        .unwrap();
    assert!(
        none.is_empty(),
        "chats being handled are not handed out again"
    );
    let next = claim(&mut conn, "w1", &[1], &[3], &[5], 10, LEASE)
        .await
        .unwrap();
    assert_eq!(
        ids(&next),
        [2],
        "chat 10 goes on in order; chat 20 is finished"
    );
    // Someone else's ids are not theirs to finish.
    assert!(
        claim(&mut conn, "w2", &[2], &[], &[], 0, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let still = claim(&mut conn, "w2", &[], &[], &[], 10, LEASE)
        .await
        .unwrap();
    assert!(still.is_empty(), "2 is still w1's");
    assert_eq!(release(&mut conn, "w1", &[2]).await.unwrap(), 1);
    let again = claim(&mut conn, "w2", &[], &[], &[], 10, LEASE)
        .await
        .unwrap();
    assert_eq!(ids(&again), [2]);
    assert_eq!(
        again[0].attempts, 1,
        "a handed-back claim does not count as an attempt"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_workers_claim_lapses_and_a_poison_update_is_set_aside() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    store(&mut conn, &message(1, 10)).await.unwrap();
    store(&mut conn, &message(2, 10)).await.unwrap();
    // Three workers die holding update 1 (a lease of zero lapses at once).
    for attempt in 1..=3 {
        let got = claim(
            &mut conn,
            &format!("dead{attempt}"),
            &[],
            &[],
            &[],
            1,
            Duration::ZERO,
        )
        .await
        .unwrap();
        assert_eq!((got[0].update_id, got[0].attempts), (1, attempt));
    }
    let got = claim(&mut conn, "alive", &[], &[], &[], 5, LEASE)
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|c| c.update_id).collect::<Vec<_>>(),
        [2],
        "1 is set aside, its chat goes on"
    );
    assert_eq!(depth(&mut conn).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_workers_handle_each_update_once_and_each_chat_in_order() {
    let db = TestDatabase::new().await;
    let pool = db.pool(8);
    {
        let mut conn = pool.get().await.unwrap();
        for id in 1..=300 {
            store(&mut conn, &message(id, id % 12)).await.unwrap();
        }
    }
    let handled: Arc<Mutex<Vec<(i64, i64)>>> = Arc::default();
    let mut workers = Vec::new();
    for worker in 0..6 {
        let (pool, handled) = (pool.clone(), handled.clone());
        workers.push(tokio::spawn(async move {
            let name = format!("w{worker}");
            let mut done = Vec::new();
            loop {
                let mut conn = pool.get().await.unwrap();
                let got = claim(&mut conn, &name, &done, &[], &[], 3, LEASE)
                    .await
                    .unwrap();
                drop(conn);
                if got.is_empty() && done.is_empty() {
                    let mut conn = pool.get().await.unwrap();
                    if depth(&mut conn).await.unwrap() == 0 {
                        return;
                    }
                    tokio::task::yield_now().await;
                }
                done = got.iter().map(|c| c.update_id).collect();
                handled
                    .lock()
                    .unwrap()
                    .extend(got.iter().map(|c| (c.lane, c.update_id)));
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let handled = handled.lock().unwrap().clone();
    assert_eq!(handled.len(), 300, "each update handled exactly once");
    let mut per_lane: HashMap<i64, Vec<i64>> = HashMap::new();
    for (lane, id) in handled {
        per_lane.entry(lane).or_default().push(id);
    }
    for (lane, ids) in per_lane {
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "chat {lane} out of order: {ids:?}"
        );
    }
}
