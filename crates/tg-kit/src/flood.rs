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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

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
    /// This instance's share of the token's overall allowance, and of the bulk part of it
    /// (replaced when the number of live instances changes).
    shared: RwLock<Arc<Shared>>,
    /// Arrival order for the overall allowance (tokio's mutex is FIFO).
    overall_turn: tokio::sync::Mutex<()>,
    limits: FloodLimits,
    messages: AtomicU64,
}

struct Shared {
    instances: usize,
    overall: DefaultDirectRateLimiter,
    bulk: DefaultDirectRateLimiter,
}

impl Shared {
    fn new(limits: FloodLimits, instances: usize) -> Shared {
        let overall = (limits.overall_per_sec / instances.max(1) as u32).max(1);
        Shared {
            instances,
            overall: RateLimiter::direct(Quota::per_second(nz(overall))),
            bulk: RateLimiter::direct(Quota::per_second(nz(overall / 2))),
        }
    }
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
                shared: RwLock::new(Arc::new(Shared::new(limits, 1))),
                overall_turn: tokio::sync::Mutex::new(()),
                limits,
                messages: AtomicU64::new(0),
            }),
        }
    }

    /// Waits for the bulk allowance (half the overall rate): call it before a message nobody is
    /// waiting for (a progress edit), then send as usual.
    pub async fn bulk_allowance(&self) {
        let shared = self.flood.current();
        shared.bulk.until_ready().await;
    }

    /// Takes `1 / instances` of the token's overall allowance: the bot token's 30 messages/s
    /// belong to the whole deployment. (The per-chat pace stays per instance: a chat's updates
    /// are handled one at a time, wherever.)
    pub fn set_instances(&self, instances: usize) {
        let instances = instances.max(1);
        let mut shared = self.flood.shared.write().unwrap_or_else(|e| e.into_inner());
        if shared.instances != instances {
            *shared = Arc::new(Shared::new(self.flood.limits, instances));
        }
    }

    /// This instance's overall messages per second now.
    pub fn overall_share(&self) -> u32 {
        let instances = self.flood.current().instances as u32;
        (self.flood.limits.overall_per_sec / instances).max(1)
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
            let shared = f.current();
            shared.overall.until_ready().await;
        }
        if f.messages.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            f.chats.retain_recent();
        }
        &self.bot
    }
}

impl Flood {
    fn current(&self) -> Arc<Shared> {
        self.shared
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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

    /// Three live instances: each may send a third of the overall allowance at once, not more.
    #[test]
    fn the_overall_allowance_is_split_between_instances() {
        let bot = UiBot::new(Bot::new("1:x"), FloodLimits::telegram());
        assert_eq!(bot.overall_share(), 30);
        bot.set_instances(3);
        assert_eq!(bot.overall_share(), 10);
        let shared = bot.flood.current();
        let burst = (0..40)
            .take_while(|_| shared.overall.check().is_ok())
            .count();
        assert_eq!(burst, 10, "a third of the burst");
        bot.set_instances(1);
        assert_eq!(bot.overall_share(), 30);
    }
}
