//! Ids and the closed sets of values the tables store as text (states, kinds, roles).
//!
//! Each enum's text form is exactly the value its table's CHECK constraint allows.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub struct $name(pub i64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
        impl From<i64> for $name {
            fn from(v: i64) -> Self {
                $name(v)
            }
        }
    };
}

id_type!(
    /// A Telegram user id (also the id of the user's account).
    UserId
);
id_type!(
    /// A generation job.
    JobId
);
id_type!(
    /// A hold of money for one job.
    HoldId
);
id_type!(
    /// A Telegram Stars payment.
    PaymentId
);
id_type!(
    /// A ledger entry.
    EntryId
);

/// A text value from the database that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} {value:?}")]
pub struct UnknownValue {
    /// What was being read ("job state", …).
    pub kind: &'static str,
    /// The value found.
    pub value: String,
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The text stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { kind: $what, value: s.to_string() }),
                }
            }
        }
        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(s: String) -> Result<Self, UnknownValue> {
                s.parse()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a generation job is. Money moves only on the way into `Held` and into a final state.
    JobState, "job state" {
        /// Written, nothing held yet.
        Created = "created",
        /// Money held (or a free run taken); waiting for a worker.
        Held = "held",
        /// A worker is calling createTask (recorded before the call).
        Submitting = "submitting",
        /// Kie accepted the task (the task id is recorded).
        Submitted = "submitted",
        /// Kie reports the task as generating.
        Running = "running",
        /// Kie succeeded; the hold is committed.
        Succeeded = "succeeded",
        /// The result reached the user.
        Delivered = "delivered",
        /// Kie or the pipeline failed; the hold is released.
        Failed = "failed",
        /// The user cancelled; the hold is released.
        Cancelled = "cancelled",
        /// The deadline or the hold's expiry passed; the hold is released.
        Expired = "expired",
    }
);

impl JobState {
    /// True if and only if the job has ended (no money can move for it any more).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobState::Succeeded
                | JobState::Delivered
                | JobState::Failed
                | JobState::Cancelled
                | JobState::Expired
        )
    }
}

text_enum!(
    /// The state of a hold: open, or ended exactly once.
    HoldState, "hold state" {
        /// Money is held.
        Open = "open",
        /// Charged: the job succeeded.
        Committed = "committed",
        /// Returned to available: the job failed or was cancelled.
        Released = "released",
        /// Returned to available: the hold expired.
        Expired = "expired",
    }
);

text_enum!(
    /// What a ledger entry did.
    EntryKind, "entry kind" {
        /// A Telegram Stars payment credited.
        TopUpStars = "topup_stars",
        /// A Stars payment refunded (debited).
        RefundStars = "refund_stars",
        /// Money moved from available to held for a job.
        Hold = "hold",
        /// Held money charged.
        Commit = "commit",
        /// Held money returned to available.
        Release = "release",
        /// Held money returned to available because the hold expired.
        Expire = "expire",
        /// An admin credited the account.
        AdjustCredit = "adjust_credit",
        /// An admin debited the account.
        AdjustDebit = "adjust_debit",
        /// A promo or bonus credit.
        Bonus = "bonus",
    }
);

text_enum!(
    /// A user's role.
    Role, "role" {
        /// Everyone.
        User = "user",
        /// May open /admin.
        Admin = "admin",
    }
);

text_enum!(
    /// The language the bot speaks to a user in.
    Language, "language" {
        /// Russian (the default).
        Ru = "ru",
        /// English.
        En = "en",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_round_trip() {
        for s in JobState::ALL {
            assert_eq!(s.as_str().parse::<JobState>(), Ok(*s));
        }
        for k in EntryKind::ALL {
            assert_eq!(k.as_str().parse::<EntryKind>(), Ok(*k));
        }
        assert!("charged".parse::<HoldState>().is_err());
    }
}
