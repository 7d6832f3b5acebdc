//! Postal addresses: a street with house number (and staircase and flat), a five-digit postal
//! code and a post office, written on one line ("Urheilukatu 31, 45100 Kouvola") or over two.

use regex::Regex;
use serde::Serialize;

use crate::request::vocab::LabelKind;
use std::sync::LazyLock;

/// The requester's postal address, as the contract shows it.
#[derive(Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Address {
    pub street: String,
    pub postal_code: String,
    pub post_office: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Address([redacted])")
    }
}

/// Postal code and post office: "00100 Helsinki", "FI-00100 HELSINKI", "33180 TAMPERE".
static CODE_OFFICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:(?-u:\b)(?:FI|SF|AX)\s*-\s*)?(?-u:\b)(?P<code>\d{5})(?-u:\b)[ \t]*,?[ \t]*\n?[ \t]*(?P<office>\p{Lu}[\p{L}\-']*)?")
        .expect("static regex")
});

/// A street: capitalised words ending in a house number, then anything (staircase, flat).
static STREET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:
          \p{Lu}[\p{L}\.\-']*
          (?:\s+(?:\p{Lu}[\p{L}\.\-']*|\p{Ll}*(?:tie|katu|kuja|polku|väylä|raitti|rinne|ranta|kaari|piha|tori|aukio|gata|gatan|väg|vägen|allé|gränd|stig|road|street|avenue|lane)\b)){0,3}
          \s+\d{1,4}(?:\s*[-–]\s*\d{1,4})?\p{L}?
          (?:\s+(?:(?i:as|as\.|asunto|bost\.?|lgh\.?|apt\.?|h\.?|rappu|trappa|lägenhet)\s*\d{1,4}\p{Ll}?|\p{Lu}\b\s*\d{0,4}\p{Ll}?|\d{1,4}\p{Ll}?)){0,2}
        )\s*\.?\s*$",
    )
    .expect("static regex")
});

/// A sentence boundary inside the text before a postal code ("… 2020. Min adress …").
static SENTENCE_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.!?]\s+\p{Lu}").expect("static regex"));

static POSTAL_CODE_ONLY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:FI\s*-\s*)?(\d{5})\s*$").expect("static regex"));

/// How far before a postal code a street may begin.
const MAX_STREET_BYTES: usize = 200;

/// "HELSINKI" → "Helsinki"; names written in mixed case stay as written.
pub fn normal_case(office: &str) -> String {
    if office.chars().any(|c| c.is_lowercase()) {
        return office.to_string();
    }
    let mut out = String::with_capacity(office.len());
    let mut start = true;
    for c in office.chars() {
        if c.is_alphabetic() {
            if start {
                out.push(c);
            } else {
                out.extend(c.to_lowercase());
            }
            start = false;
        } else {
            out.push(c);
            start = true;
        }
    }
    out
}

/// Words that end a post office name when it runs on into the sentence.
const NOT_OFFICE: &[&str] = &[
    "Puh",
    "Puhelin",
    "Tel",
    "Tfn",
    "Phone",
    "Mobile",
    "Gsm",
    "Email",
    "Sähköposti",
];

/// A street as it ends the text before a postal code: the cue words before it are dropped.
pub fn street_at_end(text: &str) -> Option<String> {
    let mut segment = text.rsplit([',', ';', ':']).next().unwrap_or(text);
    if let Some(m) = SENTENCE_END.find_iter(segment).last() {
        // From the capital that starts the last sentence, whatever its width in UTF-8.
        let capital = m.as_str().char_indices().last().map_or(0, |(i, _)| i);
        segment = &segment[m.start() + capital..];
    }
    let segment = segment.trim();
    // The match is the street and what may follow it (blanks, a full stop): no capture
    // groups, so the regex engine finds it without its slower capturing search.
    let mut street = STREET
        .find(segment)?
        .as_str()
        .trim_end_matches(|c: char| c.is_whitespace() || c == '.')
        .trim();
    // "Postiosoite Aurakatu 12 A 9": a label written without a colon is not the street.
    while let Some((first, rest)) = street.split_once(char::is_whitespace) {
        let is_label = matches!(
            crate::request::vocab::classify_label(first),
            Some(LabelKind::Address | LabelKind::Street | LabelKind::PostalCodeAndOffice)
        );
        if !is_label || !rest.trim_start().starts_with(|c: char| c.is_uppercase()) {
            break;
        }
        street = rest.trim_start();
    }
    // Take the shortest run of capitalised words: "Osoitteeni on Urheilukatu 31" must not
    // begin at "Osoitteeni". STREET only allows capitalised words, so "on" already breaks it.
    Some(street.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Splits "00100 Helsinki" (a postal-code-and-office value).
pub fn code_and_office(text: &str) -> Option<(String, Option<String>)> {
    let caps = CODE_OFFICE.captures(text)?;
    let code = caps.name("code")?.as_str().to_string();
    let office = caps.name("office").map(|m| trim_office(m.as_str()));
    Some((code, office.filter(|o| !o.is_empty())))
}

fn trim_office(office: &str) -> String {
    let mut words: Vec<&str> = Vec::new();
    for w in office.split_whitespace() {
        if NOT_OFFICE.iter().any(|n| w.eq_ignore_ascii_case(n)) {
            break;
        }
        words.push(w);
    }
    normal_case(&words.join(" "))
}

/// A postal code value on its own ("00100").
pub fn postal_code_only(text: &str) -> Option<String> {
    POSTAL_CODE_ONLY
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// Addresses in lines of text, in order: "street, code office" on one line, or a street line
/// followed by a "code office" line.
pub fn addresses_in_lines(lines: &[&str]) -> Vec<Address> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for caps in CODE_OFFICE.captures_iter(line) {
            let (Some(code), Some(office)) = (caps.name("code"), caps.name("office")) else {
                continue;
            };
            let post_office = trim_office(office.as_str());
            if post_office.is_empty() {
                continue;
            }
            let at = caps.get(0).map_or(code.start(), |m| m.start());
            // A street is short: look at most this far back (linear time on long paragraphs).
            let mut from = at.saturating_sub(MAX_STREET_BYTES);
            while !line.is_char_boundary(from) {
                from += 1;
            }
            let before = &line[from..at];
            // "skickat till FPA, PB 450, 00056 FPA": Kela's own address is not the writer's.
            let lower_before = before.to_lowercase();
            if ["kela", "fpa", "kansaneläkelaitos", "folkpensionsanstalt"]
                .iter()
                .any(|k| post_office.eq_ignore_ascii_case(k) || lower_before.contains(k))
            {
                continue;
            }
            let street = if before.trim().trim_end_matches(',').trim().is_empty() {
                // The code starts its line: the street is on the line above.
                i.checked_sub(1)
                    .and_then(|p| street_at_end(lines[p].trim_end_matches(',')))
            } else {
                street_at_end(before.trim_end().trim_end_matches(','))
            };
            if let Some(street) = street {
                out.push(Address {
                    street,
                    postal_code: code.as_str().to_string(),
                    post_office,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(lines: &[&str]) -> (String, String, String) {
        let a = addresses_in_lines(lines)
            .into_iter()
            .next()
            .expect("address");
        (a.street, a.postal_code, a.post_office)
    }

    #[test]
    fn inline_and_block_addresses() {
        assert_eq!(
            one(&["Yhteystietoni: Rautatienkatu 136 as 36, 33180 TAMPERE, puh. 050-3672 541."]),
            (
                "Rautatienkatu 136 as 36".into(),
                "33180".into(),
                "Tampere".into()
            )
        );
        assert_eq!(
            one(&["Postiosoitteeni:", "Urheilukatu 31", "45100 Kouvola"]),
            ("Urheilukatu 31".into(), "45100".into(), "Kouvola".into())
        );
        assert_eq!(
            one(&["Osoitteeni on Mannerheimintie 12 A 5, 00100 Helsinki."]),
            (
                "Mannerheimintie 12 A 5".into(),
                "00100".into(),
                "Helsinki".into()
            )
        );
        assert_eq!(
            one(&["Min adress är Storgatan 5 bost. 12, 65100 VASA."]),
            ("Storgatan 5 bost. 12".into(), "65100".into(), "Vasa".into())
        );
    }

    #[test]
    fn sentence_before_a_street_with_a_wide_capital() {
        // Found by fuzzing: the capital after the full stop is two bytes long.
        let found = addresses_in_lines(&["Kiitos. Ávila 5, 00100 Helsinki"]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].street, "Ávila 5");
    }

    #[test]
    fn no_street_no_address() {
        assert!(addresses_in_lines(&["Postinumero 00100 Helsinki"]).is_empty());
        assert_eq!(normal_case("MÄNTSÄLÄ"), "Mäntsälä");
        assert_eq!(normal_case("PEDERSÖRE-KUNTA"), "Pedersöre-Kunta");
    }
}
