//! The admin panel's callback data: prefix `a:` (see `tg_kit::callback`), then a short body,
//! decoded strictly (only the canonical form is ours). Buttons carry ids, never authority: the
//! branch re-reads the presser's role, and a Confirm names a pending action that only its own
//! admin can take, once.
//!
//! This module must never look anything up.

use ledger::reports::UserOrder;
use tg_kit::callback::{ADMIN, model_id, number};

mod reports;
pub use self::reports::{ERROR_PERIODS, LogFilter, MAX_ACTION_BYTES, STATS_PERIODS, StatsOrder};

/// What an admin button does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminButton {
    /// The panel's home: health at a glance.
    Home,
    /// A page of users in an order.
    Users {
        /// Which list.
        order: UserOrder,
        /// Page, from 0.
        page: u16,
    },
    /// A user's card.
    Card {
        /// Their id.
        user: i64,
    },
    /// Ask to lift a user's ban (a pending action).
    Unban {
        /// Their id.
        user: i64,
    },
    /// A page of the models with their state.
    Models {
        /// Page, from 0.
        page: u16,
    },
    /// A model's admin card.
    Model {
        /// Its id.
        model: String,
    },
    /// Ask to put a model back on sale (a pending action).
    Enable {
        /// Its id.
        model: String,
    },
    /// A page of the audit log (records older than `before`).
    Log {
        /// The oldest record of the previous page.
        before: Option<i64>,
    },
    /// The admins.
    Admins,
    /// Per-model figures over the last `days` (one of [`STATS_PERIODS`]), a page of them.
    Stats {
        /// The period, in days.
        days: u8,
        /// How the models are sorted.
        order: StatsOrder,
        /// Page, from 0.
        page: u16,
    },
    /// The models failing right now.
    Broken,
    /// Ask to take a failing model off sale (a pending action; the reason is worked out anew).
    DisableBroken {
        /// Its id.
        model: String,
    },
    /// The last 30 days' money and audience.
    Analytics,
    /// The same as a chart (a photo).
    AnalyticsChart,
    /// The same as a CSV file (a document).
    AnalyticsCsv,
    /// Failures of the last `days` (one of [`ERROR_PERIODS`]).
    Errors {
        /// The period, in days.
        days: u8,
    },
    /// A page of the audit log under a filter (records older than `before`).
    LogFiltered {
        /// Which records.
        filter: LogFilter,
        /// The oldest record of the previous page.
        before: Option<i64>,
    },
    /// The audit log (under a filter, or all of it) as a CSV file.
    LogCsv {
        /// Which records.
        filter: Option<LogFilter>,
    },
    /// The recent broadcasts with their progress.
    Broadcasts,
    /// Pause a running broadcast.
    BroadcastPause {
        /// Its id.
        id: i64,
    },
    /// Resume a paused broadcast.
    BroadcastResume {
        /// Its id.
        id: i64,
    },
    /// Cancel a broadcast for good.
    BroadcastCancel {
        /// Its id.
        id: i64,
    },
    /// Run a pending action.
    Confirm {
        /// Its id.
        action: i64,
    },
    /// Drop a pending action.
    Cancel {
        /// Its id.
        action: i64,
    },
}

fn order_code(order: UserOrder) -> &'static str {
    match order {
        UserOrder::Newest => "n",
        UserOrder::TopSpend => "s",
        UserOrder::TopBalance => "b",
        UserOrder::RecentlyActive => "a",
    }
}

fn order_of(code: &str) -> Option<UserOrder> {
    Some(match code {
        "n" => UserOrder::Newest,
        "s" => UserOrder::TopSpend,
        "b" => UserOrder::TopBalance,
        "a" => UserOrder::RecentlyActive,
        _ => return None,
    })
}

impl AdminButton {
    /// The callback data (`a:` + body, at most 64 bytes: model ids are capped by the catalog).
    pub fn encode(&self) -> String {
        let body = match self {
            AdminButton::Home => "h".to_string(),
            AdminButton::Users { order, page } => format!("u:{}:{page}", order_code(*order)),
            AdminButton::Card { user } => format!("c:{user}"),
            AdminButton::Unban { user } => format!("b:{user}"),
            AdminButton::Models { page } => format!("m:{page}"),
            AdminButton::Model { model } => format!("o:{model}"),
            AdminButton::Enable { model } => format!("e:{model}"),
            AdminButton::Log { before: None } => "l".into(),
            AdminButton::Log { before: Some(b) } => format!("l:{b}"),
            AdminButton::Admins => "r".into(),
            AdminButton::Stats { days, order, page } => {
                format!("s:{days}:{}:{page}", order.code())
            }
            AdminButton::Broken => "k".into(),
            AdminButton::DisableBroken { model } => format!("kd:{model}"),
            AdminButton::Analytics => "z".into(),
            AdminButton::AnalyticsChart => "zc".into(),
            AdminButton::AnalyticsCsv => "zv".into(),
            AdminButton::Errors { days } => format!("x:{days}"),
            AdminButton::LogFiltered {
                filter,
                before: None,
            } => format!("lf:{}", filter.code()),
            AdminButton::LogFiltered {
                filter,
                before: Some(b),
            } => format!("lf:{}:{b}", filter.code()),
            AdminButton::LogCsv { filter: None } => "lv".into(),
            AdminButton::LogCsv { filter: Some(f) } => format!("lv:{}", f.code()),
            AdminButton::Broadcasts => "bl".into(),
            AdminButton::BroadcastPause { id } => format!("bp:{id}"),
            AdminButton::BroadcastResume { id } => format!("br:{id}"),
            AdminButton::BroadcastCancel { id } => format!("bx:{id}"),
            AdminButton::Confirm { action } => format!("y:{action}"),
            AdminButton::Cancel { action } => format!("n:{action}"),
        };
        ADMIN.encode(&body)
    }

    /// Decodes callback data; `None` for anything the panel did not produce.
    pub fn decode(data: &str) -> Option<AdminButton> {
        let body = ADMIN.decode(data)?;
        let (head, rest) = match body.split_once(':') {
            Some((h, r)) => (h, Some(r)),
            None => (body, None),
        };
        let button = match (head, rest) {
            ("h", None) => AdminButton::Home,
            ("r", None) => AdminButton::Admins,
            ("l", None) => AdminButton::Log { before: None },
            ("l", Some(b)) => AdminButton::Log {
                before: Some(number(b)?),
            },
            ("u", Some(r)) => {
                let (order, page) = r.split_once(':')?;
                AdminButton::Users {
                    order: order_of(order)?,
                    page: number(page)?,
                }
            }
            ("c", Some(u)) => AdminButton::Card { user: number(u)? },
            ("b", Some(u)) => AdminButton::Unban { user: number(u)? },
            ("m", Some(p)) => AdminButton::Models { page: number(p)? },
            ("o", Some(m)) => AdminButton::Model {
                model: model_id(m)?,
            },
            ("e", Some(m)) => AdminButton::Enable {
                model: model_id(m)?,
            },
            ("s", Some(r)) => {
                let mut parts = r.splitn(3, ':');
                let days = number(parts.next()?).filter(|d| STATS_PERIODS.contains(d))?;
                let order = StatsOrder::of(parts.next()?)?;
                AdminButton::Stats {
                    days,
                    order,
                    page: number(parts.next()?)?,
                }
            }
            ("k", None) => AdminButton::Broken,
            ("kd", Some(m)) => AdminButton::DisableBroken {
                model: model_id(m)?,
            },
            ("z", None) => AdminButton::Analytics,
            ("zc", None) => AdminButton::AnalyticsChart,
            ("zv", None) => AdminButton::AnalyticsCsv,
            ("x", Some(d)) => AdminButton::Errors {
                days: number(d).filter(|d| ERROR_PERIODS.contains(d))?,
            },
            ("lf", Some(r)) => {
                let (filter, before) = match r.split_once(':') {
                    Some((f, b)) => (f, Some(number(b)?)),
                    None => (r, None),
                };
                AdminButton::LogFiltered {
                    filter: LogFilter::of(filter)?,
                    before,
                }
            }
            ("lv", None) => AdminButton::LogCsv { filter: None },
            ("lv", Some(f)) => AdminButton::LogCsv {
                filter: Some(LogFilter::of(f)?),
            },
            ("bl", None) => AdminButton::Broadcasts,
            ("bp", Some(b)) => AdminButton::BroadcastPause { id: number(b)? },
            ("br", Some(b)) => AdminButton::BroadcastResume { id: number(b)? },
            ("bx", Some(b)) => AdminButton::BroadcastCancel { id: number(b)? },
            ("y", Some(a)) => AdminButton::Confirm { action: number(a)? },
            ("n", Some(a)) => AdminButton::Cancel { action: number(a)? },
            _ => return None,
        };
        (button.encode() == data).then_some(button)
    }
}

/// One button of every kind, with the longest ids and numbers (for tests: every button must
/// fit 64 bytes and round-trip, and a non-admin must be refused on each).
pub fn examples() -> Vec<AdminButton> {
    let long_model = "m".repeat(catalog::MAX_MODEL_ID_BYTES);
    vec![
        AdminButton::Home,
        AdminButton::Users {
            order: UserOrder::TopSpend,
            page: u16::MAX,
        },
        AdminButton::Card { user: i64::MAX },
        AdminButton::Unban { user: 7 },
        AdminButton::Models { page: 3 },
        AdminButton::Model {
            model: long_model.clone(),
        },
        AdminButton::Enable { model: long_model },
        AdminButton::Log { before: None },
        AdminButton::Log {
            before: Some(i64::MAX),
        },
        AdminButton::Admins,
        AdminButton::Confirm { action: i64::MAX },
        AdminButton::Cancel { action: 1 },
        AdminButton::Broadcasts,
        AdminButton::BroadcastPause { id: i64::MAX },
        AdminButton::BroadcastResume { id: 1 },
        AdminButton::BroadcastCancel { id: i64::MAX },
        AdminButton::Stats {
            days: 30,
            order: StatsOrder::Runs,
            page: u16::MAX,
        },
        AdminButton::Stats {
            days: 1,
            order: StatsOrder::Revenue,
            page: 0,
        },
        AdminButton::Broken,
        AdminButton::DisableBroken {
            model: "m".repeat(catalog::MAX_MODEL_ID_BYTES),
        },
        AdminButton::Analytics,
        AdminButton::AnalyticsChart,
        AdminButton::AnalyticsCsv,
        AdminButton::Errors { days: 1 },
        AdminButton::Errors { days: 7 },
        AdminButton::LogFiltered {
            filter: LogFilter::Kind("k".repeat(MAX_ACTION_BYTES)),
            before: Some(i64::MAX),
        },
        AdminButton::LogFiltered {
            filter: LogFilter::User(i64::MAX),
            before: None,
        },
        AdminButton::LogFiltered {
            filter: LogFilter::Admin(1),
            before: Some(5),
        },
        AdminButton::LogCsv { filter: None },
        AdminButton::LogCsv {
            filter: Some(LogFilter::Kind("k".repeat(MAX_ACTION_BYTES))),
        },
        AdminButton::LogCsv {
            filter: Some(LogFilter::User(i64::MAX)),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tg_kit::callback::MAX_CALLBACK_BYTES;

    /// The variant of a button, by a match the compiler keeps exhaustive: a new variant
    /// without an example fails `examples_cover_every_kind`.
    fn kind(button: &AdminButton) -> usize {
        match button {
            AdminButton::Home => 0,
            AdminButton::Users { .. } => 1,
            AdminButton::Card { .. } => 2,
            AdminButton::Unban { .. } => 3,
            AdminButton::Models { .. } => 4,
            AdminButton::Model { .. } => 5,
            AdminButton::Enable { .. } => 6,
            AdminButton::Log { .. } => 7,
            AdminButton::Admins => 8,
            AdminButton::Stats { .. } => 9,
            AdminButton::Broken => 10,
            AdminButton::DisableBroken { .. } => 11,
            AdminButton::Analytics => 12,
            AdminButton::AnalyticsChart => 13,
            AdminButton::AnalyticsCsv => 14,
            AdminButton::Errors { .. } => 15,
            AdminButton::LogFiltered { .. } => 16,
            AdminButton::LogCsv { .. } => 17,
            AdminButton::Broadcasts => 18,
            AdminButton::BroadcastPause { .. } => 19,
            AdminButton::BroadcastResume { .. } => 20,
            AdminButton::BroadcastCancel { .. } => 21,
            AdminButton::Confirm { .. } => 22,
            AdminButton::Cancel { .. } => 23,
        }
    }

    #[test]
    fn examples_cover_every_kind() {
        let kinds: std::collections::BTreeSet<usize> = examples().iter().map(kind).collect();
        assert_eq!(kinds, (0..24).collect());
    }

    #[test]
    fn every_button_round_trips_within_64_bytes_under_the_admin_prefix() {
        for button in examples() {
            let data = button.encode();
            assert!(data.len() <= MAX_CALLBACK_BYTES, "{data}");
            assert!(data.starts_with("a:"), "{data}");
            assert_eq!(AdminButton::decode(&data), Some(button));
        }
    }

    #[test]
    fn forged_and_malformed_data_is_refused() {
        for bad in [
            "", "a", "a:", "h", "a:x", "a:h:", "a:c:", "a:c:-1", "a:c:+1", "a:c:01", "a:y:1.5",
            "a:u:z:0", "a:u:n", "a:o:../x", "a:o:a b", "a:l:", "m",
        ] {
            assert_eq!(AdminButton::decode(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn forged_broadcast_buttons_are_refused() {
        for bad in [
            "a:bl:1", "a:bp", "a:bp:", "a:bp:-1", "a:bp:01", "a:br:x", "a:bx:1:2", "a:bz:1",
        ] {
            assert_eq!(AdminButton::decode(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn forged_report_buttons_are_refused() {
        for bad in [
            "a:s",
            "a:s:7",
            "a:s:7:r",
            "a:s:2:r:0",
            "a:s:07:r:0",
            "a:s:7:x:0",
            "a:s:7:r:0:1",
            "a:s:7:r:-1",
            "a:k:1",
            "a:kd",
            "a:kd:",
            "a:kd:../etc",
            "a:z:1",
            "a:zc:",
            "a:x:30",
            "a:x:0",
            "a:x:01",
            "a:lf",
            "a:lf:",
            "a:lf:u",
            "a:lf:u-1",
            "a:lf:q5",
            "a:lf:u5:",
            "a:lf:u5:x",
            "a:lf:kBan",
            "a:lf:kban;drop",
            "a:lf:k",
            "a:lv:",
            "a:lv:z9",
            "a:lv:u5:1",
        ] {
            assert_eq!(AdminButton::decode(bad), None, "{bad:?} must be refused");
        }
    }
}
