//! The parts of the report buttons' data that are more than a number: how the model stats are
//! sorted, and the audit log's filter. Strict both ways, like the rest of the codec.

use ledger::{AuditFilter, UserId};

/// The periods the model stats offer, in days.
pub const STATS_PERIODS: [u8; 3] = [1, 7, 30];

/// The periods the errors report offers, in days.
pub const ERROR_PERIODS: [u8; 2] = [1, 7];

/// The longest action name a log filter takes (so the filtered log's buttons fit 64 bytes).
pub const MAX_ACTION_BYTES: usize = 32;

/// How the model stats are sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsOrder {
    /// Most revenue first.
    Revenue,
    /// Most runs first.
    Runs,
}

impl StatsOrder {
    /// Both orders, as the buttons show them.
    pub const ALL: [StatsOrder; 2] = [StatsOrder::Revenue, StatsOrder::Runs];

    pub(super) fn code(self) -> &'static str {
        match self {
            StatsOrder::Revenue => "r",
            StatsOrder::Runs => "n",
        }
    }

    pub(super) fn of(code: &str) -> Option<StatsOrder> {
        StatsOrder::ALL.into_iter().find(|o| o.code() == code)
    }
}

/// Which audit records the log shows: one criterion at a time, as `/log` takes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFilter {
    /// Records about this user (`/log user <id>`).
    User(i64),
    /// Records of this admin's doing (`/log admin <id>`).
    Admin(i64),
    /// Records of this action (`/log kind <action>`).
    Kind(String),
}

impl LogFilter {
    /// An action name as a filter takes it: 1–[`MAX_ACTION_BYTES`] of `a-z`, `0-9`, `_` (every
    /// action the code writes looks so).
    pub fn action(s: &str) -> Option<String> {
        let ok = !s.is_empty()
            && s.len() <= MAX_ACTION_BYTES
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| s.to_string())
    }

    /// The ledger's filter.
    pub fn audit(&self) -> AuditFilter {
        match self {
            LogFilter::User(id) => AuditFilter {
                target: Some(UserId(*id)),
                ..AuditFilter::default()
            },
            LogFilter::Admin(id) => AuditFilter {
                actor: Some(UserId(*id)),
                ..AuditFilter::default()
            },
            LogFilter::Kind(action) => AuditFilter {
                action: Some(action.clone()),
                ..AuditFilter::default()
            },
        }
    }

    /// For the audit record of a view ("user:42", "admin:7", "kind:ban").
    pub fn describe(&self) -> String {
        match self {
            LogFilter::User(id) => format!("user:{id}"),
            LogFilter::Admin(id) => format!("admin:{id}"),
            LogFilter::Kind(action) => format!("kind:{action}"),
        }
    }

    pub(super) fn code(&self) -> String {
        match self {
            LogFilter::User(id) => format!("u{id}"),
            LogFilter::Admin(id) => format!("a{id}"),
            LogFilter::Kind(action) => format!("k{action}"),
        }
    }

    pub(super) fn of(code: &str) -> Option<LogFilter> {
        let mut chars = code.chars();
        let head = chars.next()?;
        let rest = chars.as_str();
        Some(match head {
            'u' => LogFilter::User(tg_kit::callback::number(rest)?),
            'a' => LogFilter::Admin(tg_kit::callback::number(rest)?),
            'k' => LogFilter::Kind(LogFilter::action(rest)?),
            _ => return None,
        })
    }
}
