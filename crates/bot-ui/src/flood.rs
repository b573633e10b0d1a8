//! Telegram's flood limits on what the bot sends: about one message per second per chat (short
//! bursts tolerated) and about thirty per second overall; edits count too. [`UiBot`] hands out
//! the bot for a message only after both allowances are there (GCRA via `governor`: a send waits
//! exactly as long as the limit needs, not for a timer tick). A 429 that still comes back is
//! waited out by `send::with_retry_after`.
//!
//! # Fairness
//! - Waiters for the overall allowance queue in arrival order (a FIFO lock around it): no chat's
//!   burst starves another chat's tap, and every chat gets its turn.
//! - Bulk traffic (progress edits) first passes [`UiBot::bulk_allowance`], a limiter at half the
//!   overall rate, so answers to taps always have the other half.
//!
//! This module must never queue or reorder messages itself: a caller waits, then sends.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use teloxide::Bot;
use teloxide::types::ChatId;

/// The allowances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloodLimits {
    /// Messages (sends and edits) per second to one chat.
    pub per_chat_per_sec: u32,
    /// How many may go to one chat at once before the per-second pace applies.
    pub per_chat_burst: u32,
    /// Messages per second across all chats.
    pub overall_per_sec: u32,
}

impl FloodLimits {
    /// Telegram's documented limits: 1/s per chat with a burst of 3 (a result and its buttons,
    /// a receipt and the confirm screen), 30/s overall.
    pub fn telegram() -> FloodLimits {
        FloodLimits {
            per_chat_per_sec: 1,
            per_chat_burst: 3,
            overall_per_sec: 30,
        }
    }

    /// Practically none (tests and benchmarks against the fake Telegram).
    pub fn lifted() -> FloodLimits {
        FloodLimits {
            per_chat_per_sec: 1_000,
            per_chat_burst: 1_000,
            overall_per_sec: 100_000,
        }
    }
}

struct Flood {
    chats: DefaultKeyedRateLimiter<i64>,
    overall: DefaultDirectRateLimiter,
    /// Arrival order for the overall allowance (tokio's mutex is FIFO).
    overall_turn: tokio::sync::Mutex<()>,
    bulk: DefaultDirectRateLimiter,
    messages: AtomicU64,
}

/// The bot as the UI uses it: messages to a chat go through [`UiBot::to_chat`], which waits for
/// the flood allowance; everything else (callback answers, files, commands) through
/// [`UiBot::api`].
#[derive(Clone)]
pub struct UiBot {
    bot: Bot,
    flood: Arc<Flood>,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("at least 1")
}

/// Forget idle chats' allowance state after this many messages (keeps the map small).
const RETAIN_EVERY: u64 = 4096;

impl UiBot {
    /// `bot` under `limits`.
    pub fn new(bot: Bot, limits: FloodLimits) -> UiBot {
        UiBot {
            bot,
            flood: Arc::new(Flood {
                chats: RateLimiter::keyed(
                    Quota::per_second(nz(limits.per_chat_per_sec))
                        .allow_burst(nz(limits.per_chat_burst)),
                ),
                overall: RateLimiter::direct(Quota::per_second(nz(limits.overall_per_sec))),
                overall_turn: tokio::sync::Mutex::new(()),
                bulk: RateLimiter::direct(Quota::per_second(nz(limits.overall_per_sec / 2))),
                messages: AtomicU64::new(0),
            }),
        }
    }

    /// Waits for the bulk allowance (half the overall rate): call it before a message nobody is
    /// waiting for (a progress edit), then send as usual.
    pub async fn bulk_allowance(&self) {
        self.flood.bulk.until_ready().await;
    }

    /// Messages (sends and edits) let through so far.
    pub fn messages_sent(&self) -> u64 {
        self.flood.messages.load(Ordering::Relaxed)
    }

    /// The bot for calls that are not messages to a chat.
    pub fn api(&self) -> &Bot {
        &self.bot
    }

    /// Waits for `chat`'s and the overall allowance, then hands out the bot for one message
    /// (a send or an edit).
    pub async fn to_chat(&self, chat: ChatId) -> &Bot {
        let f = &self.flood;
        // The chat's own pace first, so a busy chat does not use up the shared allowance.
        f.chats.until_key_ready(&chat.0).await;
        {
            let _turn = f.overall_turn.lock().await;
            f.overall.until_ready().await;
        }
        if f.messages.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            f.chats.retain_recent();
        }
        &self.bot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chat gets its burst, then must wait; another chat is not held back by it.
    /// (Checked through the limiter's own verdicts, not a clock: a refill takes a second.)
    #[tokio::test]
    async fn a_chat_gets_its_burst_then_waits_alone() {
        let bot = UiBot::new(
            Bot::new("1:x"),
            FloodLimits {
                per_chat_per_sec: 1,
                per_chat_burst: 2,
                overall_per_sec: 1000,
            },
        );
        bot.to_chat(ChatId(7)).await;
        bot.to_chat(ChatId(7)).await;
        let chats = &bot.flood.chats;
        assert!(chats.check_key(&7).is_err(), "a third message must wait");
        assert!(chats.check_key(&8).is_ok(), "another chat goes at once");
    }
}
