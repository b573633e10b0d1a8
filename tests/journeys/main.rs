//! The journeys and abuse tests: the whole product (bot, pipeline, ledger) against the Kie
//! simulator and the fake Telegram, one database and one stack per test. Each test plays users
//! through Telegram only and asserts what they see and what the ledger holds; every test ends
//! with [`journeys::Rig::finish`] (ledger invariants, callback data ≤ 64 bytes, valid HTML, no
//! handler failure).
//!
//! Journeys that read differently per language run in both (`…::ru`, `…::en`).

/// Runs `async fn $name(code: &str)` as two tests, `$name::ru` and `$name::en`.
macro_rules! both_languages {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ru() {
                super::$name("ru").await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn en() {
                super::$name("en").await;
            }
        }
    };
}

mod access;
mod admin;
mod admin_broadcast;
mod admin_money;
mod admin_reports;
mod duplicates;
mod favourites;
mod forged;
mod history;
mod input;
mod language;
mod main_journey;
mod media;
mod money;
mod tour;
