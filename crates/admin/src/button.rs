//! The admin panel's callback data: prefix `a:` (see `tg_kit::callback`), then a short body,
//! decoded strictly (only the canonical form is ours). Buttons carry ids, never authority: the
//! branch re-reads the presser's role, and a Confirm names a pending action that only its own
//! admin can take, once.
//!
//! This module must never look anything up.

use ledger::reports::UserOrder;
use tg_kit::callback::{ADMIN, model_id, number};

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
            ("y", Some(a)) => AdminButton::Confirm { action: number(a)? },
            ("n", Some(a)) => AdminButton::Cancel { action: number(a)? },
            _ => return None,
        };
        (button.encode() == data).then_some(button)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tg_kit::callback::MAX_CALLBACK_BYTES;

    fn samples() -> Vec<AdminButton> {
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
        ]
    }

    #[test]
    fn every_button_round_trips_within_64_bytes_under_the_admin_prefix() {
        for button in samples() {
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
}
