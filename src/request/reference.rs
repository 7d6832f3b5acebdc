//! A request's human reference, `DR-2026-000123`: the year the request arrived and its number
//! within that year. Used in replies' subjects and by people; it reveals nothing personal.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub year: i32,
    pub number: u32,
}

/// The largest number a year can hold in six digits.
pub const MAX_NUMBER: u32 = 999_999;

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DR-{:04}-{:06}", self.year, self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a request reference (expected DR-YYYY-NNNNNN)")]
pub struct BadReference;

impl FromStr for Reference {
    type Err = BadReference;

    /// Accepts any letter case and surrounding brackets or spaces, as people copy it from a
    /// subject line: `[dr-2026-000123]`.
    fn from_str(s: &str) -> Result<Reference, BadReference> {
        let s = s.trim().trim_start_matches('[').trim_end_matches(']');
        let rest = s
            .get(..3)
            .filter(|p| p.eq_ignore_ascii_case("DR-"))
            .map(|_| &s[3..])
            .ok_or(BadReference)?;
        let (year, number) = rest.split_once('-').ok_or(BadReference)?;
        let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(number, 6) {
            return Err(BadReference);
        }
        let number: u32 = number.parse().map_err(|_| BadReference)?;
        if number == 0 {
            return Err(BadReference);
        }
        Ok(Reference {
            year: year.parse().map_err(|_| BadReference)?,
            number,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_and_parses_back() {
        let r = Reference {
            year: 2026,
            number: 123,
        };
        assert_eq!(r.to_string(), "DR-2026-000123");
        assert_eq!("DR-2026-000123".parse(), Ok(r));
        assert_eq!(" [dr-2026-000123] ".parse(), Ok(r));
    }

    #[test]
    fn rejects_what_is_not_a_reference() {
        for bad in [
            "",
            "DR-2026-123",
            "DR-26-000123",
            "DR-2026-0001234",
            "DR-2026-000000",
            "XR-2026-000123",
            "DR-2026-00012a",
            "DR-2026_000123",
            "DRé2026-000123",
        ] {
            assert_eq!(bad.parse::<Reference>(), Err(BadReference), "{bad}");
        }
    }
}
