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
}

/// Every admin command's name (a non-admin who sends one gets the user interface's answer to
/// an unknown command).
pub const NAMES: [&str; 10] = [
    "admin", "find", "credit", "debit", "ban", "unban", "disable", "enable", "grant", "revoke",
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
        _ => return None,
    })
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
}
