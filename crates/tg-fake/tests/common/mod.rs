//! Shared setup for the tg-fake tests: a fake and a real teloxide `Bot` pointed at it.
//!
//! It must never sleep or reach the real Telegram.

#![allow(dead_code, missing_docs)]

use std::time::Duration;

use teloxide::Bot;
use tg_fake::FakeTelegram;

/// A token shaped like Telegram's: the bot id, a colon, a secret.
pub const TOKEN: &str = "123456:TEST-token";

/// How long any wait in these tests may take before failing.
pub const WAIT: Duration = Duration::from_secs(3);

pub async fn setup() -> (FakeTelegram, Bot) {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = Bot::new(TOKEN).set_api_url(fake.api_url());
    (fake, bot)
}

/// The first 24 bytes of a PNG claiming `width`×`height` (enough for the fake to read).
pub fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&width.to_be_bytes());
    png.extend_from_slice(&height.to_be_bytes());
    png
}
