//! Byte sizes written by people: `"25 MB"`, `"10KiB"`, `"512 B"`.
//!
//! Binary units throughout: 1 KB = 1 KiB = 1024 bytes, 1 MB = 1 MiB = 1024 × 1024 bytes. Mail
//! servers and attachment limits are usually quoted that way, and treating "MB" as 10^6 would
//! silently make a limit about 5 % smaller than the person meant.

/// Why a size string was rejected. The messages never repeat the input (it came from a
/// configuration file, which may hold secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("expected a whole number of bytes, optionally followed by a unit ({UNITS_HELP})")]
    NoNumber,
    #[error("fractions are not supported; use a smaller unit ({UNITS_HELP})")]
    Fraction,
    #[error("unknown unit; expected one of {UNITS_HELP}")]
    UnknownUnit,
    #[error("must be greater than 0")]
    Zero,
    #[error("too large")]
    TooLarge,
}

const UNITS_HELP: &str = "B, KB, MB, GB, KiB, MiB, GiB; 1 KB = 1024 B";

/// Parses a size such as `"25 MB"` into bytes. Units are case-insensitive; a bare number is
/// bytes.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let text = text.trim();
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, rest) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(SizeError::NoNumber);
    }
    if rest.starts_with(['.', ',']) {
        return Err(SizeError::Fraction);
    }
    let multiplier = unit_multiplier(rest.trim_start()).ok_or(SizeError::UnknownUnit)?;
    // Only digits remain, so the sole failure is overflow.
    let number: u64 = digits.parse().map_err(|_| SizeError::TooLarge)?;
    if number == 0 {
        return Err(SizeError::Zero);
    }
    number.checked_mul(multiplier).ok_or(SizeError::TooLarge)
}

fn unit_multiplier(unit: &str) -> Option<u64> {
    const UNITS: [(&str, u64); 8] = [
        ("", 1),
        ("b", 1),
        ("kb", 1 << 10),
        ("mb", 1 << 20),
        ("gb", 1 << 30),
        ("kib", 1 << 10),
        ("mib", 1 << 20),
        ("gib", 1 << 30),
    ];
    let unit = unit.to_ascii_lowercase();
    UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|&(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_size("25 MB"), Ok(25 * 1024 * 1024));
        assert_eq!(parse_size("10KiB"), Ok(10 * 1024));
        assert_eq!(parse_size("10 kb"), Ok(10 * 1024));
        assert_eq!(parse_size("1 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_size("512 B"), Ok(512));
        assert_eq!(parse_size("1048576"), Ok(1_048_576));
        assert_eq!(parse_size(" 3 MiB "), Ok(3 << 20));
    }

    #[test]
    fn rejects() {
        assert_eq!(parse_size(""), Err(SizeError::NoNumber));
        assert_eq!(parse_size("MB"), Err(SizeError::NoNumber));
        assert_eq!(parse_size("-1 MB"), Err(SizeError::NoNumber));
        assert_eq!(parse_size("1.5 MB"), Err(SizeError::Fraction));
        assert_eq!(parse_size("10 TB"), Err(SizeError::UnknownUnit));
        assert_eq!(parse_size("10 M B"), Err(SizeError::UnknownUnit));
        assert_eq!(parse_size("0 MB"), Err(SizeError::Zero));
        assert_eq!(parse_size("0"), Err(SizeError::Zero));
        assert_eq!(parse_size("99999999999999999999"), Err(SizeError::TooLarge));
        assert_eq!(parse_size("99999999999 GB"), Err(SizeError::TooLarge));
    }
}
