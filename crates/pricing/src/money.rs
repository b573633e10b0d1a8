//! [`Money`]: an amount of rubles with exactly two decimal places.

use std::fmt;
use std::ops::{Add, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An amount of rubles, always held at two decimal places (kopecks).
///
/// Construction rounds explicitly: [`Money::ceil`] for prices (never below cost),
/// [`Money::floor`] for credits (never more than paid for). Serialises as a decimal string.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(#[serde(with = "crate::decimal_str")] Decimal);

impl Money {
    /// Zero rubles.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Rounds `rubles` up to the next kopeck (a price is never below its cost).
    pub fn ceil(rubles: Decimal) -> Money {
        Money(
            rubles
                .round_dp_with_strategy(2, RoundingStrategy::ToPositiveInfinity)
                .normalize_to_2dp(),
        )
    }

    /// Rounds `rubles` down to the kopeck (a credit never exceeds what was paid).
    pub fn floor(rubles: Decimal) -> Money {
        Money(
            rubles
                .round_dp_with_strategy(2, RoundingStrategy::ToNegativeInfinity)
                .normalize_to_2dp(),
        )
    }

    /// Exactly `kopecks` / 100 rubles.
    pub fn from_kopecks(kopecks: i64) -> Money {
        Money(Decimal::new(kopecks, 2))
    }

    /// Parses a non-negative ruble amount with at most two decimal places ("12", "12.5",
    /// "12,50"). Returns `None` for anything else: signs, exponents, sub-kopeck precision.
    pub fn parse(s: &str) -> Option<Money> {
        let s = s.trim().replace(',', ".");
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || int.len() > 15 || !digits(int) || frac.len() > 2 || !digits(frac) {
            return None;
        }
        if s.ends_with('.') {
            return None;
        }
        let d: Decimal = s.parse().ok()?;
        Some(Money(d.normalize_to_2dp()))
    }

    /// Exactly `rubles`, if it has no more than two decimal places (a NUMERIC(14,2) read back
    /// from the database, say); `None` rather than rounding anything away.
    pub fn from_exact(rubles: Decimal) -> Option<Money> {
        (rubles.normalize().scale() <= 2).then(|| Money(rubles.normalize_to_2dp()))
    }

    /// The amount as a decimal number of rubles (scale 2).
    pub fn amount(self) -> Decimal {
        self.0
    }

    /// The amount in kopecks.
    pub fn kopecks(self) -> i64 {
        let k = self.0 * Decimal::ONE_HUNDRED;
        i64::try_from(k).expect("money fits i64 kopecks")
    }

    /// True if and only if the amount is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// True if and only if the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// `self - other`, or `None` if that would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        (self.0 >= other.0).then(|| Money(self.0 - other.0))
    }
}

/// A decimal amount with more than two decimal places, refused as [`Money`] rather than rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} rubles has more than two decimal places")]
pub struct SubKopeckAmount(pub Decimal);

impl TryFrom<Decimal> for Money {
    type Error = SubKopeckAmount;
    /// Exactly as [`Money::from_exact`]: used where a NUMERIC(14,2) column is read back.
    fn try_from(rubles: Decimal) -> Result<Money, SubKopeckAmount> {
        Money::from_exact(rubles).ok_or(SubKopeckAmount(rubles))
    }
}

trait To2dp {
    fn normalize_to_2dp(self) -> Decimal;
}
impl To2dp for Decimal {
    fn normalize_to_2dp(mut self) -> Decimal {
        // Callers have rounded already; this only pads "5" to "5.00" so Display is uniform.
        self.rescale(2);
        self
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl fmt::Display for Money {
    /// Plain "1234.50": grouping and the ₽ sign are the UI's business.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ceil_never_rounds_down() {
        assert_eq!(Money::ceil(dec!(0.001)).amount(), dec!(0.01));
        assert_eq!(Money::ceil(dec!(3.8)).to_string(), "3.80");
        assert_eq!(Money::ceil(dec!(0.125)).amount(), dec!(0.13));
        assert_eq!(Money::ceil(dec!(2.00000001)).amount(), dec!(2.01));
    }

    #[test]
    fn from_exact_refuses_sub_kopeck_amounts() {
        assert_eq!(Money::from_exact(dec!(12.5)).unwrap().to_string(), "12.50");
        assert_eq!(
            Money::from_exact(dec!(12.500000)).unwrap().to_string(),
            "12.50"
        );
        assert_eq!(Money::from_exact(dec!(-3)).unwrap().to_string(), "-3.00");
        assert_eq!(Money::from_exact(dec!(0.125)), None);
    }

    #[test]
    fn floor_never_rounds_up() {
        assert_eq!(Money::floor(dec!(1.999)).amount(), dec!(1.99));
        assert_eq!(Money::floor(dec!(5)).to_string(), "5.00");
    }

    #[test]
    fn parse_refuses_sub_kopeck_precision_and_junk() {
        assert_eq!(Money::parse("12.5"), Some(Money::from_kopecks(1250)));
        assert_eq!(Money::parse("12.505"), None);
        assert_eq!(Money::parse("1e3"), None);
        assert_eq!(Money::parse("abc"), None);
        assert_eq!(Money::parse("-5"), None);
        assert_eq!(Money::parse("12,50"), Some(Money::from_kopecks(1250)));
    }

    #[test]
    fn checked_sub_refuses_to_go_negative() {
        let a = Money::from_kopecks(100);
        assert_eq!(a.checked_sub(Money::from_kopecks(101)), None);
        assert_eq!(a.checked_sub(a), Some(Money::ZERO));
    }
}
