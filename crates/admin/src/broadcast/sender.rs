//! The broadcast sender: one per instance, claiming a few recipients at a time and sending
//! each within Telegram's limits (see the parent module for the whole flow).
//!
//! This module must never send a row it did not claim or hold a database connection across a
//! Telegram call.

use std::future::Future;
use std::time::Duration;

use teloxide::RequestError;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, ParseMode};
use tg_kit::UiBot;

use super::*;

/// The sender's settings.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// This instance's name (recorded on its claims).
    pub instance: String,
    /// Rows claimed at once, sent concurrently (each still waits for its allowance); a pause
    /// or cancel takes effect after the batch in flight.
    pub batch: usize,
    /// How often an idle sender looks for work (other instances' broadcasts included).
    pub idle: Duration,
    /// A claim older than this belongs to a dead instance.
    pub stale_claim: Duration,
}

impl WorkerConfig {
    /// The defaults for `instance`: batches of 10, a look every half second, claims stale
    /// after 10 minutes.
    pub fn new(instance: impl Into<String>) -> WorkerConfig {
        WorkerConfig {
            instance: instance.into(),
            batch: 10,
            idle: Duration::from_millis(500),
            stale_claim: Duration::from_secs(600),
        }
    }
}

/// The sender: runs until `stop` completes (then finishes the batch in flight, so no claimed
/// row is left open by a clean stop).
pub async fn run(
    bot: UiBot,
    pool: ledger::Pool,
    config: WorkerConfig,
    stop: impl Future<Output = ()> + Send,
) {
    let mut stop = std::pin::pin!(stop);
    let pacer = std::sync::Arc::new(Pacer::default());
    loop {
        let claimed = match pool.get().await {
            Ok(mut conn) => claim(&mut conn, &config.instance, config.batch)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "claiming broadcast recipients failed"
                    );
                    Vec::new()
                }),
            Err(e) => {
                tracing::warn!(error = %e, "no database connection for broadcasts");
                Vec::new()
            }
        };
        let mut pause = None;
        if claimed.is_empty() {
            housekeeping(&pool, &config).await;
            pause = Some(config.idle);
        } else {
            let mut sends = tokio::task::JoinSet::new();
            for one in claimed {
                sends.spawn(deliver(bot.clone(), pool.clone(), pacer.clone(), one));
            }
            while let Some(joined) = sends.join_next().await {
                match joined {
                    Ok(Some(wait)) => pause = pause.max(Some(wait)),
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, "a broadcast send panicked"),
                }
            }
            if let Ok(mut conn) = pool.get().await
                && let Err(e) = finish_done(&mut conn).await
            {
                tracing::warn!(error = format!("{e:#}"), "finishing broadcasts failed");
            }
        }
        match pause {
            Some(wait) => tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
            },
            None => tokio::select! {
                biased;
                () = &mut stop => return,
                () = std::future::ready(()) => {}
            },
        }
    }
}

async fn housekeeping(pool: &ledger::Pool, config: &WorkerConfig) {
    let Ok(mut conn) = pool.get().await else {
        return;
    };
    match close_stale_claims(&mut conn, config.stale_claim).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(rows = n, "stale broadcast claims closed as failed"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "closing stale claims failed"),
    }
    match finish_done(&mut conn).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(broadcasts = n, "broadcasts done"),
        Err(e) => tracing::warn!(error = format!("{e:#}"), "finishing broadcasts failed"),
    }
}

/// Spaces the sender's messages evenly at the bulk rate (half this instance's overall share).
/// The bulk allowance alone would let half a second's worth through at once after a pause, so
/// the first second of a broadcast could use a whole second's overall allowance; paced, a
/// broadcast never takes the burst that answers to taps may need.
#[derive(Default)]
struct Pacer {
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl Pacer {
    async fn wait(&self, bot: &UiBot) {
        let gap = Duration::from_secs_f64(2.0 / f64::from(bot.overall_share().max(2)));
        let at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + gap);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Sends one claimed row and records how it went; `Some(wait)` when Telegram asked to wait
/// (the row is pending again).
async fn deliver(
    bot: UiBot,
    pool: ledger::Pool,
    pacer: std::sync::Arc<Pacer>,
    one: Claimed,
) -> Option<Duration> {
    let outcome = if one.banned {
        Outcome::Failed("banned".into())
    } else if !one.reachable {
        Outcome::Blocked
    } else {
        let chat = ChatId(one.user_id);
        let sent = tg_kit::send::with_retry_after(|| async {
            // Evenly spaced, then bulk: a broadcast never takes the half of the allowance taps
            // are answered from, nor its burst.
            pacer.wait(&bot).await;
            bot.bulk_allowance().await;
            bot.to_chat(chat)
                .await
                .send_message(chat, one.text.clone())
                .parse_mode(ParseMode::Html)
                .await
        })
        .await;
        match sent {
            Ok(_) => Outcome::Sent,
            Err(RequestError::RetryAfter(after)) => {
                match pool.get().await {
                    Ok(mut conn) => {
                        if let Err(e) = release(&mut conn, one.broadcast_id, one.user_id).await {
                            tracing::warn!(error = format!("{e:#}"), "releasing a claim failed");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "no connection to release a claim"),
                }
                return Some(after.duration());
            }
            Err(e) if tg_kit::send::is_unreachable(&e) => Outcome::Blocked,
            Err(e) => Outcome::Failed(e.to_string()),
        }
    };
    let mut conn = match pool.get().await {
        Ok(conn) => conn,
        Err(e) => {
            // The claim stays open and is closed as failed once stale (at most once).
            tracing::error!(error = %e, broadcast = one.broadcast_id, user = one.user_id, "cannot record a broadcast send");
            return None;
        }
    };
    if let Err(e) = record(&mut conn, one.broadcast_id, one.user_id, &outcome).await {
        tracing::error!(
            error = format!("{e:#}"),
            broadcast = one.broadcast_id,
            user = one.user_id,
            "recording a broadcast send failed"
        );
    }
    if outcome == Outcome::Blocked
        && one.reachable
        && let Err(e) = ledger::mark_unreachable(&mut conn, UserId(one.user_id)).await
    {
        tracing::warn!(error = %e, "marking a user unreachable failed");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_parse_by_name_only() {
        for seg in Segment::ALL {
            assert_eq!(Segment::parse(seg.as_str()), Some(seg));
            assert_eq!(Segment::parse(&seg.as_str().to_uppercase()), Some(seg));
        }
        for bad in [
            "",
            "everyone",
            "active",
            "active 30",
            "ru,en",
            "paying;",
            " all",
        ] {
            assert_eq!(Segment::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn segments_are_stored_as_the_command_spells_them() {
        for seg in Segment::ALL {
            let json = serde_json::to_value(seg).unwrap();
            assert_eq!(json, serde_json::json!(seg.as_str()));
            assert_eq!(serde_json::from_value::<Segment>(json).unwrap(), seg);
        }
    }

    #[test]
    fn every_segment_selects_only_reachable_unbanned_users() {
        for seg in Segment::ALL {
            let sql = seg.recipients_sql();
            assert!(sql.contains("u.reachable AND NOT u.banned AND ("), "{sql}");
        }
    }

    #[test]
    fn states_round_trip() {
        for st in [State::Running, State::Paused, State::Cancelled, State::Done] {
            assert_eq!(State::parse(st.as_str()), Some(st));
        }
        assert_eq!(State::parse("sending"), None);
    }
}
