//! Phone numbers as people write them ("050-3672 541", "(09) 123 4567", "+358 40 757 1241"),
//! validated with libphonenumber's data and given in E.164. Finland is the default region.

use phonenumber::{country, Mode};
use regex::Regex;
use std::sync::LazyLock;

static CANDIDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+|(?-u:\b)00)\d[\d \-\(\)\./]{5,20}\d|\(?(?-u:\b)0\d{1,3}\)?[ \-\./]?\d[\d \-\./]{3,14}\d")
        .expect("static regex")
});

/// Phone-like runs validated per text.
const MAX_CANDIDATES: usize = 256;

/// A phone number found in text.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneMention {
    pub start: usize,
    pub end: usize,
    /// E.164 when valid.
    pub e164: Option<String>,
}

impl std::fmt::Debug for PhoneMention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhoneMention")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("valid", &self.e164.is_some())
            .finish()
    }
}

/// The number in E.164 when `written` is a valid phone number (Finland assumed without a
/// country code).
pub fn to_e164(written: &str) -> Option<String> {
    let digits: String = written
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if digits.len() < 6 || digits.len() > 16 {
        return None;
    }
    let digits = match digits.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => digits,
    };
    // Most numbers are Finnish: decide those from the numbering plan directly, which is far
    // cheaper than parsing with libphonenumber (used for everything else).
    let national = digits
        .strip_prefix("+358")
        .map(|n| n.strip_prefix('0').unwrap_or(n))
        .or_else(|| digits.strip_prefix('0').filter(|n| !n.starts_with('0')));
    if let Some(nsn) = national {
        if plausible_finnish_nsn(nsn) {
            return Some(format!("+358{nsn}"));
        }
    }
    let number = phonenumber::parse(Some(country::Id::FI), &digits).ok()?;
    if !phonenumber::is_valid(&number) && !plausible_finnish(&number) {
        return None;
    }
    Some(number.format().mode(Mode::E164).to_string())
}

/// libphonenumber's Finnish fixed-line patterns reject many real subscriber ranges (an 09
/// number whose subscriber part starts with 9, say). A Finnish number is taken as valid when
/// it has a real area or mobile prefix and a length Finnish numbers have.
fn plausible_finnish(number: &phonenumber::PhoneNumber) -> bool {
    if number.code().value() != 358 {
        return false;
    }
    plausible_finnish_nsn(&number.national().value().to_string())
}

/// The national significant number (no trunk 0) of a plausible Finnish number.
fn plausible_finnish_nsn(nsn: &str) -> bool {
    if !nsn.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let prefix_ok = matches!(
        nsn.as_bytes().first(),
        Some(b'2' | b'3' | b'5' | b'6' | b'8' | b'9')
    ) || matches!(
        nsn.get(..2),
        Some("13" | "14" | "15" | "16" | "17" | "18" | "19")
    ) || matches!(
        nsn.get(..2),
        Some("40" | "41" | "42" | "43" | "44" | "45" | "46" | "50")
    );
    prefix_ok && (6..=10).contains(&nsn.len())
}

/// Phone-like digit runs in `text`, in order, each validated. `skip` lists byte ranges that are
/// already something else (identity codes, year ranges).
pub fn phone_mentions(text: &str, skip: &[(usize, usize)]) -> Vec<PhoneMention> {
    let skip = super::spans::SpanSet::new(skip.to_vec());
    let mut out = Vec::new();
    // Validating a number is the costly part; a text with more candidates than any request
    // has is not read further (bounded time on hostile input).
    for m in CANDIDATE.find_iter(text).take(MAX_CANDIDATES) {
        if skip.overlaps(m.start(), m.end()) {
            continue;
        }
        let written = m.as_str();
        // Greedy runs may swallow a following number group; try shorter prefixes too.
        let mut e164 = to_e164(written);
        let mut end = m.end();
        if e164.is_none() {
            let mut cut = written.trim_end();
            while let Some(i) = cut.rfind([' ', '-', '/', '.']) {
                cut = cut[..i].trim_end();
                if let Some(v) = to_e164(cut) {
                    e164 = Some(v);
                    end = m.start() + cut.len();
                    break;
                }
            }
        }
        out.push(PhoneMention {
            start: m.start(),
            end,
            e164,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finnish_writings_become_e164() {
        for w in [
            "050-3672 541",
            "050 3672 541",
            "0503672541",
            "+358 50 3672541",
            "+358-50-367 2541",
            "+358503672541",
            "00358 50 3672541",
        ] {
            assert_eq!(to_e164(w).as_deref(), Some("+358503672541"), "{w}");
        }
        assert_eq!(to_e164("(09) 123 4567").as_deref(), Some("+35891234567"));
        assert_eq!(to_e164("12345"), None);
        assert_eq!(to_e164("(09) 951 4922").as_deref(), Some("+35899514922"));
        assert_eq!(to_e164("08-923790").as_deref(), Some("+3588923790"));
        assert_eq!(to_e164("(017) 973 559").as_deref(), Some("+35817973559"));
        assert_eq!(to_e164("0123 456"), None);
    }

    #[test]
    fn found_in_text_but_not_in_codes() {
        let t = "puh. 040-757 1241, henkilötunnus 131052-308T";
        let found = phone_mentions(t, &[(t.find("1310").unwrap(), t.len())]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].e164.as_deref(), Some("+358407571241"));
    }
}
