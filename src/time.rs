//! Timestamps: whole seconds since the Unix epoch, read from and written as RFC 3339.
//!
//! NOTE: no `std::time` here: on wasm32 the clock comes from the caller (`now`) or from
//! `Date.now()` in the binding, so the engine itself stays deterministic and testable.

use std::fmt;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Timestamp(i64);

/// Seconds in one day.
pub const DAY: i64 = 86_400;

/// How far a caller's clock may be behind a snapshot's `issued_at` (five minutes): further
/// behind, a bundle is refused at load and requests are denied `bundle_not_yet_valid`.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

impl Timestamp {
    /// Parses an RFC 3339 date-time (`2026-11-22T10:00:00Z`, `2026-11-22T12:00:00.5+02:00`).
    /// Fractions of a second are dropped.
    ///
    /// # Examples
    /// ```
    /// use scopegate::Timestamp;
    /// assert_eq!(Timestamp::parse("1970-01-02T00:00:00Z"), Some(Timestamp::from_unix_seconds(86_400)));
    /// assert_eq!(Timestamp::parse("tomorrow"), None);
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() < 20 || !text.is_ascii() {
            return None;
        }
        // NOTE: digits read byte by byte, not by `str::parse` on slices: a million-token state
        // has three times a million of these, and this is the state reader's only time parser.
        let num = |from: usize, to: usize| -> Option<i64> {
            b.get(from..to)?.iter().try_fold(0i64, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
        };
        let sep = |at: usize, allowed: &[u8]| b.get(at).is_some_and(|c| allowed.contains(c));
        if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        // 60 is a leap second; it folds onto the next second like most clocks do.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut rest = text.get(19..)?;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = frac.get(digits..)?;
        }
        let offset = match rest {
            "Z" | "z" => 0,
            _ => {
                let rb = rest.as_bytes();
                let sign = match rb.first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                if rb.len() != 6 || rb.get(3) != Some(&b':') {
                    return None;
                }
                let oh = num(text.len() - 5, text.len() - 3)?;
                let om = num(text.len() - 2, text.len())?;
                if oh > 23 || om > 59 {
                    return None;
                }
                sign * (oh * 3600 + om * 60)
            }
        };
        let days = days_from_civil(year, month, day);
        Some(Timestamp(days * DAY + hour * 3600 + minute * 60 + second - offset))
    }

    /// Milliseconds since the epoch (as JavaScript's `Date.now()`) to a timestamp.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn from_millis(ms: f64) -> Option<Timestamp> {
        if !ms.is_finite() || ms.abs() > 8.64e15 {
            return None;
        }
        #[expect(clippy::cast_possible_truncation, reason = "bounded by the check above")]
        Some(Timestamp((ms / 1000.0).floor() as i64))
    }

    /// The time `seconds` after the epoch (before it, if negative).
    ///
    /// # Examples
    /// ```
    /// use scopegate::Timestamp;
    /// let t = Timestamp::from_unix_seconds(86_400);
    /// assert_eq!(t.to_string(), "1970-01-02T00:00:00Z");
    /// assert_eq!(t.unix_seconds(), 86_400);
    /// ```
    #[must_use]
    pub const fn from_unix_seconds(seconds: i64) -> Timestamp {
        Timestamp(seconds)
    }

    /// Seconds since the epoch.
    #[must_use]
    pub const fn unix_seconds(self) -> i64 {
        self.0
    }

    /// This time plus `seconds` (minus, if negative), saturating.
    ///
    /// # Examples
    /// ```
    /// use scopegate::Timestamp;
    /// let t = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
    /// assert_eq!(t.plus(3600).to_string(), "2026-11-22T11:00:00Z");
    /// assert_eq!(t.plus(-300).to_string(), "2026-11-22T09:55:00Z");
    /// ```
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }

    /// This time plus `seconds`, or `None` past the range of the clock.
    #[must_use]
    #[cfg_attr(scopegate_speed, optimize(speed))]
    pub fn checked_plus(self, seconds: i64) -> Option<Timestamp> {
        self.0.checked_add(seconds).map(Timestamp)
    }

    /// This time plus `days` whole days, saturating.
    #[must_use]
    pub fn plus_days(self, days: i64) -> Timestamp {
        self.plus(days.saturating_mul(DAY))
    }

    /// Seconds from `earlier` to this time (negative if `earlier` is later), saturating.
    ///
    /// # Examples
    /// ```
    /// use scopegate::Timestamp;
    /// let (a, b) = (Timestamp::parse("2026-11-22T10:00:00Z").unwrap(), Timestamp::parse("2026-11-23T10:00:00Z").unwrap());
    /// assert_eq!(b.seconds_since(a), 86_400);
    /// assert_eq!(a.seconds_since(b), -86_400);
    /// ```
    #[must_use]
    pub fn seconds_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Seconds from `earlier` to this time, or `None` when the difference does not fit.
    #[must_use]
    pub fn checked_seconds_since(self, earlier: Timestamp) -> Option<i64> {
        self.0.checked_sub(earlier.0)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, whole seconds: `2026-11-22T10:00:00Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(DAY);
        let secs = self.0.rem_euclid(DAY);
        let (y, m, d) = civil_from_days(days);
        write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's civil-date algorithms: exact over the whole proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in ["2026-11-22T10:00:00Z", "1999-12-31T23:59:59Z", "2024-02-29T00:00:00Z"] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.to_string(), text);
        }
    }

    #[test]
    fn offsets_and_fractions() {
        let a = Timestamp::parse("2026-11-22T12:00:00.123+02:00").unwrap();
        assert_eq!(a, Timestamp::parse("2026-11-22T10:00:00Z").unwrap());
        let b = Timestamp::parse("2026-11-22T05:30:00-04:30").unwrap();
        assert_eq!(b, Timestamp::parse("2026-11-22T10:00:00Z").unwrap());
    }

    #[test]
    fn rejects_nonsense() {
        for text in [
            "tomorrow",
            "2026-02-30T00:00:00Z",
            "2026-11-22",
            "2026-11-22T10:00:00",
            "2026-11-22T25:00:00Z",
            "2026-11-22T10:00:00+2:00",
            "2026-11-22T10:00:00.Z",
            "２026-11-22T10:00:00Z",
        ] {
            assert_eq!(Timestamp::parse(text), None, "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back(secs in -62_135_596_800i64..253_402_300_799) {
            let t = Timestamp(secs);
            proptest::prop_assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = Timestamp::parse(&text);
        }
    }
}
