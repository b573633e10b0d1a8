//! Overlapping `getUpdates`: Telegram ends one of two concurrent polls with 409, and the fake
//! counts every poll that arrived while another was in flight.
//!
//! These tests must never sleep to fix a race and never reach the real Telegram.

mod common;

use common::{WAIT, setup};
use teloxide::{ApiError, RequestError, prelude::*};
use tg_fake::UserSpec;

/// The second poller ends the first with a conflict, and that is one overlap.
#[tokio::test]
async fn two_concurrent_polls_count_as_one_overlap() {
    let (fake, bot) = setup().await;
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    fake.wait_for(WAIT, |f| (f.polls_in_flight() == 1).then_some(()))
        .await
        .unwrap();
    assert_eq!(fake.poll_overlaps(), 0);

    let second = bot.get_updates().timeout(0).await.unwrap();
    assert!(second.is_empty());
    let first = first.await.unwrap();
    assert!(
        matches!(
            first,
            Err(RequestError::Api(ApiError::TerminatedByOtherGetUpdates))
        ),
        "{first:?}"
    );
    assert_eq!(fake.poll_overlaps(), 1);
    assert_eq!(fake.polls_in_flight(), 0);
    assert_eq!(fake.polls_started(), 2);
}

#[tokio::test]
async fn sequential_polls_overlap_nothing() {
    let (fake, bot) = setup().await;
    let alice = fake.user(UserSpec::new(42, "Alice"));
    let mut offset = 0;
    for round in 0..3 {
        let poll = tokio::spawn({
            let bot = bot.clone();
            async move { bot.get_updates().offset(offset).timeout(5).await }
        });
        fake.wait_for(WAIT, |f| (f.polls_in_flight() == 1).then_some(()))
            .await
            .unwrap();
        let sent = alice.send_text(&format!("round {round}")).await;
        let updates = poll.await.unwrap().unwrap();
        assert_eq!(i64::from(updates[0].id.0), sent.update_id);
        offset = updates[0].id.as_offset();
        assert_eq!(fake.polls_in_flight(), 0);
    }
    assert!(
        bot.get_updates()
            .offset(offset)
            .timeout(0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(fake.poll_overlaps(), 0);
    assert_eq!(fake.polls_started(), 4);
}

#[tokio::test]
async fn a_poll_whose_client_went_away_is_no_longer_in_flight() {
    let (fake, bot) = setup().await;
    let gone = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(30).await }
    });
    fake.wait_for(WAIT, |f| (f.polls_in_flight() == 1).then_some(()))
        .await
        .unwrap();
    gone.abort();
    fake.wait_for(WAIT, |f| (f.polls_in_flight() == 0).then_some(()))
        .await
        .unwrap();
    assert!(bot.get_updates().timeout(0).await.unwrap().is_empty());
    assert_eq!(fake.poll_overlaps(), 0);
}
