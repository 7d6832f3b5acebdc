//! The Finnish personal identity code (henkilötunnus, `DDMMYYCZZZQ`): when a written code is
//! valid, how what people write is made canonical, and how codes are found in free text.
//!
//! This module never repairs a code: a letter O stays a letter O and a wrong check character
//! stays wrong, because a "repaired" code may well be somebody else's. Normalisation only undoes
//! differences of typing (case, spacing, dash and fullwidth variants).
//!
//! It never prints a code either: codes are personal data and end up in logs through `Debug`
//! and `Display`, so every type here that holds one redacts it there. The only way to read a
//! code is [`PersonalId::expose`], named so that each place that does it stands out.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Indexed by `DDMMYYZZZ mod 31`; the letters that look like digits (G, I, O, Q, Z) are left out
/// so that a misread check character is not another valid one.
const CHECK_ALPHABET: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

const REDACTED: &str = "[redacted]";

/// A valid personal identity code in canonical form. There is no way to build one except
/// [`PersonalId::parse`], so holding one means the code has passed every check.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonalId(String);

impl PersonalId {
    /// Normalises what was written (see [`normalise`]) and accepts it only if the result is a
    /// valid code.
    pub fn parse(written: &str) -> Result<PersonalId, InvalidPersonalId> {
        Self::from_normalised(normalise(written))
    }

    fn from_normalised(normalised: String) -> Result<PersonalId, InvalidPersonalId> {
        match classify(&normalised) {
            Ok(()) => Ok(PersonalId(normalised)),
            Err(reason) => Err(InvalidPersonalId { normalised, reason }),
        }
    }

    /// The canonical 11-character code. This is personal data: pass it on only where the code
    /// itself is needed, never to logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The birth date as (year, month, day), with the year's century taken from the century
    /// sign. For temporary codes (individual number 900–999) the date is as written, which is
    /// not necessarily a real birth date.
    pub fn birth_date(&self) -> (i32, u32, u32) {
        // Indexing cannot fail: a `PersonalId` only exists for a validated 11-byte ASCII code.
        let b = self.0.as_bytes();
        let day = number(&b[0..2]) as u32;
        let month = number(&b[2..4]) as u32;
        let year = century(b[6]).unwrap_or(1900) + number(&b[4..6]) as i32;
        (year, month, day)
    }
}

impl fmt::Debug for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonalId({REDACTED})")
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl FromStr for PersonalId {
    type Err = InvalidPersonalId;

    fn from_str(written: &str) -> Result<Self, Self::Err> {
        PersonalId::parse(written)
    }
}

/// Why a code is invalid. When several apply, the first in this order is reported, so that the
/// reason points at the most basic thing to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidReason {
    /// Wrong length, a character that cannot stand where it stands, or individual number
    /// 000/001 (never issued).
    Format,
    /// The date does not exist.
    Date,
    /// The check character does not match.
    Checksum,
}

impl InvalidReason {
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidReason::Format => "format",
            InvalidReason::Date => "date",
            InvalidReason::Checksum => "checksum",
        }
    }
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rejected code. `normalised` is kept so that a person can be shown what was understood, but
/// an invalid code is still personal data, so neither `Debug` nor `Display` shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct InvalidPersonalId {
    pub normalised: String,
    pub reason: InvalidReason,
}

impl fmt::Debug for InvalidPersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvalidPersonalId")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for InvalidPersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid personal identity code: {}", self.reason)
    }
}

impl std::error::Error for InvalidPersonalId {}

/// The check character for the nine digits `DDMMYYZZZ` read as one number.
pub fn check_character(ddmmyyzzz: u64) -> char {
    char::from(CHECK_ALPHABET[(ddmmyyzzz % 31) as usize])
}

/// Makes what people write canonical without repairing it: upper case, no whitespace at all,
/// typographic dashes and minus signs as `-`, fullwidth digits and letters as ASCII. Anything
/// else is kept as it is, so that it fails validation rather than being guessed at.
pub fn normalise(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    for c in written.chars() {
        match fold(c) {
            None => {}
            Some(f) if f.is_ascii() => out.push(f),
            Some(f) => {
                // Upper-casing some non-ASCII letters yields ASCII (ı → I, ſ → S): that would
                // turn a foreign letter into a code character, which is a repair.
                if f.to_uppercase().any(|u| u.is_ascii()) {
                    out.push(f);
                } else {
                    out.extend(f.to_uppercase());
                }
            }
        }
    }
    out
}

/// Something in free text that looks like a personal identity code somebody wrote, valid or not.
/// `Debug` shows only the offsets and the outcome.
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Byte offset of the first character in the scanned text.
    pub start: usize,
    /// Byte offset just past the last character in the scanned text.
    pub end: usize,
    pub normalised: String,
    pub result: Result<PersonalId, InvalidReason>,
}

impl fmt::Debug for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Candidate")
            .field("start", &self.start)
            .field("end", &self.end)
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}

/// Finds, in reading order, what looks like a personal identity code: six digits, a century
/// sign, three digits and a check character, standing on its own (not inside a longer token
/// such as an account or phone number). A single space is tolerated on either side of a `-` or
/// `+` sign. Up to two letters that people type for digits (O, o, I, l) are tolerated so that
/// such attempts are reported as invalid (`format`) instead of being silently missed.
///
/// Runs in linear time: each position is tried against a window of at most 15 characters.
pub fn find_candidates(text: &str) -> Vec<Candidate> {
    // A code has at least seven digits (nine, two of which may be look-alike letters); text
    // with fewer ASCII digits and no fullwidth forms (UTF-8 lead byte 0xEF) holds none, and
    // most label values and sentences are like that.
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() < 7 && !bytes.contains(&0xEF) {
        return Vec::new();
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(end) = match_at(&chars, i) else {
            i += 1;
            continue;
        };
        let start_byte = chars[i].0;
        let end_byte = chars.get(end).map_or(text.len(), |&(b, _)| b);
        let normalised = normalise(text.get(start_byte..end_byte).unwrap_or_default());
        let result = PersonalId::from_normalised(normalised.clone()).map_err(|e| e.reason);
        found.push(Candidate {
            start: start_byte,
            end: end_byte,
            normalised,
            result,
        });
        i = end;
    }
    found
}

/// At most this many digit look-alikes in one candidate; more and it is probably a word.
const MAX_LOOKALIKES: usize = 2;

/// The character index just past a candidate starting at `i`, if there is one.
fn match_at(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let at = |k: usize| chars.get(k).map(|&(_, c)| c);
    let is_digit = |k: usize| at(k).and_then(fold).is_some_and(|f| f.is_ascii_digit());

    if let Some(before) = i.checked_sub(1).and_then(at) {
        if before.is_alphanumeric() {
            return None;
        }
        // `040-131052-308T`, `1.131052-308T`: the tail of a longer number, not a code.
        if joins_numbers(before) && i.checked_sub(2).is_some_and(is_digit) {
            return None;
        }
    }

    let mut k = i;
    let mut lookalikes = 0;
    for _ in 0..6 {
        lookalikes += digitish(at(k)?)?;
        k += 1;
    }

    let sign_at = if at(k).is_some_and(is_gap) { k + 1 } else { k };
    let sign = at(sign_at).and_then(fold)?;
    let symbol = matches!(sign, '-' | '+');
    if !symbol && !matches!(sign, 'Y' | 'X' | 'W' | 'V' | 'U' | 'A'..='F') {
        return None;
    }
    // Spaces around a letter sign would let ordinary prose ("123456 a 1234") through; one
    // space before an upper-case sign glued to the rest ("050304 A163X") is how some type it.
    if sign_at != k
        && !symbol
        && (!at(sign_at).is_some_and(|c| c.is_uppercase()) || at(sign_at + 1).is_some_and(is_gap))
    {
        return None;
    }
    k = sign_at + 1;
    if symbol && at(k).is_some_and(is_gap) {
        k += 1;
    }

    for _ in 0..3 {
        lookalikes += digitish(at(k)?)?;
        k += 1;
    }
    if !at(k).and_then(fold)?.is_ascii_alphanumeric() {
        return None;
    }
    k += 1;

    if lookalikes > MAX_LOOKALIKES {
        return None;
    }
    if let Some(after) = at(k) {
        if after.is_alphanumeric() {
            return None;
        }
        if joins_numbers(after) && is_digit(k + 1) {
            return None;
        }
    }
    Some(k)
}

/// `Some(0)` for a digit, `Some(1)` for a letter people type in place of one, `None` otherwise.
fn digitish(c: char) -> Option<usize> {
    if fold(c).is_some_and(|f| f.is_ascii_digit()) {
        Some(0)
    } else if matches!(c, 'O' | 'o' | 'I' | 'l') {
        Some(1)
    } else {
        None
    }
}

fn joins_numbers(c: char) -> bool {
    matches!(fold(c), Some('-' | '.' | '/'))
}

/// Whitespace that may separate the parts of a code on one line. Line breaks are not included:
/// a code split over lines is too uncertain to pick out of prose.
fn is_gap(c: char) -> bool {
    is_space(c)
        && !matches!(
            c,
            '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
}

fn is_space(c: char) -> bool {
    // The zero-width ones are not Unicode whitespace but arrive with copied text all the same.
    c.is_whitespace() || matches!(c, '\u{180E}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// One written character as it counts in a code: `None` for whitespace, ASCII for the variants
/// of ASCII characters people type, otherwise the character itself (upper-cased if ASCII).
fn fold(c: char) -> Option<char> {
    const FULLWIDTH_DIGIT_0: u32 = 0xFF10;
    const FULLWIDTH_UPPER_A: u32 = 0xFF21;
    const FULLWIDTH_LOWER_A: u32 = 0xFF41;
    // The arms' ranges keep each offset below 26, so the `as u8` casts never truncate.
    let shifted = |base: u8, from: u32| char::from(base + (u32::from(c) - from) as u8);
    Some(match c {
        c if is_space(c) => return None,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\u{FF0B}' => '+',
        '\u{FF10}'..='\u{FF19}' => shifted(b'0', FULLWIDTH_DIGIT_0),
        '\u{FF21}'..='\u{FF3A}' => shifted(b'A', FULLWIDTH_UPPER_A),
        '\u{FF41}'..='\u{FF5A}' => shifted(b'A', FULLWIDTH_LOWER_A),
        c => c.to_ascii_uppercase(),
    })
}

fn century(sign: u8) -> Option<i32> {
    match sign {
        b'+' => Some(1800),
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => Some(1900),
        b'A'..=b'F' => Some(2000),
        _ => None,
    }
}

/// The value of a run of ASCII digits; only called on runs already checked to be digits.
fn number(digits: &[u8]) -> u64 {
    digits
        .iter()
        .fold(0, |acc, d| acc * 10 + u64::from(d.saturating_sub(b'0')))
}

/// Checks a normalised code, reporting the first failing reason in the order format, date,
/// checksum.
fn classify(code: &str) -> Result<(), InvalidReason> {
    // Matching bytes is enough: any non-ASCII character makes some byte fail its class.
    let &[d0, d1, m0, m1, y0, y1, sign, z0, z1, z2, check] = code.as_bytes() else {
        return Err(InvalidReason::Format);
    };
    let digits = [d0, d1, m0, m1, y0, y1, z0, z1, z2];
    if !digits.iter().all(u8::is_ascii_digit) || !CHECK_ALPHABET.contains(&check) {
        return Err(InvalidReason::Format);
    }
    let Some(century) = century(sign) else {
        return Err(InvalidReason::Format);
    };
    // 000 and 001 are never issued, so they are a malformed code rather than an unlucky date.
    if number(&[z0, z1, z2]) < 2 {
        return Err(InvalidReason::Format);
    }
    let year = century + number(&[y0, y1]) as i32;
    if !date_exists(year, number(&[m0, m1]) as u32, number(&[d0, d1]) as u32) {
        return Err(InvalidReason::Date);
    }
    if u32::from(check_character(number(&digits))) != u32::from(check) {
        return Err(InvalidReason::Checksum);
    }
    Ok(())
}

fn date_exists(year: i32, month: u32, day: u32) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PUBLISHED: [&str; 22] = [
        "131052-308T",
        "010594Y9032",
        "010594Y9021",
        "020594X903P",
        "020594X902N",
        "030594W903B",
        "030694W9024",
        "040594V9030",
        "040594V902Y",
        "050594U903M",
        "050594U902L",
        "010516B903X",
        "010516B902W",
        "020516C903K",
        "020516C902J",
        "030516D9037",
        "030516D9026",
        "010501E9032",
        "020502E902X",
        "020503F9037",
        "020504A902E",
        "020504B904H",
    ];

    fn reason(written: &str) -> InvalidReason {
        match PersonalId::parse(written) {
            Ok(_) => panic!("expected {written:?} to be rejected"),
            Err(e) => e.reason,
        }
    }

    fn valid(written: &str) -> PersonalId {
        match PersonalId::parse(written) {
            Ok(id) => id,
            Err(e) => panic!("expected {written:?} to be valid, got {}", e.reason),
        }
    }

    /// A code with the right check character, for tests about everything but the checksum.
    fn with_check(ddmmyy: &str, sign: char, zzz: &str) -> String {
        let serial: u64 = format!("{ddmmyy}{zzz}").parse().expect("test digits");
        format!("{ddmmyy}{sign}{zzz}{}", check_character(serial))
    }

    /// The same code with a check character that is certainly wrong.
    fn with_wrong_check(ddmmyy: &str, sign: char, zzz: &str) -> String {
        let mut code = with_check(ddmmyy, sign, zzz);
        let right = code.pop().expect("non-empty");
        code.push(if right == '0' { '1' } else { '0' });
        code
    }

    #[test]
    fn published_examples_are_valid_and_canonical() {
        for code in PUBLISHED {
            assert_eq!(valid(code).expose(), code);
        }
    }

    #[test]
    fn check_character_matches_published_examples() {
        for code in PUBLISHED {
            let serial: u64 = format!("{}{}", &code[0..6], &code[7..10])
                .parse()
                .expect("test digits");
            assert_eq!(Some(check_character(serial)), code.chars().last(), "{code}");
        }
        assert_eq!(check_character(0), '0');
        assert_eq!(check_character(30), 'Y');
        assert_eq!(check_character(31), '0');
        assert_eq!(check_character(u64::MAX), check_character(u64::MAX % 31));
    }

    #[test]
    fn lower_case_is_accepted() {
        assert_eq!(valid("131052-308t").expose(), "131052-308T");
        assert_eq!(valid("020504a902e").expose(), "020504A902E");
        assert_eq!(valid("020594x903p").expose(), "020594X903P");
    }

    #[test]
    fn unicode_dashes_and_minus_signs_become_hyphen() {
        for dash in [
            '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
            '\u{FE63}', '\u{FF0D}',
        ] {
            let written = format!("131052{dash}308T");
            assert_eq!(
                valid(&written).expose(),
                "131052-308T",
                "U+{:04X}",
                dash as u32
            );
        }
    }

    #[test]
    fn whitespace_anywhere_is_removed() {
        for written in [
            " 131052-308T ",
            "131052 - 308T",
            "131052 - 308 T",
            "131052\t-308T",
            "131052\u{A0}-\u{A0}308T",
            "131052\u{202F}-308T",
            "131052\u{2009}-\u{3000}308T",
            "131052-\u{200B}308T",
            "\u{FEFF}131052-308T",
        ] {
            assert_eq!(valid(written).expose(), "131052-308T", "{written:?}");
        }
    }

    #[test]
    fn fullwidth_digits_and_letters_become_ascii() {
        assert_eq!(valid("１３１０５２－３０８Ｔ").expose(), "131052-308T");
        assert_eq!(valid("１３１０５２-３０８ｔ").expose(), "131052-308T");
        assert_eq!(valid("０２０５０４Ａ９０２Ｅ").expose(), "020504A902E");
        assert_eq!(normalise("＋"), "+");
    }

    #[test]
    fn normalise_never_repairs() {
        assert_eq!(normalise("13105o-308t"), "13105O-308T");
        assert_eq!(normalise("13105l-308T"), "13105L-308T");
        // Non-ASCII letters whose upper case is ASCII stay foreign.
        assert_eq!(normalise("131052-308ſ"), "131052-308ſ");
        assert_eq!(normalise("13105ı-308T"), "13105ı-308T");
        assert_eq!(normalise("ä"), "Ä");
        assert_eq!(reason("13105O-308T"), InvalidReason::Format);
        assert_eq!(reason("13105o-308T"), InvalidReason::Format);
        assert_eq!(reason("131052-3O8T"), InvalidReason::Format);
        assert_eq!(reason("131052-308ſ"), InvalidReason::Format);
    }

    #[test]
    fn leap_years_follow_gregorian_rules_on_the_full_year() {
        // 2000 is a leap year, 1900 and 1800 are not, 1996 is.
        let (y2000, y1900, y1800) = (
            with_check("290200", 'A', "123"),
            with_check("290200", '-', "123"),
            with_check("290200", '+', "123"),
        );
        assert_eq!(valid(&y2000).birth_date(), (2000, 2, 29));
        assert_eq!(reason(&y1900), InvalidReason::Date);
        assert_eq!(reason(&y1800), InvalidReason::Date);
        assert_eq!(
            reason(&with_check("290200", 'Y', "123")),
            InvalidReason::Date
        );
        assert_eq!(
            valid(&with_check("290296", '-', "123")).birth_date(),
            (1996, 2, 29)
        );
        assert_eq!(
            reason(&with_check("290297", '-', "123")),
            InvalidReason::Date
        );
        assert_eq!(
            valid(&with_check("290204", 'B', "123")).birth_date(),
            (2004, 2, 29)
        );
    }

    #[test]
    fn impossible_dates_are_date_errors() {
        for ddmmyy in [
            "310490", "000000", "000190", "011390", "010090", "320190", "310690",
        ] {
            let code = with_check(ddmmyy, '-', "123");
            assert_eq!(reason(&code), InvalidReason::Date, "{ddmmyy}");
        }
        assert_eq!(
            valid(&with_check("311290", '-', "123")).birth_date(),
            (1990, 12, 31)
        );
    }

    #[test]
    fn individual_numbers_000_and_001_are_format_errors() {
        assert_eq!(
            reason(&with_check("131052", '-', "000")),
            InvalidReason::Format
        );
        assert_eq!(
            reason(&with_check("131052", '-', "001")),
            InvalidReason::Format
        );
        valid(&with_check("131052", '-', "002"));
        valid(&with_check("131052", '-', "899"));
        valid(&with_check("131052", '-', "900"));
        valid(&with_check("131052", '-', "999"));
    }

    #[test]
    fn wrong_length_and_characters_are_format_errors() {
        for written in [
            "",
            "   ",
            "131052-308",
            "131052-308TT",
            "1310520-308T",
            "31052-308T",
            "131052308T",
            "131052G308T",
            "131052Z308T",
            "131052*308T",
            "131052-30ET",
            "A31052-308T",
            "131052-308G",
            "131052-308I",
            "131052-308O",
            "131052-308Q",
            "131052-308Z",
            "131052-308-",
            "131052-308ä",
            "ä31052-308T",
        ] {
            assert_eq!(reason(written), InvalidReason::Format, "{written:?}");
        }
    }

    #[test]
    fn wrong_check_character_is_a_checksum_error() {
        assert_eq!(reason("131052-308U"), InvalidReason::Checksum);
        assert_eq!(reason("131052-3080"), InvalidReason::Checksum);
        assert_eq!(reason("010594Y9033"), InvalidReason::Checksum);
    }

    #[test]
    fn precedence_is_format_then_date_then_checksum() {
        assert_eq!(
            reason(&with_wrong_check("310490", '-', "123")),
            InvalidReason::Date
        );
        assert_eq!(
            reason(&with_wrong_check("000000", 'A', "123")),
            InvalidReason::Date
        );
        assert_eq!(
            reason(&with_check("310490", '-', "001")),
            InvalidReason::Format
        );
        assert_eq!(
            reason(&with_wrong_check("310490", '-', "000")),
            InvalidReason::Format
        );
        assert_eq!(reason("31O490-123Y"), InvalidReason::Format);
    }

    #[test]
    fn century_signs_give_the_century() {
        for (sign, year) in [
            ('+', 1852),
            ('-', 1952),
            ('Y', 1952),
            ('X', 1952),
            ('W', 1952),
            ('V', 1952),
            ('U', 1952),
            ('A', 2052),
            ('B', 2052),
            ('C', 2052),
            ('D', 2052),
            ('E', 2052),
            ('F', 2052),
        ] {
            let id = valid(&with_check("131052", sign, "308"));
            assert_eq!(id.birth_date(), (year, 10, 13), "{sign}");
        }
    }

    #[test]
    fn nothing_prints_the_code() {
        let id = valid("131052-308T");
        let err = PersonalId::parse("131052-308U").expect_err("wrong check");
        let found = find_candidates("hetu 131052-308T ja 131052-308U");
        assert_eq!(found.len(), 2);
        let printed = [
            format!("{id:?}"),
            format!("{id}"),
            format!("{id:#?}"),
            format!("{err:?}"),
            format!("{err}"),
            format!("{err:#?}"),
            format!("{found:?}"),
            format!("{found:#?}"),
            format!("{:?}", Ok::<_, InvalidPersonalId>(id.clone())),
        ];
        for text in &printed {
            for part in ["131052", "1310", "308"] {
                assert!(!text.contains(part), "{text}");
            }
        }
        assert_eq!(printed[0], "PersonalId([redacted])");
        assert_eq!(printed[1], "[redacted]");
        assert_eq!(printed[4], "invalid personal identity code: checksum");
        assert!(printed[3].contains("Checksum"));
        assert_eq!(err.normalised, "131052-308U");
    }

    #[test]
    fn reasons_have_stable_names() {
        for (reason, name) in [
            (InvalidReason::Format, "format"),
            (InvalidReason::Date, "date"),
            (InvalidReason::Checksum, "checksum"),
        ] {
            assert_eq!(reason.as_str(), name);
            assert_eq!(reason.to_string(), name);
            assert_eq!(
                serde_json::to_string(&reason).expect("serialises"),
                format!("\"{name}\"")
            );
        }
    }

    #[test]
    fn invalid_keeps_what_was_understood() {
        let err = PersonalId::parse(" 13105o – 308t ").expect_err("letter o");
        assert_eq!(err.normalised, "13105O-308T");
        assert_eq!(err.reason, InvalidReason::Format);
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        assert_eq!(boxed.to_string(), "invalid personal identity code: format");
    }

    #[test]
    fn from_str_is_parse() {
        let id: PersonalId = "131052-308t".parse().expect("valid");
        assert_eq!(id, valid("131052-308T"));
        assert!("131052-308U".parse::<PersonalId>().is_err());
    }

    fn found(text: &str) -> Vec<(&str, String, Result<String, InvalidReason>)> {
        find_candidates(text)
            .into_iter()
            .map(|c| {
                let slice = &text[c.start..c.end];
                let result = c.result.map(|id| id.expose().to_owned());
                (slice, c.normalised, result)
            })
            .collect()
    }

    fn ok(code: &str) -> Result<String, InvalidReason> {
        Ok(code.to_owned())
    }

    #[test]
    fn candidates_in_prose() {
        let text = "Hetu: 131052-308T, ja lapsen 010516b903x.";
        assert_eq!(
            found(text),
            vec![
                ("131052-308T", "131052-308T".to_owned(), ok("131052-308T")),
                ("010516b903x", "010516B903X".to_owned(), ok("010516B903X")),
            ]
        );
        let c = &find_candidates(text)[0];
        assert_eq!((c.start, c.end), (6, 17));
    }

    #[test]
    fn candidates_with_single_spaces_around_a_dash_or_plus() {
        assert_eq!(
            found("tunnus 131052 - 308T kiitos"),
            vec![("131052 - 308T", "131052-308T".to_owned(), ok("131052-308T"))]
        );
        assert_eq!(
            found("(131052\u{A0}\u{2013}\u{A0}308T)"),
            vec![(
                "131052\u{A0}\u{2013}\u{A0}308T",
                "131052-308T".to_owned(),
                ok("131052-308T")
            )]
        );
        let plus = with_check("131052", '+', "308");
        let spaced = format!("{} + {}", &plus[..6], &plus[7..]);
        assert_eq!(
            found(&spaced),
            vec![(spaced.as_str(), plus.clone(), Ok(plus))]
        );
        // Two spaces, a line break, or spaces around a letter sign: not a written code.
        assert!(found("131052  -  308T").is_empty());
        assert!(found("131052 -\n308T").is_empty());
        assert!(found("010516 B 903X").is_empty());
        assert!(found("010516 b903X").is_empty());
        assert_eq!(found("hetu 010594 Y9032.").len(), 1);
        assert!(found("131052-308 T").is_empty());
    }

    #[test]
    fn candidates_written_with_fullwidth_characters() {
        let text = "hetu：１３１０５２－３０８Ｔ。";
        let all = find_candidates(text);
        assert_eq!(all.len(), 1);
        assert_eq!(&text[all[0].start..all[0].end], "１３１０５２－３０８Ｔ");
        assert_eq!(all[0].normalised, "131052-308T");
        assert!(all[0].result.is_ok());
    }

    #[test]
    fn invalid_attempts_are_candidates_with_a_reason() {
        assert_eq!(
            found("hetu 13105O-308T"),
            vec![(
                "13105O-308T",
                "13105O-308T".to_owned(),
                Err(InvalidReason::Format)
            )]
        );
        assert_eq!(
            found("hetu 131052-3O8T"),
            vec![(
                "131052-3O8T",
                "131052-3O8T".to_owned(),
                Err(InvalidReason::Format)
            )]
        );
        assert_eq!(
            found("hetu 131052-308U"),
            vec![(
                "131052-308U",
                "131052-308U".to_owned(),
                Err(InvalidReason::Checksum)
            )]
        );
        assert_eq!(
            found("hetu 310490-123Y"),
            vec![(
                "310490-123Y",
                "310490-123Y".to_owned(),
                Err(InvalidReason::Date)
            )]
        );
        assert_eq!(
            found("hetu 131052-001G"),
            vec![(
                "131052-001G",
                "131052-001G".to_owned(),
                Err(InvalidReason::Format)
            )]
        );
    }

    #[test]
    fn things_that_are_not_codes_are_not_candidates() {
        for text in [
            "syntynyt 13.10.1952",
            "puh. 040-1234567",
            "puh. 040 1234567",
            "+358 40 123 4567",
            "viite 12345678",
            "tili FI21 1234 5600 0007 85",
            "FI21131052-308T",
            "131052-308TX",
            "X131052-308T",
            "1310522-308T",
            "131052-3080T",
            "040-131052-308T",
            "1.131052-308T",
            "131052-308T-5",
            "Google-haku",
            "123456-ABCD",
            "OOIl52-308T",
            "131052-308",
            "131052",
            "",
        ] {
            assert!(found(text).is_empty(), "{text:?} gave {:?}", found(text));
        }
    }

    #[test]
    fn candidates_next_to_multibyte_characters() {
        let text = "😀131052-308T😀 ääkköset 010594Y9032ö";
        let all = found(text);
        assert_eq!(
            all,
            vec![("131052-308T", "131052-308T".to_owned(), ok("131052-308T"))]
        );
        let text = "«131052-308T» ja ”010594Y9032”";
        assert_eq!(found(text).len(), 2);
    }

    #[test]
    fn long_texts_are_scanned_in_one_pass() {
        let codes = "131052-308T ".repeat(20_000);
        assert_eq!(find_candidates(&codes).len(), 20_000);
        // Near-misses at every position must not make the scan backtrack over the whole text.
        let near = "13105213105-".repeat(20_000);
        assert!(find_candidates(&near).is_empty());
    }

    /// An independent statement of the rules, so that the property tests do not merely compare
    /// the implementation with itself.
    fn reference(code: &str) -> Result<(), InvalidReason> {
        static SHAPE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        let shape = SHAPE.get_or_init(|| {
            regex::Regex::new(
                r"^([0-9]{2})([0-9]{2})([0-9]{2})([-+A-FU-Y])([0-9]{3})([0-9A-FHJ-NPR-Y])$",
            )
            .expect("regex")
        });
        let Some(caps) = shape.captures(code) else {
            return Err(InvalidReason::Format);
        };
        let field = |i: usize| caps[i].parse::<u32>().expect("digits");
        if field(5) <= 1 {
            return Err(InvalidReason::Format);
        }
        let century = match &caps[4] {
            "+" => 18,
            "A" | "B" | "C" | "D" | "E" | "F" => 20,
            _ => 19,
        };
        let year = century * 100 + field(3);
        let leap = (year % 400 == 0) || (year % 100 != 0 && year % 4 == 0);
        let month_lengths = [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ];
        let (day, month) = (field(1), field(2));
        if month == 0 || month > 12 || day == 0 || day > month_lengths[month as usize - 1] {
            return Err(InvalidReason::Date);
        }
        let serial: u64 = format!("{}{}{}{}", &caps[1], &caps[2], &caps[3], &caps[5])
            .parse()
            .expect("digits");
        let expected = "0123456789ABCDEFHJKLMNPRSTUVWXY"
            .chars()
            .nth((serial % 31) as usize);
        if expected != caps[6].chars().next() {
            return Err(InvalidReason::Checksum);
        }
        Ok(())
    }

    const SIGNS_1800: &[char] = &['+'];
    const SIGNS_1900: &[char] = &['-', 'Y', 'X', 'W', 'V', 'U'];
    const SIGNS_2000: &[char] = &['A', 'B', 'C', 'D', 'E', 'F'];
    const CANONICAL_ALPHABET: &str = "0123456789+-YXWVUABCDEFHJKLMNPRST";

    fn days_in(year: u32, month: u32) -> u32 {
        (28..=31)
            .rev()
            .find(|&d| date_exists(year as i32, month, d))
            .unwrap_or(28)
    }

    /// Valid codes with their (year, month, day).
    fn valid_code() -> impl Strategy<Value = (String, (i32, u32, u32))> {
        (1800u32..=2099, 1u32..=12, 0u32..31, 2u32..=999, 0usize..6).prop_map(
            |(year, month, day_seed, individual, sign_seed)| {
                let day = day_seed % days_in(year, month) + 1;
                let signs = match year / 100 {
                    18 => SIGNS_1800,
                    19 => SIGNS_1900,
                    _ => SIGNS_2000,
                };
                let sign = signs[sign_seed % signs.len()];
                let serial = u64::from(day) * 10_000_000
                    + u64::from(month) * 100_000
                    + u64::from(year % 100) * 1000
                    + u64::from(individual);
                let code = format!(
                    "{day:02}{month:02}{:02}{sign}{individual:03}{}",
                    year % 100,
                    check_character(serial)
                );
                (code, (year as i32, month, day))
            },
        )
    }

    /// Text made mostly of the characters that candidates are built from, so that the scanner's
    /// edge cases are actually reached.
    fn codeish_text() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("131052-308T".to_owned()),
            Just("010594Y9032".to_owned()),
            "[0-9]{1,7}",
            "[-+A-Fa-fU-Yu-yOoIl ]",
            Just("\u{2013}".to_owned()),
            Just("\u{A0}".to_owned()),
            Just("\n".to_owned()),
            Just("１".to_owned()),
            Just("－".to_owned()),
            Just("ä😀".to_owned()),
            Just(".".to_owned()),
            "[A-Za-z]",
        ];
        proptest::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn valid_codes_parse_and_round_trip((code, date) in valid_code()) {
            prop_assert_eq!(reference(&code), Ok(()));
            let id = PersonalId::parse(&code).expect("generated code is valid");
            prop_assert_eq!(id.expose(), code.as_str());
            prop_assert_eq!(id.birth_date(), date);
            prop_assert_eq!(PersonalId::parse(id.expose()), Ok(id.clone()));
            prop_assert_eq!(PersonalId::parse(&code.to_lowercase()), Ok(id.clone()));
            let spaced = format!(" {} - {} ", &code[..6], &code[7..]);
            if code.as_bytes()[6] == b'-' {
                prop_assert_eq!(PersonalId::parse(&spaced), Ok(id));
            }
        }

        #[test]
        fn one_substitution_is_rejected_unless_still_valid(
            (code, _) in valid_code(),
            position in 0usize..11,
            replacement in proptest::sample::select(CANONICAL_ALPHABET.chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = code.chars().collect();
            chars[position] = replacement;
            let mutated: String = chars.into_iter().collect();
            let got = PersonalId::parse(&mutated).map(|_| ()).map_err(|e| e.reason);
            prop_assert_eq!(got, reference(&mutated), "{} -> {}", code, mutated);
        }

        #[test]
        fn valid_code_in_text_is_found((code, _) in valid_code(), before in "[ .,:(]{0,3}", after in "[ .,:)]{0,3}") {
            let text = format!("Hetu{before} {code}{after}");
            let all = find_candidates(&text);
            prop_assert_eq!(all.len(), 1);
            prop_assert_eq!(&text[all[0].start..all[0].end], code.as_str());
            prop_assert_eq!(all[0].result.as_ref().map(PersonalId::expose), Ok(code.as_str()));
        }

        #[test]
        fn parse_never_panics(written in ".*") {
            let result = PersonalId::parse(&written);
            prop_assert_eq!(result.map(|_| ()).map_err(|e| e.reason), reference(&normalise(&written)));
        }

        #[test]
        fn find_candidates_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = find_candidates(&text);
            let _ = PersonalId::parse(&text);
        }

        #[test]
        fn find_candidates_never_panics_on_any_string(text in ".*") {
            let _ = find_candidates(&text);
        }

        #[test]
        fn candidates_are_ordered_and_consistent(text in codeish_text()) {
            let mut last_end = 0;
            for c in find_candidates(&text) {
                prop_assert!(last_end <= c.start && c.start < c.end);
                prop_assert!(text.is_char_boundary(c.start) && text.is_char_boundary(c.end));
                let slice = &text[c.start..c.end];
                prop_assert_eq!(&normalise(slice), &c.normalised);
                prop_assert_eq!(
                    c.result.clone(),
                    PersonalId::parse(slice).map_err(|e| e.reason)
                );
                last_end = c.end;
            }
        }

        #[test]
        fn normalise_is_idempotent_and_removes_whitespace(written in ".*") {
            let once = normalise(&written);
            prop_assert!(!once.chars().any(char::is_whitespace));
            prop_assert_eq!(normalise(&once), once);
        }
    }
}
