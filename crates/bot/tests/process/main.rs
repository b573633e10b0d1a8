//! Process-level tests of the production runtime: the real `bot` binary against the fake
//! Telegram (strict: 409 on a second poller, overlap counting, webhook push), the Kie
//! simulator and PostgreSQL, with real signals.

mod fail_closed;
mod polling;
mod stop;
mod support;
mod webhook;
