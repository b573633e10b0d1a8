//! Broadcasts on a real PostgreSQL: the recipients are fixed at creation from the segment
//! (reachable, not banned), a Confirm creates at most one broadcast, concurrent senders never
//! claim the same row, counts move with the rows, a dead sender's claim is closed as failed
//! (never sent again), and pause / resume / cancel are checked and audited.

use std::collections::BTreeSet;
use std::time::Duration;

use admin::broadcast::{self, Change, Outcome, Segment, State};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use ledger::{AsyncPgConnection, Language, StarsPayment, TelegramProfile, UserId};
use pricing::Money;
use test_db::TestDatabase;

const OWNER: UserId = UserId(1);

async fn user(conn: &mut AsyncPgConnection, id: i64, lang: Language) {
    let profile = TelegramProfile {
        id: UserId(id),
        username: None,
        first_name: format!("U{id}"),
        last_name: None,
    };
    ledger::upsert_user(conn, &profile, lang).await.unwrap();
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .await
        .unwrap()
        .n
}

/// Users 100..110: ru except 108 and 109 (en); 102 banned; 103 unreachable; 104 and 108 paid;
/// 105 and 109 not seen for 40 days.
async fn population(conn: &mut AsyncPgConnection) {
    for id in 100..110 {
        let lang = if id >= 108 {
            Language::En
        } else {
            Language::Ru
        };
        user(conn, id, lang).await;
    }
    ledger::ban(conn, OWNER, UserId(102), "spam").await.unwrap();
    ledger::mark_unreachable(conn, UserId(103)).await.unwrap();
    for id in [104, 108] {
        ledger::top_up_stars(
            conn,
            &StarsPayment {
                user: UserId(id),
                charge_id: format!("charge-{id}"),
                provider_charge_id: None,
                payload: "topup".into(),
                xtr: 50,
                rub: Money::parse("75").unwrap(),
            },
        )
        .await
        .unwrap();
    }
    diesel::sql_query(
        "UPDATE users SET last_seen_at = now() - interval '40 days' WHERE id IN (105, 109)",
    )
    .execute(conn)
    .await
    .unwrap();
}

async fn recipients(conn: &mut AsyncPgConnection, id: i64) -> BTreeSet<i64> {
    #[derive(diesel::QueryableByName)]
    struct R {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
    }
    diesel::sql_query("SELECT user_id FROM broadcast_recipients WHERE broadcast_id = $1")
        .bind::<BigInt, _>(id)
        .load::<R>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.user_id)
        .collect()
}

#[tokio::test]
async fn segments_fix_reachable_unbanned_recipients_and_a_confirm_creates_once() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    population(&mut conn).await;
    let expected: [(Segment, &[i64]); 5] = [
        (Segment::All, &[100, 101, 104, 105, 106, 107, 108, 109]),
        (Segment::Active30, &[100, 101, 104, 106, 107, 108]),
        (Segment::Paying, &[104, 108]),
        (Segment::Ru, &[100, 101, 104, 105, 106, 107]),
        (Segment::En, &[108, 109]),
    ];
    for (action, (segment, ids)) in (1..).zip(expected) {
        let n = broadcast::count_recipients(&mut conn, segment)
            .await
            .unwrap();
        assert_eq!(n, ids.len() as i64, "{segment:?}");
        let made = broadcast::create(&mut conn, OWNER, action, segment, "<b>hi</b>")
            .await
            .unwrap();
        assert_eq!(
            (made.state, made.total, made.pending()),
            (State::Running, n, n)
        );
        assert_eq!(
            recipients(&mut conn, made.id).await,
            ids.iter().copied().collect::<BTreeSet<_>>(),
            "{segment:?}"
        );
        // The same Confirm again (a crash between the effect and its record): the same one.
        let again = broadcast::create(&mut conn, OWNER, action, segment, "<b>hi</b>")
            .await
            .unwrap();
        assert_eq!(again, made);
    }
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM broadcasts").await,
        5
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'broadcast_create'"
        )
        .await,
        5,
        "audited once each"
    );
    // A user who joins later is not added to an existing broadcast.
    user(&mut conn, 200, Language::Ru).await;
    assert!(!recipients(&mut conn, 1).await.contains(&200));
}

#[tokio::test]
async fn concurrent_senders_never_claim_the_same_recipient() {
    let db = TestDatabase::new().await;
    let pool = db.pool(12);
    {
        let mut conn = pool.get().await.unwrap();
        for id in 1000..1300 {
            user(&mut conn, id, Language::Ru).await;
        }
        broadcast::create(&mut conn, OWNER, 1, Segment::All, "x")
            .await
            .unwrap();
    }
    let senders = (0..8).map(|k| {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let mut conn = pool.get().await.unwrap();
                let batch = broadcast::claim(&mut conn, &format!("instance-{k}"), 7)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return mine;
                }
                for one in batch {
                    broadcast::record(&mut conn, one.broadcast_id, one.user_id, &Outcome::Sent)
                        .await
                        .unwrap();
                    mine.push(one.user_id);
                }
            }
        })
    });
    let claimed: Vec<i64> = futures_util::future::join_all(senders)
        .await
        .into_iter()
        .flat_map(|r| r.unwrap())
        .collect();
    let unique: BTreeSet<i64> = claimed.iter().copied().collect();
    assert_eq!(claimed.len(), 300, "every recipient claimed");
    assert_eq!(unique.len(), 300, "none claimed twice");
    let mut conn = pool.get().await.unwrap();
    assert_eq!(broadcast::finish_done(&mut conn).await.unwrap(), 1);
    let done = broadcast::get(&mut conn, 1).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.sent, done.pending()),
        (State::Done, 300, 0)
    );
}

#[tokio::test]
async fn counts_move_with_the_rows_and_a_dead_senders_claims_are_never_resent() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    for id in 10..16 {
        user(&mut conn, id, Language::En).await;
    }
    let b = broadcast::create(&mut conn, OWNER, 1, Segment::All, "x")
        .await
        .unwrap();
    let batch = broadcast::claim(&mut conn, "a", 4).await.unwrap();
    assert_eq!(
        batch.iter().map(|c| c.user_id).collect::<Vec<_>>(),
        [10, 11, 12, 13]
    );
    broadcast::record(&mut conn, b.id, 10, &Outcome::Sent)
        .await
        .unwrap();
    broadcast::record(&mut conn, b.id, 11, &Outcome::Blocked)
        .await
        .unwrap();
    broadcast::record(&mut conn, b.id, 12, &Outcome::Failed("Bad Request".into()))
        .await
        .unwrap();
    // Recording twice changes nothing.
    broadcast::record(&mut conn, b.id, 10, &Outcome::Sent)
        .await
        .unwrap();
    // 13 stays claimed: its sender "died". A 429 puts a row back instead.
    let next = broadcast::claim(&mut conn, "b", 1).await.unwrap();
    assert_eq!(next[0].user_id, 14);
    broadcast::release(&mut conn, b.id, 14).await.unwrap();
    let now = broadcast::get(&mut conn, b.id).await.unwrap().unwrap();
    assert_eq!(
        (now.sent, now.blocked, now.failed, now.pending()),
        (1, 1, 1, 3)
    );
    // Young claims are left alone; old ones are closed as failed, not made pending.
    assert_eq!(
        broadcast::close_stale_claims(&mut conn, Duration::from_secs(600))
            .await
            .unwrap(),
        0
    );
    diesel::sql_query(
        "UPDATE broadcast_recipients SET claimed_at = now() - interval '1 hour' WHERE state = 'sending'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        broadcast::close_stale_claims(&mut conn, Duration::from_secs(600))
            .await
            .unwrap(),
        1
    );
    let rest = broadcast::claim(&mut conn, "c", 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|c| c.user_id).collect::<Vec<_>>(),
        [14, 15],
        "the released row comes back, the dead claim does not"
    );
    for one in &rest {
        broadcast::record(&mut conn, b.id, one.user_id, &Outcome::Sent)
            .await
            .unwrap();
    }
    broadcast::finish_done(&mut conn).await.unwrap();
    let done = broadcast::get(&mut conn, b.id).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.sent, done.blocked, done.failed, done.total),
        (State::Done, 3, 1, 2, 6)
    );
}

#[tokio::test]
async fn pause_resume_and_cancel_apply_only_where_they_may_and_are_audited() {
    let db = TestDatabase::new().await;
    let mut conn = db.connect().await;
    for id in 10..13 {
        user(&mut conn, id, Language::Ru).await;
    }
    let b = broadcast::create(&mut conn, OWNER, 1, Segment::All, "x")
        .await
        .unwrap();
    assert!(
        !broadcast::change(&mut conn, OWNER, b.id, Change::Resume)
            .await
            .unwrap()
    );
    assert!(
        broadcast::change(&mut conn, OWNER, b.id, Change::Pause)
            .await
            .unwrap()
    );
    assert!(
        !broadcast::change(&mut conn, OWNER, b.id, Change::Pause)
            .await
            .unwrap()
    );
    assert!(
        broadcast::claim(&mut conn, "a", 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing of a paused broadcast is claimed"
    );
    assert_eq!(broadcast::finish_done(&mut conn).await.unwrap(), 0);
    assert!(
        broadcast::change(&mut conn, OWNER, b.id, Change::Resume)
            .await
            .unwrap()
    );
    assert_eq!(broadcast::claim(&mut conn, "a", 1).await.unwrap().len(), 1);
    assert!(
        broadcast::change(&mut conn, OWNER, b.id, Change::Cancel)
            .await
            .unwrap()
    );
    assert!(
        broadcast::claim(&mut conn, "a", 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing of a cancelled broadcast is claimed"
    );
    for change in [Change::Pause, Change::Resume, Change::Cancel] {
        assert!(
            !broadcast::change(&mut conn, OWNER, b.id, change)
                .await
                .unwrap()
        );
    }
    assert!(
        !broadcast::change(&mut conn, OWNER, 999, Change::Pause)
            .await
            .unwrap()
    );
    let cancelled = broadcast::get(&mut conn, b.id).await.unwrap().unwrap();
    assert_eq!(cancelled.state, State::Cancelled);
    assert!(cancelled.finished_at.is_some());
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM audit_log WHERE action IN \
             ('broadcast_pause', 'broadcast_resume', 'broadcast_cancel') AND actor_id = 1"
        )
        .await,
        3
    );
}
