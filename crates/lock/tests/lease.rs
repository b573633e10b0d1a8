//! The lease on a real PostgreSQL: one holder at a time, epochs fence, expiry and release hand
//! over, and two keepers never both believe they hold it.

use std::time::Duration;

use lock::{LeaseConfig, LeaseKeeper, release, renew, try_acquire};
use test_db::TestDatabase;

const TTL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn one_holder_and_every_takeover_bumps_the_epoch() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    let a = try_acquire(&mut conn, "p", "a", TTL)
        .await
        .unwrap()
        .expect("free");
    assert_eq!(a.epoch, 1);
    assert!(
        try_acquire(&mut conn, "p", "b", TTL)
            .await
            .unwrap()
            .is_none(),
        "held by a"
    );
    assert!(
        try_acquire(&mut conn, "p", "a", TTL)
            .await
            .unwrap()
            .is_none(),
        "not even a again"
    );
    assert!(renew(&mut conn, &a, TTL).await.unwrap());
    assert!(release(&mut conn, &a).await.unwrap());
    assert!(!release(&mut conn, &a).await.unwrap(), "released once");
    let b = try_acquire(&mut conn, "p", "b", TTL)
        .await
        .unwrap()
        .expect("released");
    assert_eq!(b.epoch, 2);
    assert!(
        !renew(&mut conn, &a, TTL).await.unwrap(),
        "a's fence is stale"
    );
    let other = try_acquire(&mut conn, "q", "a", TTL).await.unwrap();
    assert_eq!(other.map(|f| f.epoch), Some(1), "names are independent");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_lease_cannot_be_renewed_and_is_taken_over() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    // A zero TTL expires as soon as the database's clock moves on.
    let a = try_acquire(&mut conn, "p", "a", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !renew(&mut conn, &a, TTL).await.unwrap(),
        "expired leases are not revived"
    );
    let b = try_acquire(&mut conn, "p", "b", TTL)
        .await
        .unwrap()
        .expect("expired");
    assert_eq!(b.epoch, a.epoch + 1);
    let row = lock::holder_of(&mut conn, "p").await.unwrap().unwrap();
    assert_eq!((row.holder.as_str(), row.epoch), ("b", 2));
    assert!(row.expires_in_ms > 5_000);
}

fn fast(holder: &str) -> LeaseConfig {
    LeaseConfig {
        ttl: Duration::from_millis(1_500),
        renew_every: Duration::from_millis(300),
        retry_every: Duration::from_millis(100),
        ..LeaseConfig::new("poller", holder)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keepers_hold_it_one_at_a_time_and_a_release_hands_over_at_once() {
    let db = TestDatabase::new().await;
    let (first, mut first_watch) = LeaseKeeper::spawn(db.url().to_string(), fast("one"));
    while first_watch.current().is_none() {
        first_watch.changed().await;
    }
    let (second, mut second_watch) = LeaseKeeper::spawn(db.url().to_string(), fast("two"));
    // Several renewals of the first: the second never holds it meanwhile.
    for _ in 0..8 {
        first_watch.changed().await;
        assert!(first_watch.current().is_some());
        assert!(second_watch.current().is_none(), "two holders at once");
    }
    let epoch = first_watch.current().unwrap().fence.epoch;
    first.stop().await;
    assert!(
        first_watch.current().is_none(),
        "a stopped keeper holds nothing"
    );
    let taken = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            if let Some(held) = second_watch.current() {
                return held;
            }
            second_watch.changed().await;
        }
    })
    .await
    .expect("a released lease is taken over within a retry, not a TTL");
    assert_eq!(taken.fence.epoch, epoch + 1);
    assert!(taken.remaining() > Duration::from_millis(500));
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reported_loss_is_believed_at_once() {
    let db = TestDatabase::new().await;
    let (keeper, mut watch) = LeaseKeeper::spawn(db.url().to_string(), fast("one"));
    while watch.current().is_none() {
        watch.changed().await;
    }
    let fence = watch.current().unwrap().fence;
    keeper.report_lost(fence.clone());
    // The next published state is "not held" (or a fresh acquisition with a new epoch).
    loop {
        watch.changed().await;
        match watch.current() {
            None => break,
            Some(held) => assert_ne!(held.fence, fence, "the lost fence is not trusted again"),
        }
    }
    keeper.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_count_the_live_ones_and_a_clean_leave_counts_at_once() {
    use lock::members::{heartbeat, leave};
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    assert_eq!(heartbeat(&mut conn, "a").await.unwrap(), 1);
    assert_eq!(heartbeat(&mut conn, "b").await.unwrap(), 2);
    assert_eq!(
        heartbeat(&mut conn, "a").await.unwrap(),
        2,
        "a beat again is still one"
    );
    // One silent for longer than ALIVE_FOR no longer counts.
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute(
        "UPDATE instances SET last_seen = last_seen - interval '1 minute' WHERE name = 'b'",
    )
    .await
    .unwrap();
    assert_eq!(heartbeat(&mut conn, "a").await.unwrap(), 1);
    assert_eq!(heartbeat(&mut conn, "c").await.unwrap(), 2);
    leave(&mut conn, "c").await.unwrap();
    assert_eq!(
        heartbeat(&mut conn, "a").await.unwrap(),
        1,
        "a clean stop leaves at once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_membership_publishes_the_count_of_its_peers() {
    let db = TestDatabase::new().await;
    let every = Duration::from_millis(100);
    let (one, mut one_count) = lock::Membership::spawn(db.url().to_string(), "one".into(), every);
    let (two, _) = lock::Membership::spawn(db.url().to_string(), "two".into(), every);
    while *one_count.borrow_and_update() != 2 {
        one_count.changed().await.unwrap();
    }
    two.stop().await;
    while *one_count.borrow_and_update() != 1 {
        one_count.changed().await.unwrap();
    }
    one.stop().await;
}
