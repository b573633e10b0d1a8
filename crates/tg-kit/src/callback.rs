//! Callback data: each branch of the handler tree owns a prefix, and every button's data is its
//! branch's prefix plus a body, at most 64 bytes in all (Telegram's limit; longer data makes
//! Telegram refuse the whole message). The user interface has the empty prefix and never
//! produces data that begins with another branch's prefix (its tests check that).
//!
//! Data carries ids, never authority: handlers re-check who pressed and whether the thing is
//! still theirs. This module must never look anything up.

/// Telegram's limit on callback data.
pub const MAX_CALLBACK_BYTES: usize = 64;

/// The callback data of one branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codec {
    /// What the branch's data begins with.
    pub prefix: &'static str,
}

/// The user interface: screens, the wizard, jobs, top-ups.
pub const USER: Codec = Codec { prefix: "" };
/// The admin panel.
pub const ADMIN: Codec = Codec { prefix: "a:" };
/// Every branch with a non-empty prefix (the user interface takes what none of them owns).
pub const PREFIXED: [Codec; 1] = [ADMIN];

impl Codec {
    /// `body` with this branch's prefix (debug builds refuse data over the limit: every
    /// encoder's tests cover its longest data).
    pub fn encode(&self, body: &str) -> String {
        let data = format!("{}{body}", self.prefix);
        debug_assert!(
            data.len() <= MAX_CALLBACK_BYTES,
            "callback data too long: {data}"
        );
        data
    }

    /// The body of data this branch owns and that fits the limit.
    pub fn decode<'a>(&self, data: &'a str) -> Option<&'a str> {
        if data.len() > MAX_CALLBACK_BYTES {
            return None;
        }
        data.strip_prefix(self.prefix)
    }

    /// True when the data begins with this branch's prefix.
    pub fn owns(&self, data: &str) -> bool {
        data.starts_with(self.prefix)
    }
}

/// True when `data` belongs to no prefixed branch (so the user interface may read it).
pub fn is_user_data(data: &str) -> bool {
    !PREFIXED.iter().any(|c| c.owns(data))
}

/// Digits only (no sign, no spaces, no leading "+"), parsed into the field's type.
pub fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// A model id as the catalog allows them (no path tricks, no spaces).
pub fn model_id(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= catalog::MAX_MODEL_ID_BYTES
        && !s.contains("..")
        && !s.starts_with('/')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    ok.then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_reads_only_its_own_data() {
        assert_eq!(ADMIN.decode("a:u:5"), Some("u:5"));
        assert_eq!(ADMIN.decode("m"), None);
        assert_eq!(ADMIN.decode(&format!("a:{}", "x".repeat(63))), None);
        assert!(is_user_data("m") && !is_user_data("a:h"));
    }

    #[test]
    fn numbers_and_model_ids_are_strict() {
        assert_eq!(number::<u32>("42"), Some(42));
        for bad in ["", "+1", "-1", " 1", "1.5", "99999999999"] {
            assert_eq!(number::<u32>(bad), None, "{bad}");
        }
        assert!(model_id("flux-2/pro-text-to-image").is_some());
        for bad in ["", "../x", "/x", "a b", "a<b"] {
            assert_eq!(model_id(bad), None, "{bad}");
        }
    }
}
