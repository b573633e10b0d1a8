//! The metrics this instance exports at `/metrics` (Prometheus text format, prometheus-client
//! with a registry of its own, so two instances in one test process stay apart).
//!
//! Counters and histograms are updated where things happen (updates, polls, webhook posts);
//! the figures that live in the database (inbox depth, jobs by state, money held and charged,
//! the poller lease) are read when scraped. This module must never block a handler: recording
//! is a few atomic operations.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// An update's kind and how its handling ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpdateLabels {
    /// `message`, `callback_query`, …
    pub kind: String,
    /// `ok`, `failed` (the handler panicked or the update could not be read), `unhandled`.
    pub outcome: String,
}

/// One label: a result or state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// e.g. `ok`, `conflict`, `network`.
    pub result: String,
}

/// A job state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The job's state.
    pub state: String,
}

/// A Kie endpoint and the code it answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KieLabels {
    /// `createTask`, `recordInfo`, `upload`, …
    pub endpoint: String,
    /// The HTTP status or Kie code; `error` for no answer.
    pub code: String,
}

/// A metric that registers a handle to itself (the handles share their values).
trait RegisteredMetric {
    fn register_in(&self, registry: &mut Registry, name: &str, help: &str);
}

impl<M: prometheus_client::registry::Metric + Clone> RegisteredMetric for M {
    fn register_in(&self, registry: &mut Registry, name: &str, help: &str) {
        registry.register(name, help, self.clone());
    }
}

/// Everything exported.
pub struct Metrics {
    registry: Registry,
    /// Updates handled, by kind and outcome.
    pub updates: Family<UpdateLabels, Counter>,
    /// Time from claiming an update to the end of its handler, in seconds.
    pub handling_seconds: Histogram,
    /// Time from storing an update to claiming it, in seconds.
    pub waiting_seconds: Histogram,
    /// getUpdates calls by result.
    pub polls: Family<ResultLabel, Counter>,
    /// Webhook posts by result (`stored`, `duplicate`, `unauthorized`, `unavailable`, …).
    pub webhook: Family<ResultLabel, Counter>,
    /// Updates waiting or being handled (all instances).
    pub inbox_depth: Gauge,
    /// Jobs by state.
    pub jobs: Family<StateLabel, Gauge>,
    /// Rubles held now (kopecks, to stay an integer).
    pub money_held_kopecks: Gauge,
    /// Rubles charged ever (kopecks).
    pub money_charged_kopecks: Gauge,
    /// 1 while this instance holds the poller lease.
    pub poller_lease_held: Gauge,
    /// The lease's epoch as this instance last saw it.
    pub poller_lease_epoch: Gauge,
    /// Messages sent or edited through the flood limiter.
    pub telegram_messages: Gauge<u64, AtomicU64>,
    /// 429s Telegram answered.
    pub telegram_429s: Gauge<u64, AtomicU64>,
    /// Kie calls by endpoint and answer.
    pub kie_calls: Family<KieLabels, Counter>,
    /// Live instances (they share the token's and the key's limits).
    pub instances_alive: Gauge,
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("kiebot");
        let mut add = |name: &str, help: &str, metric: &dyn RegisteredMetric| {
            metric.register_in(&mut registry, name, help);
        };
        let histogram = || Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let metrics = Metrics {
            updates: Family::default(),
            handling_seconds: histogram(),
            waiting_seconds: histogram(),
            polls: Family::default(),
            webhook: Family::default(),
            inbox_depth: Gauge::default(),
            jobs: Family::default(),
            money_held_kopecks: Gauge::default(),
            money_charged_kopecks: Gauge::default(),
            poller_lease_held: Gauge::default(),
            poller_lease_epoch: Gauge::default(),
            telegram_messages: Gauge::default(),
            telegram_429s: Gauge::default(),
            kie_calls: Family::default(),
            instances_alive: Gauge::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        add("updates", "Telegram updates handled", &m.updates);
        add(
            "update_handling_seconds",
            "Time to handle one update",
            &m.handling_seconds,
        );
        add(
            "update_waiting_seconds",
            "Time an update waited in the inbox",
            &m.waiting_seconds,
        );
        add("telegram_polls", "getUpdates calls", &m.polls);
        add("webhook_posts", "Webhook requests", &m.webhook);
        add("inbox_depth", "Updates not yet handled", &m.inbox_depth);
        add("jobs", "Jobs by state", &m.jobs);
        add(
            "money_held_kopecks",
            "Money held for running jobs, in kopecks",
            &m.money_held_kopecks,
        );
        add(
            "money_charged_kopecks",
            "Money charged for delivered jobs, in kopecks",
            &m.money_charged_kopecks,
        );
        add(
            "poller_lease_held",
            "1 while this instance is the Telegram poller",
            &m.poller_lease_held,
        );
        add(
            "poller_lease_epoch",
            "The poller lease epoch this instance last saw",
            &m.poller_lease_epoch,
        );
        add(
            "telegram_messages",
            "Messages sent or edited",
            &m.telegram_messages,
        );
        add(
            "telegram_429",
            "Flood waits (429) Telegram answered",
            &m.telegram_429s,
        );
        add("kie_calls", "Kie.ai calls", &m.kie_calls);
        add(
            "instances_alive",
            "Live instances sharing the limits",
            &m.instances_alive,
        );
        Arc::new(Metrics {
            registry,
            ..metrics
        })
    }

    /// Counts one handled update.
    pub fn update_handled(&self, kind: &str, outcome: &str) {
        self.updates
            .get_or_create(&UpdateLabels {
                kind: kind.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// Counts one result in a result family.
    pub fn count(family: &Family<ResultLabel, Counter>, result: &str) {
        family
            .get_or_create(&ResultLabel {
                result: result.to_string(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
