//! Broadcasts through Telegram: the owner previews and confirms `/broadcast`, the sender delivers
//! it to every reachable user exactly once, users who blocked the bot are counted as blocked and
//! marked unreachable, the progress screen shows the same counts, Pause holds it, Resume goes on,
//! Cancel stops it for good — and, under Telegram's real flood limits, the fake's own timestamps
//! show the bot never went over 30 messages in any second.
//!
//! "Nothing more is sent" is shown causally, not by waiting: the sender always claims the oldest
//! running broadcast first, so once a *newer* broadcast was delivered completely, the sender had
//! every chance to send more of a paused or cancelled one, and did not.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use admin::broadcast::{Broadcast, State};
use bot_ui::FloodLimits;
use bot_ui::i18n::Args;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use journeys::{Journey, Rig, i18n, t};
use ledger::{Language, TelegramProfile, UserId};
use tg_fake::{Call, FakeTelegram};

/// The owner of `StackOptions::fast` (ADMIN_IDS).
const OWNER: i64 = 9_000_001;

/// Creates `n` users directly in the database (ids `first..first + n`), the language of each
/// chosen by `english(k)`.
async fn add_users(rig: &Rig, first: i64, n: i64, english: impl Fn(i64) -> bool) -> Vec<i64> {
    let mut conn = rig.conn().await;
    let mut ids = Vec::new();
    for k in 0..n {
        let id = first + k;
        let profile = TelegramProfile {
            id: UserId(id),
            username: None,
            first_name: format!("User {k}"),
            last_name: None,
        };
        let lang = if english(k) {
            Language::En
        } else {
            Language::Ru
        };
        ledger::upsert_user(&mut conn, &profile, lang)
            .await
            .expect("creating a user");
        ids.push(id);
    }
    ids
}

/// Every `sendMessage` of `text`, by chat: (delivered, refused).
fn sends_of(tg: &FakeTelegram, text: &str) -> BTreeMap<i64, (usize, usize)> {
    let mut by_chat: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
    for call in tg.calls_of("sendMessage") {
        if call.str_param("text") == Some(text)
            && let Some(chat) = call.chat_id()
        {
            let entry = by_chat.entry(chat).or_default();
            if call.ok() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    by_chat
}

fn delivered(tg: &FakeTelegram, text: &str) -> usize {
    sends_of(tg, text).values().map(|(ok, _)| ok).sum()
}

async fn broadcast(rig: &Rig, id: i64) -> Broadcast {
    admin::broadcast::get(&mut *rig.conn().await, id)
        .await
        .expect("reading the broadcast")
        .expect("the broadcast exists")
}

#[derive(diesel::QueryableByName)]
struct StateCount {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The recipient rows of broadcast `id` by state.
async fn rows_by_state(rig: &Rig, id: i64) -> BTreeMap<String, i64> {
    let rows: Vec<StateCount> = diesel::sql_query(
        "SELECT state, count(*) AS n FROM broadcast_recipients WHERE broadcast_id = $1 GROUP BY state",
    )
    .bind::<BigInt, _>(id)
    .load(&mut *rig.conn().await)
    .await
    .expect("counting recipients");
    rows.into_iter().map(|r| (r.state, r.n)).collect()
}

/// Waits until broadcast `id` is in `state`.
async fn wait_state(rig: &Rig, id: i64, state: State) -> Broadcast {
    rig.wait_db(&format!("broadcast {id} {state:?}"), || async move {
        let b = broadcast(rig, id).await;
        (b.state == state).then_some(b)
    })
    .await
}

/// Waits until no recipient of `id` is being sent (the batch in flight has ended).
async fn wait_quiet(rig: &Rig, id: i64) -> Broadcast {
    rig.wait_db(&format!("broadcast {id} quiet"), || async move {
        let sending = rows_by_state(rig, id).await.get("sending").copied();
        sending.is_none().then_some(())
    })
    .await;
    broadcast(rig, id).await
}

/// The owner's `/broadcast {segment} {text}`: the preview (the text itself, then the
/// recipients), then Confirm. Returns the preview and the broadcast created.
async fn propose_and_confirm(
    rig: &Rig,
    owner: &mut Journey<'_>,
    segment: &str,
    text: &str,
    recipients: i64,
) -> (tg_fake::ChatMessage, Broadcast) {
    let lang = owner.lang;
    let confirm = t(lang, "admin-confirm");
    let starts = text.to_string();
    let preview = owner
        .say(&format!("/broadcast {segment} {text}"), move |m| {
            m.button(&confirm).is_some() && m.text_or_empty().starts_with(&starts)
        })
        .await;
    owner.check(
        journeys::seen(&preview).contains(&format!(": {recipients} (")),
        &format!("the preview names {recipients} recipients"),
    );
    let before = admin::broadcast::recent(&mut *rig.conn().await, 1)
        .await
        .expect("reading broadcasts")
        .into_iter()
        .next()
        .map(|b| b.id);
    let at = preview.id;
    owner
        .press(&t(lang, "admin-confirm"), move |m| {
            m.id == at && m.text_or_empty().contains("/broadcasts")
        })
        .await;
    let made = admin::broadcast::recent(&mut *rig.conn().await, 1)
        .await
        .expect("reading broadcasts")
        .into_iter()
        .next()
        .expect("the broadcast was created");
    owner.check(Some(made.id) != before, "Confirm created a broadcast");
    owner.check(
        made.total == recipients && made.text == text,
        &format!("{made:?}"),
    );
    (preview, made)
}

/// `/broadcasts`: the progress screen.
async fn progress(owner: &mut Journey<'_>) -> tg_fake::ChatMessage {
    let title = t(owner.lang, "admin-broadcasts-title");
    owner
        .say("/broadcasts", move |m| {
            m.text_or_empty().starts_with(&title)
        })
        .await
}

/// Presses `data` on the progress screen and waits for it to show `state` for broadcast `id`.
async fn press_on_progress(
    owner: &mut Journey<'_>,
    screen: &tg_fake::ChatMessage,
    data: String,
    state: State,
) -> tg_fake::ChatMessage {
    let name = t(
        owner.lang,
        &format!("admin-broadcast-state-{}", state.as_str()),
    );
    let at = screen.id;
    owner
        .press_data(at, &data, move |m| {
            m.id == at && m.edits > 0 && m.text_or_empty().contains(&name)
        })
        .await
}

fn counts_line(lang: bot_ui::Lang, sent: i64, failed: i64, blocked: i64, total: i64) -> String {
    i18n().tf(
        lang,
        "admin-broadcast-counts",
        &Args::new()
            .num("sent", sent)
            .num("failed", failed)
            .num("blocked", blocked)
            .num("pending", total - sent - failed - blocked)
            .num("total", total),
    )
}

/// Messages the bot sent (sends and edits, any outcome), by arrival at the fake.
fn messages(calls: &[Call]) -> Vec<&Call> {
    calls
        .iter()
        .filter(|c| {
            (c.method.starts_with("send") && c.method != "sendchataction")
                || c.method.starts_with("edit")
        })
        .collect()
}

/// The most instants within any span shorter than `window`.
fn max_in_window(mut times: Vec<Instant>, window: Duration) -> usize {
    times.sort();
    let (mut best, mut start) = (0, 0);
    for end in 0..times.len() {
        while times[end].duration_since(times[start]) >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_users_get_it_once_and_blockers_are_counted_and_marked() {
    let rig = Rig::start().await;
    let users = add_users(&rig, 810_000_000, 500, |k| k % 4 == 0).await;
    let blocked: Vec<i64> = users
        .iter()
        .copied()
        .filter(|id| (id - 810_000_000) % 13 == 5)
        .collect();
    for id in &blocked {
        rig.tg().block_user(*id);
    }
    // Left out at creation: two banned users and two who blocked the bot before.
    let (banned, gone) = (&users[1..3], &users[3..5]);
    {
        let mut conn = rig.conn().await;
        for id in banned {
            ledger::ban(&mut conn, UserId(OWNER), UserId(*id), "spam")
                .await
                .expect("banning");
        }
        for id in gone {
            ledger::mark_unreachable(&mut conn, UserId(*id))
                .await
                .expect("marking unreachable");
        }
    }
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let lang = owner.lang;
    // The 500 less the four left out, and the owner.
    let total = 500 - 4 + 1;
    let text = "<b>Spring sale</b> &amp; news:\n<i>every model −20 %</i> until Sunday";
    let (_, made) = propose_and_confirm(&rig, &mut owner, "all", text, total).await;
    let done = wait_state(&rig, made.id, State::Done).await;

    let sent = total - blocked.len() as i64;
    let sends = sends_of(rig.tg(), text);
    let mut expected: Vec<i64> = users
        .iter()
        .copied()
        .filter(|id| !banned.contains(id) && !gone.contains(id))
        .collect();
    expected.push(OWNER);
    for id in &expected {
        let (ok, refused) = sends.get(id).copied().unwrap_or_default();
        if blocked.contains(id) {
            owner.check(
                (ok, refused) == (0, 1),
                &format!("{id} blocked the bot: one refused attempt, got {ok} + {refused}"),
            );
            owner.check(
                !rig.user(*id).await.reachable,
                &format!("{id} is marked unreachable"),
            );
        } else {
            owner.check(
                (ok, refused) == (1, 0),
                &format!("{id} gets it exactly once, got {ok} + {refused}"),
            );
        }
    }
    for id in banned.iter().chain(gone) {
        owner.check(
            !sends.contains_key(id),
            &format!("{id} was left out and got nothing"),
        );
    }
    owner.check(
        sends.len() == expected.len(),
        "nobody outside the recipients was sent anything",
    );
    owner.check(
        (done.sent, done.failed, done.blocked, done.pending())
            == (sent, 0, blocked.len() as i64, 0),
        &format!("the counts: {done:?}"),
    );
    let rows = rows_by_state(&rig, made.id).await;
    owner.check(
        rows.get("sent") == Some(&sent)
            && rows.get("blocked") == Some(&(blocked.len() as i64))
            && rows.len() == 2,
        &format!("recipient rows agree with the counts: {rows:?}"),
    );
    // The progress screen shows the same figures.
    let screen = progress(&mut owner).await;
    let line = counts_line(lang, sent, 0, blocked.len() as i64, total);
    let done_name = t(lang, "admin-broadcast-state-done");
    owner.check(
        screen.text_or_empty().contains(&line) && screen.text_or_empty().contains(&done_name),
        &format!("the progress screen shows «{line}»"),
    );
    owner.check(
        screen.button(&format!("#{}", made.id)).is_none(),
        "a finished broadcast has no Pause or Cancel",
    );
    // Flood limits: Telegram never had to refuse anything, and no chat got more than one
    // broadcast. (This stack runs with lifted limits, so the overall rate is measured under
    // Telegram's real limits in `within_telegrams_limits_by_the_fakes_clock`.)
    let throttled = rig.tg().calls().iter().filter(|c| c.status == 429).count();
    owner.check(throttled == 0, &format!("{throttled} answers were 429"));
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn within_telegrams_limits_by_the_fakes_clock() {
    let rig = Rig::start_with_limits(FloodLimits::telegram()).await;
    let users = add_users(&rig, 820_000_000, 90, |_| false).await;
    let blocked: Vec<i64> = users.iter().copied().filter(|id| id % 10 == 7).collect();
    for id in &blocked {
        rig.tg().block_user(*id);
    }
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let text = "<b>Limits</b> check";
    let total = users.len() as i64 + 1;
    let (_, made) = propose_and_confirm(&rig, &mut owner, "all", text, total).await;
    let done = wait_state(&rig, made.id, State::Done).await;
    owner.check(
        (done.sent, done.blocked) == (total - blocked.len() as i64, blocked.len() as i64),
        &format!("{done:?}"),
    );
    let calls = rig.tg().calls();
    let all = messages(&calls);
    let ours: Vec<&Call> = all
        .iter()
        .copied()
        .filter(|c| c.str_param("text") == Some(text))
        .collect();
    owner.check(ours.len() as i64 == total, "one attempt per recipient");
    let second = Duration::from_secs(1);
    let overall = max_in_window(all.iter().map(|c| c.at).collect(), second);
    let broadcast_peak = max_in_window(ours.iter().map(|c| c.at).collect(), second);
    let first = ours.iter().map(|c| c.at).min().expect("sends");
    let last = ours.iter().map(|c| c.at).max().expect("sends");
    let span = last.duration_since(first).as_secs_f64();
    let per_chat = users
        .iter()
        .chain([&OWNER])
        .map(|id| rig.tg().max_sends_per_window(*id, second))
        .max()
        .unwrap_or(0);
    let throttled = calls.iter().filter(|c| c.status == 429).count();
    println!(
        "flood: {} broadcast sends over {span:.2} s ({:.1}/s on average); \
         at most {broadcast_peak} of them and {overall} messages in all in any 1 s; \
         at most {per_chat} to one chat in any 1 s; {throttled} answers 429",
        ours.len(),
        (ours.len() - 1) as f64 / span.max(f64::EPSILON),
    );
    owner.check(
        overall <= 30,
        &format!("{overall} messages within one second (Telegram allows 30)"),
    );
    // The broadcast itself keeps to the bulk half (15/s), with room for timer slack.
    owner.check(
        broadcast_peak <= 20,
        &format!("{broadcast_peak} broadcast messages in one second"),
    );
    // The bulk allowance is half the overall rate, and the sender spaces its sends evenly:
    // 91 sends at 15/s take 6 s by the fake's clock (more than 4 s even after a full burst).
    owner.check(
        span >= 4.0,
        &format!("91 sends at 15/s take over 4 s by the fake's clock, not {span:.2} s"),
    );
    // Per chat: Telegram's burst of 3, plus the one refilled at the window's edge.
    owner.check(
        per_chat <= 4,
        &format!("{per_chat} to one chat in a second"),
    );
    owner.check(throttled == 0, &format!("{throttled} answers were 429"));
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_holds_resume_goes_on_and_cancel_stops_for_good() {
    // Telegram's real limits: the broadcast takes seconds, so the owner's taps land mid-way.
    let rig = Rig::start_with_limits(FloodLimits::telegram()).await;
    let users = add_users(&rig, 830_000_000, 120, |k| k % 20 == 0).await;
    let english = users
        .iter()
        .filter(|id| (*id - 830_000_000) % 20 == 0)
        .count() as i64;
    let mut owner = rig.journey(OWNER, "Olga", "en");
    let lang = owner.lang;
    let total = users.len() as i64 + 1;

    // Pause.
    let text_a = "First <b>broadcast</b>";
    let (_, a) = propose_and_confirm(&rig, &mut owner, "all", text_a, total).await;
    let screen = progress(&mut owner).await;
    owner.check(
        screen.button(&format!("#{}", a.id)).is_some(),
        "a running broadcast can be paused and cancelled",
    );
    press_on_progress(&mut owner, &screen, format!("a:bp:{}", a.id), State::Paused).await;
    let paused = wait_quiet(&rig, a.id).await;
    owner.check(paused.state == State::Paused, &format!("{paused:?}"));
    owner.check(paused.pending() > 0, &format!("paused mid-way: {paused:?}"));
    let sent_a = delivered(rig.tg(), text_a);
    owner.check(
        sent_a as i64 == paused.sent,
        &format!("the fake saw {sent_a}, the counts say {}", paused.sent),
    );
    // A newer broadcast goes out completely while the older one is paused …
    let text_b = "Only for <i>English</i> speakers";
    let (_, b) = propose_and_confirm(&rig, &mut owner, "en", text_b, english + 1).await;
    wait_state(&rig, b.id, State::Done).await;
    // … and the paused one did not move.
    owner.check(
        delivered(rig.tg(), text_a) == sent_a && broadcast(&rig, a.id).await == paused,
        "nothing of a paused broadcast is sent",
    );

    // Resume: it goes on where it stopped, everyone once.
    let screen = progress(&mut owner).await;
    press_on_progress(
        &mut owner,
        &screen,
        format!("a:br:{}", a.id),
        State::Running,
    )
    .await;
    let done = wait_state(&rig, a.id, State::Done).await;
    owner.check(done.sent == total, &format!("{done:?}"));
    let sends = sends_of(rig.tg(), text_a);
    owner.check(
        sends.len() as i64 == total && sends.values().all(|s| *s == (1, 0)),
        "after the pause every recipient got it exactly once",
    );

    // Cancel: what was not sent never is.
    let text_c = "Third, <u>to be cancelled</u>";
    let (_, c) = propose_and_confirm(&rig, &mut owner, "all", text_c, total).await;
    let screen = progress(&mut owner).await;
    let screen = press_on_progress(
        &mut owner,
        &screen,
        format!("a:bx:{}", c.id),
        State::Cancelled,
    )
    .await;
    let cancelled = wait_quiet(&rig, c.id).await;
    owner.check(
        cancelled.state == State::Cancelled && cancelled.pending() > 0,
        &format!("cancelled mid-way: {cancelled:?}"),
    );
    let sent_c = delivered(rig.tg(), text_c);
    owner.check(
        sent_c as i64 == cancelled.sent,
        &format!("the fake saw {sent_c}, the counts say {}", cancelled.sent),
    );
    // A cancelled broadcast cannot be resumed.
    let unchanged = t(lang, "admin-broadcast-unchanged");
    let at = screen.id;
    owner
        .press_data(at, &format!("a:br:{}", c.id), move |m| {
            m.id == at && m.text_or_empty().starts_with(&unchanged)
        })
        .await;
    let text_d = "Fourth, after the cancel";
    let (_, d) = propose_and_confirm(&rig, &mut owner, "en", text_d, english + 1).await;
    wait_state(&rig, d.id, State::Done).await;
    let after = broadcast(&rig, c.id).await;
    owner.check(
        delivered(rig.tg(), text_c) == sent_c && after == cancelled,
        &format!("nothing more is sent after the cancel: {after:?}"),
    );
    owner.check(
        sends_of(rig.tg(), text_c).values().all(|s| *s == (1, 0)),
        "nobody got the cancelled one twice",
    );
    let screen = progress(&mut owner).await;
    let line = counts_line(lang, cancelled.sent, 0, 0, total);
    owner.check(
        screen.text_or_empty().contains(&line),
        &format!("the progress screen shows «{line}»"),
    );
    rig.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_html_prepares_nothing_and_only_owners_broadcast() {
    let rig = Rig::start().await;
    add_users(&rig, 840_000_000, 3, |_| false).await;
    let mut owner = rig.journey(OWNER, "Olga", "ru");
    let lang = owner.lang;
    let usage = t(lang, "admin-usage-broadcast");
    owner
        .say("/broadcast everyone hello", move |m| {
            m.text_or_empty() == usage
        })
        .await;
    let refused: String = t(lang, "admin-broadcast-refused")
        .chars()
        .take(12)
        .collect();
    owner
        .say("/broadcast all <b>unclosed", move |m| {
            m.text_or_empty().starts_with(&refused)
        })
        .await;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count = |sql: &'static str| {
        let rig = &rig;
        async move {
            diesel::sql_query(sql)
                .get_result::<N>(&mut *rig.conn().await)
                .await
                .expect("counting")
                .n
        }
    };
    owner.check(
        count("SELECT count(*) AS n FROM broadcasts").await == 0,
        "no broadcast",
    );
    owner.check(
        count("SELECT count(*) AS n FROM admin_actions WHERE kind = 'broadcast' AND state = 'cancelled'")
            .await
            == 1,
        "the refused preview's pending action is dropped",
    );
    // Support may not broadcast nor see the broadcasts.
    let helper = 840_000_100;
    admin::roles::grant(
        &mut *rig.conn().await,
        UserId(OWNER),
        UserId(helper),
        admin::Role::Support,
    )
    .await
    .expect("granting support");
    let mut support = rig.journey(helper, "Sam", "en");
    for command in ["/broadcast all hi", "/broadcasts"] {
        let only = t(support.lang, "admin-owner-only");
        support
            .say(command, move |m| m.text_or_empty() == only)
            .await;
    }
    let at = support.last().id;
    let pressed = support.user().press_data(at, "a:bx:1").await;
    rig.tg()
        .wait_callback_answer(&pressed.callback_id, journeys::PATIENCE)
        .await
        .expect("answered");
    support.barrier().await;
    owner.check(
        count("SELECT count(*) AS n FROM broadcasts").await == 0,
        "still no broadcast",
    );
    // The refused preview is this test's point, not a problem of the run.
    rig.tg().clear_calls();
    rig.finish().await;
}
