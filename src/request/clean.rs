//! From a body's text to the lines a person wrote for this message: quoted earlier messages,
//! reply attributions, forwarded headers, "sent from my phone" footers and legal disclaimers are
//! removed, because a field found there belongs to someone else or to an earlier message.
//!
//! Lines are kept with their indentation (form layouts and continuation lines depend on it).
//! Very long lines are cut into pieces so that every later step stays linear in the input.

use regex::Regex;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// Longest line the extractor looks at in one piece; longer ones are split.
const MAX_LINE_CHARS: usize = 2_000;

static ATTRIBUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\bwrote|\bkirjoitti|\bskrev|\bschrieb|\bécrit)\s*:\s*$|^\s*-{2,}\s*(?:original message|alkuperäinen viesti|ursprungligt meddelande|forwarded message|välitetty viesti|vidarebefordrat meddelande|vidarebefordrat brev)\s*-{2,}|^\s*_{10,}\s*$|^\s*(?:begin forwarded message|alku perin lähetetty)\s*:",
    )
    .expect("static regex")
});

/// Outlook's quoted header block: "From: …" then "Sent: …" (or the Finnish / Swedish forms).
static OUTLOOK_FROM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\*?(?:from|lähettäjä|från|von)\s*:\*?\s+\S").expect("static regex")
});
static OUTLOOK_SENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\*?(?:sent|date|lähetetty|päivämäärä|skickat|datum|gesendet)\s*:\*?\s+\S")
        .expect("static regex")
});

static MOBILE_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:lähetetty|sent from|skickat från|skickades från|hämta outlook|get outlook|lähetetty .*-sovelluksesta|sent with|sent via)\b",
    )
    .expect("static regex")
});

static DISCLAIMER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)luottamuksellis|erehdyksessä|confidential|intended recipient|received (?:it|this (?:e-?mail|message)) in error|konfidentiell|av misstag|sekretessbelagd",
    )
    .expect("static regex")
});

/// Stems every disclaimer pattern contains (a prefilter for `DISCLAIMER`).
static DISCLAIMER_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "luottamuksellis",
            "erehdyksess",
            "confidential",
            // Single words: a phrase may be wrapped over two lines.
            "recipient",
            "error",
            "konfidentiell",
            "misstag",
            "sekretessbelagd",
        ])
        .expect("automaton")
});

/// One line as written, with its leading whitespace measured.
#[derive(Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub indent: usize,
    /// In the sign-off (after "-- " or a closing such as "Ystävällisin terveisin"): read for
    /// identity codes and review cues only, never for fields.
    pub signature: bool,
    /// The line ended in a space: a soft (flowed or hand-wrapped) break, the text goes on.
    pub soft_break: bool,
}

impl Line {
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// Normalises the text (NFC, line ends, exotic spaces) and returns the lines of the writer's own
/// part of the message.
pub fn own_lines(body: &str) -> Vec<Line> {
    own_lines_from(body, None)
}

static FORWARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*-{2,}\s*(?:forwarded message|välitetty viesti|vidarebefordrat meddelande|vidarebefordrat brev)\s*-{2,}\s*$|^\s*begin forwarded message\s*:")
        .expect("static regex")
});
static FORWARD_HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*\*?(?:from|lähettäjä|från|date|päivämäärä|päiväys|datum|sent|lähetetty|skickat|subject|aihe|ämne|to|vastaanottaja|till|cc|kopio|kopia)\s*:")
        .expect("static regex")
});

/// As [`own_lines`]; a forwarded message whose header shows it came from `sender` is the
/// sender's own earlier mail ("I sent this in December, sending again") and is read, while a
/// forward of anyone else's mail ends the writer's text like a quotation.
pub fn own_lines_from(body: &str, sender: Option<&str>) -> Vec<Line> {
    // Composing is costly and almost all mail is already composed: check first.
    let composed: std::borrow::Cow<'_, str> =
        match unicode_normalization::is_nfc_quick(body.chars()) {
            unicode_normalization::IsNormalized::Yes => std::borrow::Cow::Borrowed(body),
            _ => std::borrow::Cow::Owned(body.nfc().collect()),
        };
    // Exotic spaces and invisible characters are rare: rebuild the text only when present.
    let exotic = |c: char| {
        matches!(
            c,
            '\u{a0}'
                | '\u{2007}'
                | '\u{202f}'
                | '\u{2009}'
                | '\u{200a}'
                | '\u{3000}'
                | '\u{feff}'
                | '\u{200b}'
                | '\u{ad}'
        )
    };
    let text: std::borrow::Cow<'_, str> = if !composed.contains(exotic) {
        composed
    } else {
        std::borrow::Cow::Owned(rebuild_spaces(&composed))
    };
    let raw: Vec<&str> = text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
    let mut lines: Vec<Line> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let l = raw[i];
        // Cheap tests first: every pattern below needs one of these shapes, and most lines
        // have none of them.
        let t = l.trim();
        let colon_end = t.ends_with(':');
        let rule_start = t.starts_with(['-', '_']);
        let has_colon = t.contains(':');
        if (rule_start || colon_end) && FORWARD.is_match(l) {
            if let Some(skip_to) = own_forward(&raw, i, sender) {
                i = skip_to;
                continue;
            }
        }
        if (colon_end || rule_start || has_colon) && ATTRIBUTION.is_match(l) {
            // Thunderbird and Outlook wrap the attribution; its first half ends the text too.
            let starts_low = l
                .trim_start()
                .chars()
                .next()
                .is_some_and(|c| c == '<' || c.is_lowercase());
            if starts_low && lines.last().is_some_and(|p| !p.is_blank()) {
                lines.pop();
            }
            break;
        }
        if has_colon
            && OUTLOOK_FROM.is_match(l)
            && raw[i + 1..]
                .iter()
                .take(4)
                .any(|n| OUTLOOK_SENT.is_match(n))
        {
            break;
        }
        if l.trim_start().starts_with('>') {
            i += 1;
            continue;
        }
        if t.len() < 240
            && t.starts_with(['L', 'l', 'S', 's', 'G', 'g', 'H', 'h'])
            && MOBILE_FOOTER.is_match(l)
            && l.chars().count() < 80
        {
            i += 1;
            continue;
        }
        push_split(&mut lines, l);
        i += 1;
    }
    let mut lines = drop_disclaimers(lines);
    mark_signature(&mut lines);
    lines
}

static CLOSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:ystävällisin terveisin|parhain terveisin|terveisin|ystävällisesti|kiittäen|kiitos ja terveisin|med vänlig hälsning|med vänliga hälsningar|vänliga hälsningar|hälsningar|mvh|vänligen|kind regards|best regards|warm regards|regards|sincerely|yours sincerely|yours faithfully|best wishes|br)\s*[,.!]?\s*$",
    )
    .expect("static regex")
});

static POSTSCRIPT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*p\.?\s?s\b").expect("static regex"));

/// How close to the end a closing must stand to start the sign-off.
const SIGN_OFF_LINES: usize = 8;

/// Marks the sign-off: from "-- " or a closing near the end, up to a postscript ("PS.").
fn mark_signature(lines: &mut Vec<Line>) {
    let non_blank: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].is_blank()).collect();
    let near_end = non_blank
        .len()
        .checked_sub(SIGN_OFF_LINES)
        .map_or(0, |k| non_blank[k]);
    let start = lines
        .iter()
        .position(|l| l.text == "--" || l.text == "-- ")
        .or_else(|| (near_end..lines.len()).find(|&i| CLOSING.is_match(&lines[i].text)));
    let Some(start) = start else { return };
    if lines[start].text.starts_with("--") {
        lines.remove(start);
    }
    for line in lines.iter_mut().skip(start) {
        if POSTSCRIPT.is_match(&line.text) {
            break;
        }
        line.signature = true;
    }
}

fn push_split(lines: &mut Vec<Line>, l: &str) {
    // An ASCII table row "| Sukunimi | Korhonen |": its cells are label and value.
    let table_row;
    let l = if l.trim_start().starts_with('|') && l.trim_end().ends_with('|') && l.trim().len() > 2
    {
        let inner = l.trim().trim_matches('|');
        table_row = inner
            .split('|')
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\t");
        table_row.as_str()
    } else {
        l
    };
    // Leading whitespace, a tab counting as four columns.
    let indent = l
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { c.len_utf8() })
        .sum();
    if l.len() <= MAX_LINE_CHARS || l.chars().count() <= MAX_LINE_CHARS {
        lines.push(Line {
            text: l.trim_end().to_string(),
            indent,
            signature: false,
            soft_break: l.ends_with(' ') && !l.trim().is_empty(),
        });
        return;
    }
    let mut piece = String::new();
    let mut count = 0;
    for c in l.chars() {
        piece.push(c);
        count += 1;
        if count >= MAX_LINE_CHARS || (count > MAX_LINE_CHARS / 2 && matches!(c, '.' | '!' | '?')) {
            lines.push(Line {
                text: std::mem::take(&mut piece),
                indent: 0,
                signature: false,
                soft_break: true,
            });
            count = 0;
        }
    }
    if !piece.is_empty() {
        lines.push(Line {
            text: piece,
            indent: 0,
            signature: false,
            soft_break: false,
        });
    }
}

/// When the forward marker at `at` introduces the sender's own mail, the index of the first
/// line after its header block.
fn own_forward(raw: &[&str], at: usize, sender: Option<&str>) -> Option<usize> {
    let sender = sender?.to_lowercase();
    if sender.is_empty() {
        return None;
    }
    let mut j = at + 1;
    let mut from_sender = false;
    while j < raw.len() && j <= at + 8 {
        let l = raw[j];
        if l.trim().is_empty() {
            break;
        }
        if !FORWARD_HEADER.is_match(l) {
            return None;
        }
        let lower = l.to_lowercase();
        if (lower.trim_start().starts_with("from")
            || lower.trim_start().starts_with("lähettäjä")
            || lower.trim_start().starts_with("från"))
            && lower.contains(&sender)
        {
            from_sender = true;
        }
        j += 1;
    }
    from_sender.then_some(j)
}

/// Exotic spaces become plain ones; byte-order marks, zero-width spaces and soft hyphens go.
fn rebuild_spaces(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\u{a0}' | '\u{2007}' | '\u{202f}' | '\u{2009}' | '\u{200a}' | '\u{3000}' => Some(' '),
            '\u{feff}' | '\u{200b}' | '\u{ad}' => None,
            _ => Some(c),
        })
        .collect()
}

/// A paragraph that reads as a legal disclaimer is dropped whole.
fn drop_disclaimers(lines: Vec<Line>) -> Vec<Line> {
    let mut out = Vec::with_capacity(lines.len());
    let mut para: Vec<Line> = Vec::new();
    let flush = |para: &mut Vec<Line>, out: &mut Vec<Line>| {
        // One cheap pass for the words every disclaimer pattern contains; most paragraphs
        // have none and are kept without joining them.
        if !para.iter().any(|l| DISCLAIMER_WORDS.is_match(&l.text)) {
            out.append(para);
            return;
        }
        let joined: String = para
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let words = joined.split_whitespace().count();
        if !(words >= 8 && DISCLAIMER.is_match(&joined)) {
            out.append(para);
        }
        para.clear();
    };
    for line in lines {
        if line.is_blank() {
            flush(&mut para, &mut out);
            out.push(line);
        } else {
            para.push(line);
        }
    }
    flush(&mut para, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<String> {
        own_lines(body)
            .into_iter()
            .filter(|l| !l.is_blank())
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn quoted_reply_and_attribution_are_removed() {
        let body = "Puhelin 040 123 4567\n\nma 2.2.2026 klo 23.14 Kela kirjaamo\n<kela@example> kirjoitti:\n> Hyvä vastaanottaja\n> - puhelin\n";
        assert_eq!(texts(body), vec!["Puhelin 040 123 4567"]);
    }

    #[test]
    fn outlook_header_block_ends_the_text() {
        let body = "Tässä tiedot.\n\nFrom: Kela <k@example>\nSent: Monday\nTo: me\nSubject: x\n\nHenkilötunnus 131052-308T";
        assert_eq!(texts(body), vec!["Tässä tiedot."]);
    }

    #[test]
    fn footer_and_disclaimer_are_removed_but_text_stays() {
        let body = "Nimeni on Matti Virtanen.\n\nLähetetty iPhonesta\n\nTämä sähköpostiviesti voi sisältää luottamuksellista tietoa. Jos olet saanut viestin erehdyksessä, poista se.";
        assert_eq!(texts(body), vec!["Nimeni on Matti Virtanen."]);
    }

    #[test]
    fn sign_off_is_marked_until_a_postscript() {
        let lines = own_lines("Henkilötunnus 131052-308T\n\nTerveisin\nMatti\npuh. 040 123 4567\n\nPS. Vielä yksi asia.");
        let sig: Vec<&str> = lines
            .iter()
            .filter(|l| l.signature)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(sig, vec!["Terveisin", "Matti", "puh. 040 123 4567", ""]);
        assert!(!lines.last().unwrap().signature);
        let lines = own_lines("Tekstiä.\n-- \nMatti Virtanen\nYritys Oy");
        assert!(lines
            .iter()
            .filter(|l| l.text.contains("Yritys"))
            .all(|l| l.signature));
        assert!(!lines.iter().any(|l| l.text.starts_with("--")));
    }

    #[test]
    fn own_forward_is_read_and_others_are_not() {
        let body = "Lähetän uudelleen.\n\n---------- Välitetty viesti ---------\nLähettäjä: Minna <minna@example>\nDate: ti 9.12.2025\nSubject: x\n\nHenkilötunnus 131052-308T\n";
        let own: Vec<String> = own_lines_from(body, Some("minna@example"))
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(own.iter().any(|l| l.contains("131052-308T")));
        assert!(!own.iter().any(|l| l.contains("Lähettäjä")));
        let other: Vec<String> = own_lines_from(body, Some("someone@example"))
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert!(!other.iter().any(|l| l.contains("131052-308T")));
    }

    #[test]
    fn long_lines_are_split_and_indent_is_measured() {
        let long = "a".repeat(5 * MAX_LINE_CHARS + 3);
        let lines = own_lines(&long);
        assert!(lines
            .iter()
            .all(|l| l.text.chars().count() <= MAX_LINE_CHARS));
        assert_eq!(
            lines.iter().map(|l| l.text.len()).sum::<usize>(),
            long.len()
        );
        assert_eq!(own_lines("    x")[0].indent, 4);
    }
}
