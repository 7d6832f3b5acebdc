//! Labelled lines — Kela's list and its variants (bullets, tabs, colons, dot leaders, dashes,
//! labels on their own line) and text forms (headings, numbered sections, check boxes) — and
//! the hand-off of every other line to prose reading.

use regex::Regex;
use std::sync::LazyLock;

use super::address::{self, Address};
use super::phone;
use super::prose;
use super::provider::ProviderMatcher;
use super::years;
use super::Collector;
use crate::request::clean::Line;
use crate::request::personal_id::{find_candidates, normalise};
use crate::request::vocab::{
    classify_label, is_request_word_label, is_requester_heading, LabelKind, NO, YES,
};

static BULLET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[-–—•*·▪►◦‣o>|]\s+|\(?\d{1,2}(?:\.\d{1,2})*[.)]?\s+|\(?[a-zA-Z][.)]\s+)")
        .expect("static regex")
});

/// Check boxes as people type them: ticked or not.
static CHECKBOX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?P<box>\[\s*[x✓✔*]\s*\]|\(\s*[x✓✔*]\s*\)|[☒☑✅✓✔]|\[\s*\]|\(\s*\)|[☐□])")
        .expect("static regex")
});

static UNDERLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[-=_~*+|]{4,}\s*$").expect("static regex"));

/// A separator between label and value: colon, tab, "?", dot leaders, a wide gap or a dash.
static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r":|\t|\?\s|\s?\.{2,}[\s.]*|\s*=\s*|\s{3,}|\s[-–—]\s").expect("static regex")
});

fn is_ticked(mark: &str) -> bool {
    let m = mark.to_lowercase();
    m.contains('x')
        || m.contains('✓')
        || m.contains('✔')
        || m.contains('*')
        || m.contains('☒')
        || m.contains('☑')
        || m.contains('✅')
}

/// Splits "Label: value" (any separator). The label must be one we know.
#[cfg(test)]
fn split_label(text: &str) -> Option<(LabelKind, String)> {
    split_label_sep(text).map(|(k, v, _)| (k, v))
}

/// As [`split_label`], also telling whether the value may continue on the lines below: only
/// after a colon (a label on its own line); a form row with dot leaders that is empty is empty.
fn split_label_sep(text: &str) -> Option<(LabelKind, String, bool)> {
    let body = match BULLET.find(text) {
        Some(m) => &text[m.end()..],
        None => text.trim_start(),
    };
    let Some(m) = SEPARATOR.find(body) else {
        // A label alone on its line ("Sukunimi ja etunimet", value on the next line).
        let label = body.trim();
        let bare = label.split_whitespace().count() <= 3
            && !label.chars().any(|c| c.is_ascii_digit())
            && !label.ends_with(['.', '!', ',', ';']);
        // A relative's name needs its colon: "Kaikki tyttäreni potilasasiakirjat" is a value.
        return bare
            .then(|| classify_label(label))
            .flatten()
            .filter(|k| !matches!(k, LabelKind::RelativeName { .. }))
            .map(|kind| (kind, String::new(), true));
    };
    if m.start() == 0 || body[..m.start()].chars().count() > 60 {
        return None;
    }
    let label = &body[..m.start()];
    // A label is a few words without digits; a dash or a wide gap is a weak separator, so
    // the words before it must look even more like a label.
    let weak = !matches!(
        m.as_str().trim_start().chars().next(),
        Some(':' | '\t' | '?' | '.' | '=')
    );
    let words = label.split_whitespace().count();
    // A sentence that happens to end in a colon ("… per sms. Mina kontaktuppgifter:") is
    // prose, not a label.
    // A comma is fine in a short label ("Surname, first names", "Nimi (sukunimi, etunimet)").
    let outside_parens: String = {
        let mut depth = 0usize;
        label
            .chars()
            .filter(|&c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                depth == 0 && c != ')'
            })
            .collect()
    };
    let sentence_inside = label.contains(". ")
        || label.contains("! ")
        || (outside_parens.contains(", ") && outside_parens.split_whitespace().count() > 4);
    if label.chars().any(|c| c.is_ascii_digit())
        || sentence_inside
        || words > if weak { 5 } else { 7 }
    {
        return None;
    }
    // "REQUEST – patient records": a title in capitals with a dash, not a label and its value
    // ("Begäran - kopior av mina journaler" is one).
    if weak && is_request_word_label(label) && !label.chars().any(char::is_lowercase) {
        return None;
    }
    let kind = classify_label(label)?;
    let may_continue = m.as_str().trim() == ":";
    Some((kind, body[m.end()..].trim().to_string(), may_continue))
}

/// Splits a value that holds more labels ("Vastaamo, hoitovuodet: 2016", "Korhonen\tEtunimet:
/// Matti"): the first value, then each further (label, value). A label starts after a comma,
/// a semicolon, a tab or a wide gap, and is one we know.
fn further_labels(value: &str) -> (String, Vec<(LabelKind, String)>) {
    let mut cuts: Vec<(usize, usize, LabelKind)> = Vec::new();
    for (colon, _) in value.match_indices(':') {
        let before = &value[..colon];
        let start = [", ", "; ", "\t", "   "]
            .iter()
            .filter_map(|d| before.rfind(d).map(|p| (p, p + d.len())))
            .max_by_key(|&(p, _)| p);
        let Some((cut, label_start)) = start else {
            continue;
        };
        let label = before[label_start..].trim();
        let words = label.split_whitespace().count();
        if words == 0 || words > 5 || label.chars().any(|ch| ch.is_ascii_digit()) {
            continue;
        }
        if let Some(kind) = classify_label(label) {
            if cuts
                .last()
                .is_none_or(|&(_, prev_colon, _)| cut > prev_colon)
            {
                cuts.push((cut, colon, kind));
            }
        }
    }
    if cuts.is_empty() {
        return (value.to_string(), Vec::new());
    }
    let first = value[..cuts[0].0]
        .trim()
        .trim_end_matches(',')
        .trim()
        .to_string();
    let mut more = Vec::new();
    for (k, &(_, colon, kind)) in cuts.iter().enumerate() {
        let end = cuts.get(k + 1).map_or(value.len(), |next| next.0);
        let v = value[colon + 1..end]
            .trim()
            .trim_end_matches([',', ';'])
            .trim();
        more.push((kind, v.to_string()));
    }
    (first, more)
}

/// A heading: a form's section title ("1. ASIAKKAAN TIEDOT", "CLIENT", "TÄYTTÄJÄ (jos …)").
fn is_heading(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.contains(':') || t.chars().count() > 70 {
        return false;
    }
    let t = BULLET.find(t).map_or(t, |m| &t[m.end()..]);
    // "00920 HELSINKI" is an address line, not a section title.
    if !t.chars().next().is_some_and(char::is_alphabetic) {
        return false;
    }
    let first: String = t
        .split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_string();
    first.chars().count() >= 3
        && first.chars().all(char::is_uppercase)
        && t.split_whitespace().count() <= 9
}

fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || v.chars().all(|c| "_-–—.…*/ ".contains(c))
        || [
            "n/a", "na", "-", "none", "inga", "ei ole", "ei", "nej", "no", "—", "?",
        ]
        .contains(&v.to_lowercase().as_str())
}

/// Reads the lines of one text into the collector.
pub(super) fn read_lines(lines: &[Line], c: &mut Collector, matcher: &ProviderMatcher) {
    let mut requester_section = false;
    let mut paragraph: Vec<String> = Vec::new();
    let flush = |paragraph: &mut Vec<String>, c: &mut Collector| {
        let refs: Vec<&str> = paragraph.iter().map(String::as_str).collect();
        c.prose(&refs, matcher);
        paragraph.clear();
    };
    // Each line is tried as "label: value" once; the continuation rules look ahead at it too.
    let labelled: Vec<Option<(LabelKind, String, bool)>> =
        lines.iter().map(|l| split_label_sep(&l.text)).collect();
    let mut sign_off: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if line.signature {
            sign_off.push(&line.text);
            i += 1;
            continue;
        }
        if line.is_blank() {
            flush(&mut paragraph, c);
            i += 1;
            continue;
        }
        if UNDERLINE.is_match(&line.text) {
            c.form_features += 1;
            flush(&mut paragraph, c);
            i += 1;
            continue;
        }
        if let Some((kind, value, may_continue)) = labelled[i].clone() {
            flush(&mut paragraph, c);
            // "Puhelin: 040 …, osoite: Sturenkatu 21": more than one label on the line.
            let (value, more) = further_labels(&value);
            let own_line = value.trim().is_empty() && may_continue && more.is_empty();
            let (mut values, next) = continuation(lines, &labelled, i, value, own_line, kind);
            if kind == LabelKind::SmsConsent && values.is_empty() && !c.printed {
                // "tekstari ok": a consent label alone on its line carries its own answer
                // (typed by the sender; a printed form's caption is only a caption).
                values.push(line.text.trim().to_string());
            }
            apply(kind, &values, requester_section, c, matcher);
            for (more_kind, more_value) in more {
                apply(more_kind, &[more_value], requester_section, c, matcher);
            }
            if own_line && kind != LabelKind::Additional {
                // Lines under a label on its own line often go on into prose ("87400 KAJAANI
                // Mitt telefonnummer är …"): read them as prose too.
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                c.prose(&refs, matcher);
            }
            i = next;
            continue;
        }
        let may_have_box = line
            .text
            .contains(['[', '(', '☒', '☑', '✅', '✓', '✔', '☐', '□']);
        if let Some(caps) = may_have_box
            .then(|| CHECKBOX.captures(&line.text))
            .flatten()
        {
            let boxm = caps.name("box").expect("group");
            let caption = line.text[boxm.end()..].trim();
            if boxm.start() <= line.indent + 2 && !caption.is_empty() {
                c.form_features += 1;
                flush(&mut paragraph, c);
                if let Some(LabelKind::SmsConsent) = classify_label(caption)
                    .or_else(|| prose::sms_consent(caption).map(|_| LabelKind::SmsConsent))
                {
                    c.labelled_sms.push(is_ticked(boxm.as_str()));
                }
                i += 1;
                continue;
            }
        }
        // A section title stands after a blank line (or a rule); an upper-case word inside a
        // paragraph ("00530\nHELSINGFORS.") is part of it.
        let after_break =
            i == 0 || lines[i - 1].is_blank() || UNDERLINE.is_match(&lines[i - 1].text);
        if after_break && is_heading(&line.text) && !line.text.trim_end().ends_with('.') {
            flush(&mut paragraph, c);
            c.form_features += 1;
            requester_section = is_requester_heading(&line.text);
            let stripped = BULLET
                .find(&line.text)
                .map_or(line.text.trim(), |m| &line.text[m.end()..]);
            if let Some(kind) = classify_label(stripped) {
                // A section title that is itself the label ("2. PYYDETYT TIEDOT") takes the
                // indented lines below it as its value.
                let mut j = i + 1;
                let mut values = Vec::new();
                // Indentation is often lost (HTML mail), so any plain lines below count.
                while j < lines.len()
                    && !lines[j].is_blank()
                    && !is_heading(&lines[j].text)
                    && labelled[j].is_none()
                    && CHECKBOX.find(&lines[j].text).is_none()
                {
                    values.push(lines[j].text.trim().to_string());
                    j += 1;
                }
                if !values.is_empty() {
                    apply(kind, &values, requester_section, c, matcher);
                    i = j;
                    continue;
                }
            }
            i += 1;
            continue;
        }
        if line_is_bare_name(&line.text) && next_to_identity_code(lines, i) {
            // A name alone on its line beside the identity code ("Tiina Ristola\n140296-502L"):
            // the weakest source of a name, used only when nothing else names the client.
            c.bare_names.push(line.text.trim().to_string());
        }
        paragraph.push(line.text.trim().to_string());
        i += 1;
    }
    flush(&mut paragraph, c);
    c.sign_off(&sign_off.join("\n"));
}

/// Two to four capitalised words and nothing else.
fn line_is_bare_name(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (2..=4).contains(&words.len())
        && words.iter().all(|w| {
            let w = w.trim_end_matches(',');
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
                && w.chars().skip(1).any(char::is_lowercase)
        })
        && classify_label(text).is_none()
}

fn next_to_identity_code(lines: &[Line], i: usize) -> bool {
    let near = |j: usize| {
        lines
            .get(j)
            .is_some_and(|l| !l.signature && !find_candidates(&l.text).is_empty())
    };
    near(i + 1) || (i > 0 && near(i - 1))
}

/// The value of a label: its own line's rest, then indented continuation lines (or, for a label
/// on its own line, the lines below it up to the next label or blank line).
fn continuation(
    lines: &[Line],
    labelled: &[Option<(LabelKind, String, bool)>],
    at: usize,
    first: String,
    own_line: bool,
    kind: LabelKind,
) -> (Vec<String>, usize) {
    let label_indent = lines[at].indent;
    let mut values = Vec::new();
    if !own_line {
        values.push(first);
    }
    let mut j = at + 1;
    while j < lines.len() {
        let l = &lines[j];
        // The first line under a label on its own line is its value even when it is written
        // in capitals ("PORVOO").
        let heading = is_heading(&l.text) && !(own_line && values.is_empty());
        // After a soft break the next line goes on, even if its words could be a label on
        // their own ("all my patient records and ⏎therapy notes").
        let soft_continued = values.last().is_some_and(|v| !v.trim().is_empty())
            && lines[j - 1].soft_break
            && !SEPARATOR.is_match(&l.text)
            && !l.is_blank();
        if !soft_continued
            && (l.is_blank() || UNDERLINE.is_match(&l.text) || labelled[j].is_some() || heading)
            || (!matches!(
                kind,
                LabelKind::SmsConsent | LabelKind::RequestedInformation
            ) && CHECKBOX
                .find(&l.text)
                .is_some_and(|m| m.start() <= l.indent + 2))
        {
            break;
        }
        // HTML mail loses indentation: an address's "00100 HELSINKI" line still belongs to it.
        // A value that ends in a comma or a soft break goes on on the next line (wrapped mail).
        let wrapped = values.last().is_some_and(|v| v.trim_end().ends_with(',')) || soft_continued;
        let indented = wrapped
            || l.indent > label_indent
            || (kind == LabelKind::Address
                && values.len() == 1
                && address::code_and_office(&l.text).is_some_and(|_| {
                    l.text
                        .trim_start()
                        .starts_with(|ch: char| ch.is_ascii_digit())
                }));
        if indented || own_line {
            values.push(l.text.trim().to_string());
            j += 1;
            continue;
        }
        break;
    }
    (values, j)
}

fn apply(
    kind: LabelKind,
    values: &[String],
    requester_section: bool,
    c: &mut Collector,
    matcher: &ProviderMatcher,
) {
    let joined = values.join(" ").trim().to_string();
    let keep_placeholder = matches!(kind, LabelKind::SmsConsent);
    if !keep_placeholder && is_placeholder(&joined) {
        return;
    }
    let clean = joined.trim_end_matches(['.', ',', ';']).trim().to_string();
    c.labelled_rows += 1;
    c.note_cues(&joined);
    if kind != LabelKind::PersonalId {
        // Any value may hold an identity code ("Henkilötiedot: Emilia Nyström, 120487-633X"),
        // and every code counts when two disagree.
        c.add_ids(&joined);
    }
    if kind != LabelKind::Additional && prose::sentences(&joined).len() > 1 {
        // A value that runs on into sentences ("… 120487-633U. Tekstiviesti-ilmoitusta en
        // tarvitse.") is read as prose too; labelled values still come first.
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        c.prose(&refs, matcher);
    }
    match kind {
        LabelKind::Surname | LabelKind::FirstNames | LabelKind::FullName { .. }
            if requester_section =>
        {
            c.requester_named = true;
        }
        LabelKind::Surname => {
            let (name, former) = split_former(&clean);
            c.labelled_surname.push(name);
            c.former.extend(former);
        }
        LabelKind::FirstNames => c.labelled_first.push(clean),
        LabelKind::FullName { surname_first } | LabelKind::RelativeName { surname_first } => {
            if matches!(kind, LabelKind::RelativeName { .. }) {
                // "Son: Lucas Henrik Andersson": the client is the writer's relative.
                c.on_behalf = true;
            }
            let (name, former) = split_former(&clean);
            // "af Hällström, Carl Johan": the comma, not the word count, splits the name — when
            // what follows it is names ("Tobias Lund, född 1985" is a name and a remark).
            match name.split_once(',') {
                Some((surname, first)) if !surname.trim().is_empty() && only_names(first) => {
                    c.labelled_split_names
                        .push((surname.trim().to_string(), first.trim().to_string()));
                }
                Some((full, _)) => c
                    .labelled_full
                    .push((full.trim().to_string(), surname_first)),
                None => c.labelled_full.push((name, surname_first)),
            }
            c.former.extend(former);
        }
        LabelKind::FormerNames => c.former.extend(prose::former_list(&clean)),
        LabelKind::PersonalId => {
            let before = c.ids.len();
            c.add_ids(&joined);
            if c.ids.len() == before && find_candidates(&joined).is_empty() {
                // A value that is no code at all is still what the person wrote as one.
                let n = normalise(&clean);
                if !c.ids.iter().any(|w| w.normalised == n) {
                    c.ids.push(super::WrittenId {
                        normalised: n,
                        invalid: Some(crate::request::personal_id::InvalidReason::Format),
                    });
                }
            }
        }
        LabelKind::RequestedInformation => {
            // A list of check boxes ("[X] Kaikki potilasasiakirjat"): what is ticked.
            let ticked: Vec<String> = values
                .iter()
                .filter_map(|v| {
                    let caps = CHECKBOX.captures(v)?;
                    let mark = caps.name("box")?;
                    is_ticked(mark.as_str()).then(|| v[mark.end()..].trim().to_string())
                })
                .filter(|t| !t.is_empty())
                .collect();
            if !ticked.is_empty() {
                c.labelled_info.push(ticked.join(", "));
            } else if !values.iter().any(|v| CHECKBOX.is_match(v)) {
                c.labelled_info.push(clean);
            }
        }
        LabelKind::ServiceProvider => provider_value(&clean, c, matcher),
        LabelKind::TreatmentYears => {
            let found = years::years_in_value(&clean);
            // "Hoitovuosi: 2106": a number where a year should be is an invalid year.
            if found.is_empty()
                && clean
                    .split(|ch: char| !ch.is_ascii_digit())
                    .any(|d| d.len() == 4)
            {
                c.years_invalid = true;
            }
            c.labelled_years.extend(found);
        }
        LabelKind::ProviderAndYears => {
            c.labelled_years.extend(years::years_in_value(&clean));
            let mut rest = clean.clone();
            for m in years::year_mentions(&clean).iter().rev() {
                rest.replace_range(m.start..m.end, "");
            }
            provider_value(rest.trim().trim_matches([',', ' ', '-']), c, matcher);
        }
        LabelKind::Phone => {
            // "050 649 3305 (please don't text me)": the number and a word on SMS.
            if let Some(consent) = prose::sms_consent(&joined) {
                c.sms.push(consent);
            }
            match phone::to_e164(&clean) {
                Some(p) => c.labelled_phones.push(p),
                None => {
                    let found: Vec<String> = phone::phone_mentions(&clean, &[])
                        .into_iter()
                        .filter_map(|p| p.e164)
                        .collect();
                    if found.is_empty() {
                        c.phone_invalid = true;
                    }
                    c.labelled_phones.extend(found);
                }
            }
        }
        LabelKind::SmsConsent => {
            if let Some(v) = consent_value(&joined) {
                c.labelled_sms.push(v);
            }
        }
        LabelKind::Address => {
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let mut found = address::addresses_in_lines(&refs);
            if found.is_empty() {
                // "Street 1 00100 City" without a comma, or a street only.
                found = address::addresses_in_lines(&[clean.replace(" 0", ", 0").as_str()]);
            }
            match found.into_iter().next() {
                Some(a) => c.labelled_addresses.push(a),
                None => c.address_invalid = true,
            }
        }
        LabelKind::Street => c.partial_address.street = Some(clean),
        LabelKind::PostalCode => match address::postal_code_only(&clean) {
            Some(code) => c.partial_address.code = Some(code),
            None => c.address_invalid = true,
        },
        LabelKind::PostOffice => {
            c.partial_address.office = Some(address::normal_case(&clean));
        }
        LabelKind::PostalCodeAndOffice => match address::code_and_office(&clean) {
            Some((code, office)) => {
                c.partial_address.code = Some(code);
                if office.is_some() {
                    c.partial_address.office = office;
                }
            }
            None => c.address_invalid = true,
        },
        LabelKind::RequesterName => c.requester_named = true,
        LabelKind::Relation => c.relation_stated = true,
        LabelKind::Additional => {
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            c.prose(&refs, matcher);
        }
        LabelKind::Ignored => {}
    }
    c.complete_partial_address();
}

/// A value from a form field whose label is known: read like a labelled line of a text form.
pub(super) fn apply_form_value(
    kind: LabelKind,
    values: &[String],
    requester_section: bool,
    c: &mut Collector,
    matcher: &ProviderMatcher,
) {
    apply(kind, values, requester_section, c, matcher);
}

fn provider_value(value: &str, c: &mut Collector, matcher: &ProviderMatcher) {
    // "Terapiakeskus Aalto Oy (ei siis Vastaamo)": what stands in brackets is a remark.
    let mut depth = 0usize;
    let main: String = value
        .chars()
        .filter(|&ch| {
            match ch {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    return false;
                }
                _ => {}
            }
            depth == 0 && ch != '('
        })
        .collect();
    let main = main.split_whitespace().collect::<Vec<_>>().join(" ");
    if main.is_empty() || is_placeholder(&main) {
        return;
    }
    match matcher.find_first(&main) {
        Some(canon) => c.labelled_providers.push(canon),
        None => c.unknown_providers.push(main),
    }
}

/// One to four capitalised words and nothing else.
fn only_names(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=4).contains(&words.len())
        && words.iter().all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars()
                    .all(|c| c.is_alphabetic() || c == '-' || c == '\'')
        })
}

/// "Virtanen (o.s. Korhonen)": the name and the former names in the parenthesis.
fn split_former(value: &str) -> (String, Vec<String>) {
    let mentions = prose::name_mentions(value);
    let former: Vec<String> = mentions
        .iter()
        .filter(|m| m.part == prose::NamePart::Former)
        .flat_map(|m| m.words.clone())
        .collect();
    let name = match value.find('(') {
        Some(p) if !former.is_empty() => value[..p].trim().to_string(),
        _ => value.to_string(),
    };
    (name, former)
}

/// A consent value: "kyllä" / "ei", or check boxes "[x] yes [ ] no".
fn consent_value(value: &str) -> Option<bool> {
    // "Kyllä [X]  Ei [ ]": when the text ends in a box, each caption stands before its box.
    let captions_before = CHECKBOX
        .find_iter(value)
        .last()
        .is_some_and(|m| value[m.end()..].trim().is_empty())
        && !CHECKBOX
            .find(value)
            .is_some_and(|m| value[..m.start()].trim().is_empty());
    let boxes: Vec<(bool, String)> = CHECKBOX
        .captures_iter(value)
        .filter_map(|caps| {
            let m = caps.name("box")?;
            let after = value[m.end()..]
                .split(|ch: char| !ch.is_alphabetic())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_lowercase();
            // "Kyllä [X]  Ei [ ]": the caption may stand before its box.
            let before = value[..m.start()]
                .split(|ch: char| !ch.is_alphabetic())
                .rfind(|w| !w.is_empty())
                .unwrap_or("")
                .to_lowercase();
            let word = if captions_before { before } else { after };
            Some((is_ticked(m.as_str()), word))
        })
        .collect();
    if !boxes.is_empty() {
        let yes = boxes.iter().any(|(t, w)| *t && YES.contains(&w.as_str()));
        let no = boxes.iter().any(|(t, w)| *t && NO.contains(&w.as_str()));
        return match (yes, no) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ if boxes.len() == 1 => Some(boxes[0].0),
            _ => None,
        };
    }
    let first = value
        .split(|ch: char| !ch.is_alphabetic())
        .find(|w| !w.is_empty())?
        .to_lowercase();
    if YES.contains(&first.as_str()) {
        Some(true)
    } else if NO.contains(&first.as_str()) {
        Some(false)
    } else {
        prose::sms_consent(value)
    }
}

/// Parts of an address given under separate labels.
#[derive(Default)]
pub(super) struct PartialAddress {
    street: Option<String>,
    code: Option<String>,
    office: Option<String>,
}

impl Collector {
    fn complete_partial_address(&mut self) {
        let p = &mut self.partial_address;
        if let (Some(street), Some(code), Some(office)) = (&p.street, &p.code, &p.office) {
            self.labelled_addresses.push(Address {
                street: street.clone(),
                postal_code: code.clone(),
                post_office: office.clone(),
            });
            *p = PartialAddress::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_separators() {
        for line in [
            "Sukunimi: Virtanen",
            "- Sukunimi: Virtanen",
            "• Sukunimi:\tVirtanen",
            "Sukunimi\tVirtanen",
            "   Sukunimi ...................... Virtanen",
            "SUKUNIMI:           Virtanen",
            "1) Sukunimi - Virtanen",
        ] {
            let (kind, value) = split_label(line).expect(line);
            assert_eq!(kind, LabelKind::Surname, "{line}");
            assert_eq!(value, "Virtanen", "{line}");
        }
        assert!(split_label("Hei Kela: tässä pyyntöni").is_none());
    }

    #[test]
    fn several_labels_on_one_line() {
        let (first, more) = further_labels("Vastaamo, hoitovuodet: 2016, 2018");
        assert_eq!(first, "Vastaamo");
        assert_eq!(
            more,
            vec![(LabelKind::TreatmentYears, "2016, 2018".to_string())]
        );
        let (first, more) = further_labels("Grönlund\tFörnamn:\tEmma Sofia");
        assert_eq!(first, "Grönlund");
        assert_eq!(
            more,
            vec![(LabelKind::FirstNames, "Emma Sofia".to_string())]
        );
        let (first, more) = further_labels("klo 12:30, kiitos");
        assert_eq!(first, "klo 12:30, kiitos");
        assert!(more.is_empty());
    }

    #[test]
    fn consent_values() {
        assert_eq!(consent_value("[x] kyllä  [ ] ei"), Some(true));
        assert_eq!(consent_value("[ ] yes  [X] no"), Some(false));
        assert_eq!(consent_value("[ ] ja  [ ] nej"), None);
        assert_eq!(consent_value("Kyllä"), Some(true));
        assert_eq!(consent_value("nej"), Some(false));
        assert_eq!(consent_value("☒"), Some(true));
        assert_eq!(consent_value("Kyllä [X]   Ei [ ]"), Some(true));
        assert_eq!(consent_value("Ja [ ]\tNej [X]"), Some(false));
    }

    #[test]
    fn headings() {
        assert!(is_heading("1. ASIAKKAAN TIEDOT"));
        assert!(is_heading("TÄYTTÄJÄ (jos muu kuin asiakas)"));
        assert!(!is_heading("Hei,"));
        assert!(!is_heading("SUKUNIMI: Virtanen"));
    }
}
