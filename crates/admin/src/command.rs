//! The admin commands: `/admin` opens the panel; the others take what a button cannot (a search
//! query, an amount, a reason). Parsing is pure and strict: a malformed command gets its usage
//! line, never a guess.
//!
//! This module must never check rights or act: the branch checks the role, `ops` acts.

use pricing::Money;

/// A parsed admin command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// `/admin`: the panel's home.
    Home,
    /// `/find <id | @username | name>`.
    Find {
        /// What to look for.
        query: String,
    },
    /// `/credit <user id> <rubles> <reason>`.
    Credit {
        /// Whom.
        user: i64,
        /// How much (rubles, at most two decimals).
        rub: Money,
        /// Why.
        reason: String,
    },
    /// `/debit <user id> <rubles> <reason>`.
    Debit {
        /// Whom.
        user: i64,
        /// How much.
        rub: Money,
        /// Why.
        reason: String,
    },
    /// `/ban <user id> <reason>`.
    Ban {
        /// Whom.
        user: i64,
        /// Why.
        reason: String,
    },
    /// `/unban <user id>`.
    Unban {
        /// Whom.
        user: i64,
    },
    /// `/disable <model id> <reason>`.
    Disable {
        /// Which.
        model: String,
        /// Why.
        reason: String,
    },
    /// `/enable <model id>`.
    Enable {
        /// Which.
        model: String,
    },
    /// `/grant <user id> <owner|support>`.
    Grant {
        /// Whom.
        user: i64,
        /// `owner` or `support`.
        role: String,
    },
    /// `/revoke <user id>`.
    Revoke {
        /// Whom.
        user: i64,
    },
    /// `/models <words>`: models whose id, title or tags match, with their states.
    Models {
        /// What to look for.
        query: String,
    },
    /// `/log`, `/log user <id>`, `/log admin <id>`, `/log kind <action>`: the audit log.
    Log {
        /// Which records (`None`: all).
        filter: Option<crate::button::LogFilter>,
    },
    /// `/refund <payment id> <reason>`: refund a Stars payment.
    Refund {
        /// The payment (`#id` on the user card).
        payment: i64,
        /// Why.
        reason: String,
    },
    /// `/refundjob <job id> <reason>`: credit back a charged job the user disputes.
    RefundJob {
        /// The job.
        job: i64,
        /// Why.
        reason: String,
    },
    /// `/settings`: the runtime settings with their history.
    Settings,
    /// `/set <key> <value> <reason>`.
    Set {
        /// One of `ledger::SETTING_KEYS`.
        key: String,
        /// The new value (one word: a number, `none`, or a comma-separated list).
        value: String,
        /// Why.
        reason: String,
    },
    /// `/free`: the free models, the quotas and today's budget.
    Free,
    /// `/free add <model id> [reason]`.
    FreeAdd {
        /// Which.
        model: String,
        /// Why (defaults to the command itself).
        reason: String,
    },
    /// `/free remove <model id> [reason]`.
    FreeRemove {
        /// Which.
        model: String,
        /// Why (defaults to the command itself).
        reason: String,
    },
    /// `/broadcast <segment> <text>`: a message to all users or a segment (the text is
    /// Telegram HTML, at most `broadcast::MAX_TEXT_CHARS`, lines kept).
    Broadcast {
        /// Whom.
        segment: crate::broadcast::Segment,
        /// What.
        text: String,
    },
    /// `/broadcasts`: the recent broadcasts and their progress.
    Broadcasts,
}

/// Every admin command's name (a non-admin who sends one gets the user interface's answer to
/// an unknown command).
pub const NAMES: [&str; 19] = [
    "admin",
    "find",
    "credit",
    "debit",
    "ban",
    "unban",
    "disable",
    "enable",
    "grant",
    "revoke",
    "log",
    "models",
    "refund",
    "refundjob",
    "settings",
    "set",
    "free",
    "broadcast",
    "broadcasts",
];

/// The name of the admin command `text` starts with ("/credit@bot 5" → "credit"), if any.
pub fn name_of(text: &str) -> Option<&'static str> {
    let first = text.strip_prefix('/')?.split_whitespace().next()?;
    let name = first.split('@').next()?.to_ascii_lowercase();
    NAMES.iter().copied().find(|n| *n == name)
}

/// Parses an admin command; `Err(name)` when it is one but malformed (answer: its usage).
pub fn parse(text: &str) -> Option<Result<AdminCommand, &'static str>> {
    let name = name_of(text)?;
    let args = text
        .split_once(char::is_whitespace)
        .map(|(_, rest)| rest.trim())
        .unwrap_or("");
    Some(parse_args(name, args).ok_or(name))
}

fn parse_args(name: &str, args: &str) -> Option<AdminCommand> {
    let (first, rest) = match args.split_once(char::is_whitespace) {
        Some((f, r)) => (f, r.trim()),
        None => (args, ""),
    };
    let user = || first.parse::<i64>().ok().filter(|id| *id > 0);
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(match name {
        "admin" => AdminCommand::Home,
        "find" => AdminCommand::Find { query: text(args)? },
        "credit" | "debit" => {
            let (amount, reason) = rest.split_once(char::is_whitespace)?;
            let rub = rubles(amount)?;
            let reason = text(reason.trim())?;
            let user = user()?;
            if name == "credit" {
                AdminCommand::Credit { user, rub, reason }
            } else {
                AdminCommand::Debit { user, rub, reason }
            }
        }
        "ban" => AdminCommand::Ban {
            user: user()?,
            reason: text(rest)?,
        },
        "unban" if rest.is_empty() => AdminCommand::Unban { user: user()? },
        "disable" => AdminCommand::Disable {
            model: tg_kit::callback::model_id(first)?,
            reason: text(rest)?,
        },
        "enable" if rest.is_empty() => AdminCommand::Enable {
            model: tg_kit::callback::model_id(first)?,
        },
        "grant" if matches!(rest, "owner" | "support") => AdminCommand::Grant {
            user: user()?,
            role: rest.to_string(),
        },
        "revoke" if rest.is_empty() => AdminCommand::Revoke { user: user()? },
        "models" => AdminCommand::Models { query: text(args)? },
        "log" => AdminCommand::Log {
            filter: log_filter(first, rest)?,
        },
        "refund" => AdminCommand::Refund {
            payment: user()?,
            reason: text(rest)?,
        },
        "refundjob" => AdminCommand::RefundJob {
            job: user()?,
            reason: text(rest)?,
        },
        "settings" if args.is_empty() => AdminCommand::Settings,
        "set" => {
            let (value, reason) = rest.split_once(char::is_whitespace)?;
            if !ledger::SETTING_KEYS.contains(&first) {
                return None;
            }
            AdminCommand::Set {
                key: first.to_string(),
                value: value.to_string(),
                reason: text(reason.trim())?,
            }
        }
        "broadcast" => AdminCommand::Broadcast {
            segment: crate::broadcast::Segment::parse(first)?,
            text: text(rest).filter(|t| t.chars().count() <= crate::broadcast::MAX_TEXT_CHARS)?,
        },
        "broadcasts" if args.is_empty() => AdminCommand::Broadcasts,
        "free" if args.is_empty() => AdminCommand::Free,
        "free" if matches!(first, "add" | "remove") => {
            let (model, reason) = match rest.split_once(char::is_whitespace) {
                Some((m, r)) => (m, r.trim()),
                None => (rest, ""),
            };
            let model = tg_kit::callback::model_id(model)?;
            let reason = text(reason).unwrap_or_else(|| format!("/free {first} {model}"));
            if first == "add" {
                AdminCommand::FreeAdd { model, reason }
            } else {
                AdminCommand::FreeRemove { model, reason }
            }
        }
        _ => return None,
    })
}

/// The filter of `/log` (`None` inside: no filter; `None` outside: malformed).
fn log_filter(first: &str, rest: &str) -> Option<Option<crate::button::LogFilter>> {
    use crate::button::LogFilter;
    let id = || rest.parse::<i64>().ok().filter(|id| *id > 0);
    Some(Some(match first {
        "" => return Some(None),
        "user" => LogFilter::User(id()?),
        "admin" => LogFilter::Admin(id()?),
        "kind" => LogFilter::Kind(LogFilter::action(rest)?),
        _ => return None,
    }))
}

/// A positive amount of rubles with at most two decimals ("150", "99.50", "99,50").
pub fn rubles(s: &str) -> Option<Money> {
    // Digits and one decimal separator only: no signs, exponents or spaces.
    if !s
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let value: rust_decimal::Decimal = s.replace(',', ".").parse().ok()?;
    let limit = rust_decimal::Decimal::from(10_000_000);
    if value <= rust_decimal::Decimal::ZERO || value > limit {
        return None;
    }
    Money::from_exact(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(
            parse("/models veo 3"),
            Some(Ok(AdminCommand::Models {
                query: "veo 3".into()
            }))
        );
        assert!(matches!(parse("/models"), Some(Err("models"))));
        assert_eq!(parse("/admin"), Some(Ok(AdminCommand::Home)));
        assert_eq!(parse("/admin@kie_bot"), Some(Ok(AdminCommand::Home)));
        assert_eq!(
            parse("/credit 42 99,50 goodwill for a failed run"),
            Some(Ok(AdminCommand::Credit {
                user: 42,
                rub: Money::parse("99.50").unwrap(),
                reason: "goodwill for a failed run".into()
            }))
        );
        assert_eq!(
            parse("/find @Bob"),
            Some(Ok(AdminCommand::Find {
                query: "@Bob".into()
            }))
        );
        assert_eq!(
            parse("/disable flux-2/pro broken upstream"),
            Some(Ok(AdminCommand::Disable {
                model: "flux-2/pro".into(),
                reason: "broken upstream".into()
            }))
        );
        assert_eq!(parse("/start"), None, "not an admin command");
    }

    #[test]
    fn money_and_settings_commands_parse_with_their_arguments() {
        assert_eq!(
            parse("/refund 17 asked in support"),
            Some(Ok(AdminCommand::Refund {
                payment: 17,
                reason: "asked in support".into()
            }))
        );
        assert_eq!(
            parse("/refundjob@kie_bot 42 blurry result"),
            Some(Ok(AdminCommand::RefundJob {
                job: 42,
                reason: "blurry result".into()
            }))
        );
        assert_eq!(parse("/settings"), Some(Ok(AdminCommand::Settings)));
        assert_eq!(
            parse("/set pricing.markup 2.5 summer sale"),
            Some(Ok(AdminCommand::Set {
                key: "pricing.markup".into(),
                value: "2.5".into(),
                reason: "summer sale".into()
            }))
        );
        assert_eq!(
            parse("/set free.models a/b,c/d curated"),
            Some(Ok(AdminCommand::Set {
                key: "free.models".into(),
                value: "a/b,c/d".into(),
                reason: "curated".into()
            }))
        );
        // Pure parsing: a markup below 1 parses; the settings check refuses it (ops).
        assert!(matches!(
            parse("/set pricing.markup 0.5 x"),
            Some(Ok(AdminCommand::Set { .. }))
        ));
        assert_eq!(parse("/free"), Some(Ok(AdminCommand::Free)));
        assert_eq!(
            parse("/free add google/imagen4-fast"),
            Some(Ok(AdminCommand::FreeAdd {
                model: "google/imagen4-fast".into(),
                reason: "/free add google/imagen4-fast".into()
            }))
        );
        assert_eq!(
            parse("/free remove flux-2/pro too dear"),
            Some(Ok(AdminCommand::FreeRemove {
                model: "flux-2/pro".into(),
                reason: "too dear".into()
            }))
        );
        for key in ledger::SETTING_KEYS {
            assert!(
                matches!(parse(&format!("/set {key} 1 why")), Some(Ok(_))),
                "{key}"
            );
        }
    }

    #[test]
    fn malformed_money_and_settings_commands_get_their_usage() {
        for bad in [
            "/refund",
            "/refund 17",
            "/refund x asked",
            "/refund -3 asked",
            "/refund 0 asked",
            "/refundjob",
            "/refundjob 42",
            "/refundjob 4.2 why",
            "/settings extra",
            "/set",
            "/set pricing.markup",
            "/set pricing.markup 3",
            "/set pricing.rounding up why",
            "/set markup 3 why",
            "/free list",
            "/free add",
            "/free add ../x",
            "/free remove",
            "/free delete x/y",
        ] {
            assert!(matches!(parse(bad), Some(Err(_))), "{bad:?}");
        }
        assert_eq!(parse("/refunds 1 x"), None, "not an admin command");
    }

    #[test]
    fn malformed_commands_get_their_usage() {
        for bad in [
            "/credit",
            "/credit 42",
            "/credit 42 10",
            "/credit 42 -10 x",
            "/credit 42 0 x",
            "/credit 42 1.001 x",
            "/credit abc 10 x",
            "/credit -4 10 x",
            "/debit 42 1e3 x",
            "/ban 42",
            "/unban 42 extra",
            "/disable ../x why",
            "/grant 42 king",
            "/find",
        ] {
            assert!(matches!(parse(bad), Some(Err(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_log_takes_one_filter() {
        use crate::button::LogFilter;
        let log = |filter| Some(Ok(AdminCommand::Log { filter }));
        assert_eq!(parse("/log"), log(None));
        assert_eq!(parse("/log@kie_bot"), log(None));
        assert_eq!(
            parse("/log user 700000101"),
            log(Some(LogFilter::User(700_000_101)))
        );
        assert_eq!(
            parse("/log admin 9000001"),
            log(Some(LogFilter::Admin(9_000_001)))
        );
        assert_eq!(
            parse("/log kind admin_view_user"),
            log(Some(LogFilter::Kind("admin_view_user".into())))
        );
        for bad in [
            "/log user",
            "/log user 0",
            "/log user -5",
            "/log user 5 6",
            "/log admin x",
            "/log kind",
            "/log kind Ban",
            "/log kind ban; drop",
            "/log kind a b",
            "/log kind aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "/log everything",
        ] {
            assert_eq!(parse(bad), Some(Err("log")), "{bad:?}");
        }
    }

    #[test]
    fn broadcasts_take_a_segment_and_the_html_text_with_its_lines() {
        use crate::broadcast::{MAX_TEXT_CHARS, Segment};
        let cast = |segment, text: &str| {
            Some(Ok(AdminCommand::Broadcast {
                segment,
                text: text.into(),
            }))
        };
        assert_eq!(
            parse("/broadcast all <b>Sale</b> today"),
            cast(Segment::All, "<b>Sale</b> today")
        );
        assert_eq!(
            parse("/broadcast@kie_bot active30 Hi\n\n<i>two</i> lines "),
            cast(Segment::Active30, "Hi\n\n<i>two</i> lines")
        );
        assert_eq!(parse("/broadcast PAYING x"), cast(Segment::Paying, "x"));
        assert_eq!(parse("/broadcast ru\nПривет"), cast(Segment::Ru, "Привет"));
        assert_eq!(parse("/broadcast en hello"), cast(Segment::En, "hello"));
        let longest = "я".repeat(MAX_TEXT_CHARS);
        assert_eq!(
            parse(&format!("/broadcast all {longest}")),
            cast(Segment::All, &longest)
        );
        assert_eq!(parse("/broadcasts"), Some(Ok(AdminCommand::Broadcasts)));
        let too_long = format!("/broadcast all {longest}я");
        for bad in [
            "/broadcast",
            "/broadcast all",
            "/broadcast all   ",
            "/broadcast everyone hello",
            "/broadcast active hello",
            "/broadcast hello",
            too_long.as_str(),
        ] {
            assert_eq!(parse(bad), Some(Err("broadcast")), "{bad:?}");
        }
        assert_eq!(parse("/broadcasts all"), Some(Err("broadcasts")));
    }
}
