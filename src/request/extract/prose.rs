//! Fields written as sentences: names ("Nimeni on…", "Jag heter…", "My daughter's name is…"),
//! former names ("o.s.", "née", "f.d."), what is requested ("Pyydän saada…", "Jag begär…",
//! "Please send me…"), SMS consent and the years of treatment with their context.

use regex::Regex;
use std::sync::LazyLock;

use crate::request::vocab::{has_stem, normalise_label};

/// A capitalised name word, hyphenated parts and apostrophes included, or a lowercase
/// nobiliary particle that a capitalised word follows ("von Wright", "af Forselles").
const NAME_WORD: &str = r"(?:\p{Lu}[\p{Ll}\p{Lu}'’]*(?:-\p{Lu}[\p{Ll}'’]*)*|(?:von|af|de|van|der|da|di|le|la|du)\s+\p{Lu}[\p{Ll}'’]*)";

/// A cue and the blank (and colon) after it: where names may follow. The names are read by
/// [`NAMES`] from there, not by this pattern: the name words' Unicode classes, repeated, made
/// the search for a match's start (a reverse automaton) the costliest step of extraction.
fn cue_before_names(cue: &str) -> Regex {
    Regex::new(&format!(r"(?:^|[^\p{{L}}])(?i:{cue})\s*:?\s+")).expect("static regex")
}

/// Up to six name words, anchored where a cue ends. `(?i:…)` in the cue keeps it
/// case-insensitive while the names must be capitalised.
static NAMES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"^{w}(?:\s+{w}){{0,5}}", w = NAME_WORD)).expect("static regex")
});

/// Former names come as lists: "f.d. Enqvist och Pitkänen", "o.s. Korhonen, Laine".
static NAME_LIST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^{w}(?:(?:\s*,\s*|\s+(?:ja|och|and|sekä|samt)\s+|\s+){w}){{0,5}}",
        w = NAME_WORD
    ))
    .expect("static regex")
});

/// Who a name sentence is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    Writer,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePart {
    Full,
    Surname,
    First,
    Former,
}

struct NameCue {
    cue: Regex,
    whose: Whose,
    part: NamePart,
    /// Former names come as lists; every other part is one run of name words.
    names: &'static LazyLock<Regex>,
    words: fn(&str) -> Vec<String>,
}

/// Name cues: (cue pattern, whose name follows, which part of it).
const NAME_CUE_TABLE: &[(&str, Whose, NamePart)] = &[
    // Former names first: "entinen sukunimeni on X" also contains "sukunimeni on X".
    (
        r"entinen sukunimeni on|entiset sukunimeni ovat|aiempi sukunimeni on|omaa sukua|syntyjään|mitt tidigare efternamn är|mitt förra efternamn är|my former surname is|my previous surname is|my maiden name (?:is|was)|my birth name (?:is|was)",
        Whose::Writer,
        NamePart::Former,
    ),
    (
        r"(?:hänen )?entinen sukunimensä on|(?:hans|hennes) tidigare efternamn är|(?:his|her) former surname is|(?:his|her) maiden name (?:is|was)|(?:his|her) previous surname is",
        Whose::Other,
        NamePart::Former,
    ),
    (
        r"o\.\s?s\.|née|nee|f\.\s?d\.|född|ent\.|entinen sukunimi|entinen nimi|tidigare efternamn|tidigare namn|previously|formerly|former surname|born|syntynyt",
        Whose::Writer,
        NamePart::Former,
    ),
    (
        r"sukunimeni on|mitt efternamn är|my surname is|my family name is|my last name is",
        Whose::Writer,
        NamePart::Surname,
    ),
    (
        r"(?:hänen )?sukunimensä on|(?:hans|hennes|\p{L}+s) efternamn är|(?:his|her|\p{L}+'s) (?:surname|family name|last name) is",
        Whose::Other,
        NamePart::Surname,
    ),
    (
        r"etunimeni (?:on|ovat)|(?:mitt|mina) förnamn är|my first names? (?:is|are)|my given names? (?:is|are)",
        Whose::Writer,
        NamePart::First,
    ),
    (
        r"(?:hänen )?etunimensä (?:on|ovat)|(?:hans|hennes|\p{L}+s) förnamn är|(?:his|her|\p{L}+'s) (?:first|given) names? (?:is|are)",
        Whose::Other,
        NamePart::First,
    ),
    (
        r"nimeni on|minun nimeni on|nimi|namn|name|olen|mitt namn är|jag heter|my name is|my full name is|i am|i'm|this is|minä,|jag,|i,|allekirjoittanut|undertecknad|the undersigned",
        Whose::Writer,
        NamePart::Full,
    ),
    (
        r"(?:\p{L}+ )?nimi on|nimensä on|kyseessä on(?-i:(?: \p{Ll}+){0,2})|(?:hans|hennes|\p{L}+s) (?:fullständiga )?namn är|(?:his|her|\p{L}+'s) (?:full )?name is|(?:han|hon) heter|the client is|asiakas on|hän on|han är|hon är|he is|she is|(?:tyttäreni|poikani|lapseni|puolisoni|vaimoni|mieheni|äitini|isäni|veljeni|siskoni|sisareni|poikamme|tyttäremme|lapsemme|äitimme|isämme|(?:min|mitt|vår|vårt) (?:dotter|son|barn|fru|man|make|maka|mor|far|mamma|pappa|bror|syster)|(?:my|our) (?:daughter|son|child|wife|husband|spouse|partner|mother|father|mum|mom|dad|brother|sister))\s*,?",
        Whose::Other,
        NamePart::Full,
    ),
];

/// Which cues occur in a sentence, found in one pass, so only their own patterns run.
static ANY_NAME_CUE: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    regex::RegexSet::new(
        NAME_CUE_TABLE
            .iter()
            .map(|(c, _, _)| format!(r"(?i:{c})\s*:?\s+\S")),
    )
    .expect("static regex set")
});

static NAME_CUES: LazyLock<Vec<NameCue>> = LazyLock::new(|| {
    NAME_CUE_TABLE
        .iter()
        .map(|&(cue, whose, part)| {
            let (names, words): (_, fn(&str) -> Vec<String>) = if part == NamePart::Former {
                (&NAME_LIST, former_list)
            } else {
                (&NAMES, clean_words)
            };
            NameCue {
                cue: cue_before_names(cue),
                whose,
                part,
                names,
                words,
            }
        })
        .collect()
});

/// Words that are capitalised but never a person's name in these sentences.
const NOT_NAMES: &[&str] = &[
    "kela",
    "kelan",
    "kelalle",
    "fpa",
    "vastaamo",
    "psykoterapiakeskus",
    "psykoterapicentret",
    "psychotherapy",
    "helsinki",
    "helsingin",
    "finland",
    "suomi",
    "suomen",
    "finnish",
    "swedish",
    "english",
    "jag",
    "hän",
    "han",
    "hon",
    "he",
    "she",
    "i",
    "minä",
    "olen",
    "the",
    "a",
    "an",
    "mr",
    "mrs",
    "ms",
    "dr",
];

/// A name found in a sentence.
#[derive(Clone, PartialEq, Eq)]
pub struct NameMention {
    pub whose: Whose,
    pub part: NamePart,
    pub words: Vec<String>,
}

fn clean_words(raw: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut pending_particle: Option<&str> = None;
    for w in raw.split_whitespace() {
        let lower = w.to_lowercase();
        if NOT_NAMES
            .iter()
            .any(|n| lower == *n || lower.starts_with("vastaamo"))
        {
            break;
        }
        if w.chars().next().is_some_and(char::is_lowercase) {
            pending_particle = Some(w);
            continue;
        }
        match pending_particle.take() {
            Some(p) => words.push(format!("{p} {w}")),
            None => words.push(w.to_string()),
        }
    }
    words
}

const MAX_NAMES_PER_SENTENCE: usize = 32;

/// Names stated in one sentence (or paragraph), in order.
pub fn name_mentions(sentence: &str) -> Vec<NameMention> {
    // One pass over the sentence for any cue before running each cue's own pattern: most
    // sentences name nobody.
    let present = ANY_NAME_CUE.matches(sentence);
    if !present.matched_any() {
        return Vec::new();
    }
    let mut out: Vec<NameMention> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (_, cue) in NAME_CUES
        .iter()
        .enumerate()
        .filter(|(i, _)| present.matched(*i))
    {
        let names: &Regex = cue.names;
        let mut from = 0;
        while let Some(found) = cue.cue.find_at(sentence, from) {
            let Some(taken_len) = names.find(&sentence[found.end()..]).map(|m| m.end()) else {
                // No names here; another cue may still begin inside this one.
                from = next_char(sentence, found.start());
                continue;
            };
            let (start, end) = (found.end(), found.end() + taken_len);
            from = end;
            // No sentence names more people; the cap keeps the overlap check bounded.
            if out.len() >= MAX_NAMES_PER_SENTENCE {
                return out;
            }
            if taken.iter().any(|&(s, e)| start < e && end > s) {
                continue;
            }
            let said = &sentence[start..end];
            let words = (cue.words)(said);
            if words.is_empty() {
                continue;
            }
            taken.push((start, end));
            out.push(NameMention {
                whose: cue.whose,
                part: cue.part,
                words,
            });
        }
    }
    out
}

/// The byte offset of the character after the one at `at`.
fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len(), |c| at + c.len_utf8())
}

/// "Korhonen ja Laine", "Korhonen, Laine": each former name on its own.
pub fn former_list(value: &str) -> Vec<String> {
    static SPLIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\s*(?:,|;|/|\s+(?:ja|och|and|sekä|samt|&)\s+)\s*").expect("static regex")
    });
    SPLIT
        .split(value.trim())
        .flat_map(|part| {
            let w = clean_words(part);
            if w.is_empty() {
                None
            } else {
                Some(w.join(" "))
            }
        })
        .collect()
}

/// Words that turn an SMS sentence into a refusal.
const SMS_NEGATION: &[&str] = &[
    " en ",
    " ei ",
    " älkää ",
    " älä ",
    " kiellän ",
    " inte ",
    " ej ",
    " ingen ",
    " inga ",
    " not ",
    " don't ",
    " do not ",
    " no ",
    " never ",
    " without ",
];
const SMS_WORDS: &[&str] = &[
    "tekstiviest",
    "sms",
    "saapumisilmoitu",
    "ankomstavi",
    "avisering",
    "text message",
    "arrival notice",
    "arrival notification",
    "tekstari",
    "textmeddelande",
    "text notification",
    "text me",
    "texts",
    "texting",
    "tekstata",
];

/// Consent to an SMS arrival notice stated in a sentence: Some(true/false), or None when the
/// sentence does not speak of it.
pub fn sms_consent(sentence: &str) -> Option<bool> {
    // Most sentences say nothing of SMS: one pass to find out before normalising.
    static ANY_SMS_WORD: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(SMS_WORDS)
            .expect("automaton")
    });
    if !ANY_SMS_WORD.is_match(sentence) {
        return None;
    }
    // Only the clause that speaks of SMS counts: "En halua puhelinsoittoja, mutta
    // tekstiviesti käy hyvin."
    let clause = sentence
        .split([';', '('])
        .flat_map(|c| {
            c.split(", mutta")
                .flat_map(|c| c.split(", men"))
                .flat_map(|c| c.split(", but"))
        })
        .find(|c| ANY_SMS_WORD.is_match(c))
        .unwrap_or(sentence);
    let n = normalise_label(clause);
    if !SMS_WORDS.iter().any(|w| has_stem(&n, w) || n.contains(w)) {
        // The SMS word stood in another clause of the sentence.
        let whole = normalise_label(sentence);
        if !SMS_WORDS
            .iter()
            .any(|w| has_stem(&whole, w) || whole.contains(w))
        {
            return None;
        }
    }
    if SMS_FINE.iter().any(|w| n.contains(w)) {
        return Some(true);
    }
    Some(!SMS_NEGATION.iter().any(|w| n.contains(w)))
}

/// Phrases that say yes although they contain a negation ("ei ole ongelma", "no problem").
const SMS_FINE: &[&str] = &[
    " ei ole ongelma",
    " ei haittaa",
    " käy hyvin",
    " sopii",
    " no problem",
    " not a problem",
    " is fine",
    " are fine",
    " are ok",
    " is ok",
    " inget problem",
    " går bra",
    " går fint",
    " passar",
];

/// Words before a phone number that make it someone else's: a third person or a relative.
const THIRD_PERSON: &[&str] = &[
    "hänen",
    "hänelle",
    "häneen",
    "hänet",
    "heidän",
    "hans",
    "hennes",
    "honom",
    "henne",
    "deras",
    "his",
    "her",
    "him",
    "their",
    "them",
    "terapeut",
    "therapist",
    "psykolog",
    "psycholog",
    "lääkär",
    "läkare",
    "doctor",
    "vastaanotto",
    "dotter",
    "dotters",
    "son",
    "sons",
    "daughter",
    "husband",
    "wife",
    "mother",
    "father",
    "partner",
    "sister",
    "brother",
    "tytär",
    "tyttären",
    "pojan",
    "äidin",
    "isän",
    "vaimon",
    "miehen",
    "puolison",
];
const FIRST_PERSON: &[&str] = &[
    "minun",
    "minut",
    "minuun",
    "minulle",
    "numeroni",
    "puhelinnumeroni",
    "puhelimeni",
    "my",
    "me",
    "mine",
    "mitt",
    "min",
    "mig",
    "jag",
    "i",
    "oma",
    "omani",
    "own",
    "egen",
    "eget",
];

/// Whether the words just before a phone number say it belongs to someone else ("hänen
/// numeronsa oli", "hennes nummer är"); the nearest person word decides.
pub fn belongs_to_someone_else(before: &str) -> bool {
    let tail_start = before.len().saturating_sub(200);
    let mut start = tail_start;
    while !before.is_char_boundary(start) {
        start += 1;
    }
    for word in before[start..].split_whitespace().rev().take(8) {
        let w: String = word
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '\'')
            .flat_map(char::to_lowercase)
            .collect();
        if word.ends_with(['.', '!', '?']) && !w.is_empty() && w.len() > 3 {
            // The previous sentence.
            break;
        }
        let third_suffix = (w.ends_with("nsa") || w.ends_with("nsä")) && w.len() > 5;
        if third_suffix
            || THIRD_PERSON
                .iter()
                .any(|t| w == *t || (t.len() > 5 && w.starts_with(t)))
            || crate::request::vocab::RELATIONS.iter().any(|r| w == *r)
        {
            return true;
        }
        // "puhelinnumeroni": the Finnish first-person suffix.
        if FIRST_PERSON.contains(&w.as_str()) || w.ends_with("ni") && w.len() > 5 {
            return false;
        }
    }
    false
}

static RELATIVE_WITH_RECORDS: LazyLock<Regex> = LazyLock::new(|| {
    let relations: Vec<String> = crate::request::vocab::RELATIONS
        .iter()
        .map(|r| regex::escape(r).replace(' ', r"\s+"))
        .collect();
    Regex::new(&format!(
        r"(?i)(?:^|[^\p{{L}}])(?:{}|hänen|hans|hennes|his|her|their|heidän)(?:'s|s)?\s+(?:\p{{L}}+\s+){{0,2}}?(?:potilas|asiakirj|tiedo|tietoj|terapia|muistiinpan|kertomu|journal|uppgift|handling|anteckning|patient|record|file|notes|henkilötunnu|personbeteckning|identity\s+code|id\s+code|therapy|begäran|pyyntö|tietopyyn|request|hakemus|ansökan|application|lomake|blankett|form\b)",
        relations.join("|")
    ))
    .expect("static regex")
});

/// An age written for the client ("16-vuotias", "12 år gammal", "15 years old"): a writer
/// giving an age is usually writing about a child.
static AGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d{1,2}\s*-?\s*(?:vuotias|v\.\s|år\s+gammal|years?\s+old|year-old)")
        .expect("static regex")
});

/// "tyttäreni potilasasiakirjat", "min dotters journal", "her therapy records", "hennes
/// begäran", "16-vuotias": the records asked for are someone else's.
pub fn relative_with_records(text: &str) -> bool {
    RELATIVE_WITH_RECORDS.is_match(text)
}

/// An age stated in the text.
pub fn states_an_age(text: &str) -> bool {
    AGE.is_match(text)
}

/// Cue words for years in a sentence: treatment, or something else (death, birth).
const TREATMENT_CUES: &[&str] = &[
    "terap",
    "asiakkaa",
    "asiakas",
    "hoido",
    "hoito",
    "hoidet",
    "kävin",
    "käyn",
    "kävi ",
    "vastaanotolla",
    "vuosina",
    "vuonna",
    "vuosien",
    "käynn",
    "klient",
    "vård",
    "behandl",
    "terapi",
    "besök",
    "åren",
    "therapy",
    "client",
    "patient",
    "treatment",
    "treated",
    "attended",
    "sessions",
    "visited",
    "saw",
    "between",
    "during",
    "from",
    "vastaamo",
    "psykoterap",
    "psychotherap",
    "gick",
    "besökte",
    "olin ",
];
const OTHER_YEAR_CUES: &[&str] = &[
    "kuol",
    "menehty",
    "edesmen",
    "avled",
    "gick bort",
    "död",
    "died",
    "passed away",
    "deceased",
    "death",
    "synty",
    "född",
    "born",
    "päivä",
    "dated",
    "date",
    "datum",
    "nyt ",
    "now ",
    "nu ",
    "tänä",
    "this year",
];

/// Words that introduce years of any kind: they never decide the context on their own.
const WEAK_YEAR_CUES: &[&str] = &[
    "vuonna", "vuosina", "vuosien", "åren", "år ", "between", "during", "from", "in ",
];

/// What the words before a year say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearContext {
    Treatment,
    Other,
    Unknown,
}

/// Events that are not treatment: a year right next to one ("the 2020 data breach",
/// "tietomurto 2020") is the event's year.
const EVENT_CUES: &[&str] = &[
    "breach",
    "tietomurto",
    "murto",
    "dataintrång",
    "intrång",
    "hack",
    "hakkeroi",
    "leak",
    "vuoto",
    "kiristys",
    "blackmail",
    "utpressning",
];

/// What a whole sentence says about its years, computed once per sentence (a sentence of
/// thousands of years must not be re-read for each of them).
#[derive(Debug, Clone, Copy, Default)]
pub struct SentenceCues {
    other: bool,
    treatment: bool,
}

pub fn sentence_cues(sentence: &str) -> SentenceCues {
    let whole = normalise_label(sentence);
    SentenceCues {
        other: OTHER_YEAR_CUES.iter().any(|c| has_stem(&whole, c)),
        treatment: TREATMENT_CUES.iter().any(|c| has_stem(&whole, c)),
    }
}

/// Looks back from `at` in `sentence` for the nearest cue word (`end`: where the year ends).
pub fn year_context(sentence: &str, at: usize, end: usize, whole: SentenceCues) -> YearContext {
    let before = &sentence[..at];
    let close_before = before.split_whitespace().rev().take(1);
    let close_after = sentence[end.min(sentence.len())..]
        .split_whitespace()
        .take(2);
    if close_before
        .chain(close_after)
        .any(|w| EVENT_CUES.iter().any(|c| has_stem(&normalise_label(w), c)))
    {
        return YearContext::Other;
    }
    let words: Vec<&str> = before.split_whitespace().rev().take(10).collect();
    // Two-word cues first ("gick bort 2021", "passed away in 2020").
    for pair in words.windows(2).take(3) {
        let phrase = normalise_label(&format!("{} {}", pair[1], pair[0]));
        if OTHER_YEAR_CUES
            .iter()
            .any(|c| c.contains(' ') && phrase.contains(c))
        {
            return YearContext::Other;
        }
    }
    for w in &words {
        let n = normalise_label(w);
        if OTHER_YEAR_CUES.iter().any(|c| has_stem(&n, c)) {
            return YearContext::Other;
        }
        // "vuonna", "åren", "during" introduce any year, a death's as well as a treatment's.
        if TREATMENT_CUES.iter().any(|c| has_stem(&n, c))
            && !WEAK_YEAR_CUES.iter().any(|c| has_stem(&n, c))
        {
            return YearContext::Treatment;
        }
    }
    // Phrases of two words ("passed away", "gick bort").
    let tail = normalise_label(&words.iter().rev().copied().collect::<Vec<_>>().join(" "));
    if OTHER_YEAR_CUES
        .iter()
        .any(|c| c.contains(' ') && tail.contains(c))
    {
        return YearContext::Other;
    }
    if whole.other {
        return YearContext::Other;
    }
    if whole.treatment {
        return YearContext::Treatment;
    }
    YearContext::Unknown
}

/// Splits a paragraph into sentences without breaking at abbreviations ("o.s.", "puh.").
pub fn sentences(paragraph: &str) -> Vec<&str> {
    const ABBREV: &[&str] = &[
        "o.s", "f.d", "puh", "p", "tel", "tfn", "as", "bost", "esim", "mm", "ns", "nro", "n", "ca",
        "ps", "s", "t", "ent", "lgh", "tn", "st", "mr", "mrs", "dr", "klo", "kl", "e.g", "i.e",
        "no", "nr", "apt", "ap",
    ];
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = paragraph.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if (c == b'.' || c == b'!' || c == b'?') && i + 1 < bytes.len() && bytes[i + 1] == b' ' {
            // After the separator itself, whatever its width in UTF-8 (an em space is three
            // bytes).
            let word_start = paragraph[..i]
                .char_indices()
                .rev()
                .find(|&(_, ch)| ch.is_whitespace() || ch == '(')
                .map_or(0, |(p, ch)| p + ch.len_utf8());
            let word = paragraph[word_start..i].to_lowercase();
            let single_upper = word.chars().count() == 1
                && paragraph[word_start..i].chars().all(char::is_uppercase);
            let next_upper = paragraph[i + 2..].chars().next().is_some_and(|ch| {
                // People who write in lower case still end sentences: "…vastaamosta. olin…".
                ch.is_uppercase()
                    || ch.is_ascii_digit()
                    || (ch.is_lowercase() && word.chars().count() >= 3)
            });
            if c != b'.' || (!ABBREV.contains(&word.as_str()) && !single_upper && next_upper) {
                out.push(&paragraph[start..=i]);
                start = i + 2;
                i += 2;
                continue;
            }
        }
        i += 1;
    }
    if start < paragraph.len() {
        out.push(&paragraph[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(sentence: &str) -> Vec<(Whose, NamePart, String)> {
        name_mentions(sentence)
            .into_iter()
            .map(|m| (m.whose, m.part, m.words.join(" ")))
            .collect()
    }

    #[test]
    fn names_in_three_languages() {
        use NamePart::*;
        use Whose::*;
        assert_eq!(
            full("Olen Sinikka Ella Johanna Ahonen ja henkilötunnukseni on 110800A2642."),
            vec![(Writer, Full, "Sinikka Ella Johanna Ahonen".into())]
        );
        assert_eq!(
            full("Nimeni on Anna Virtanen (o.s. Korhonen)."),
            vec![
                (Writer, Former, "Korhonen".into()),
                (Writer, Full, "Anna Virtanen".into())
            ]
        );
        assert_eq!(
            full("Min dotters namn är Emma Lind."),
            vec![(Other, Full, "Emma Lind".into())]
        );
        assert_eq!(
            full("Tyttäreni nimi on Emma Virtanen."),
            vec![(Other, Full, "Emma Virtanen".into())]
        );
        assert_eq!(
            full("My surname is Smith."),
            vec![(Writer, Surname, "Smith".into())]
        );
        assert_eq!(
            full("Etunimeni ovat Matti Juhani."),
            vec![(Writer, First, "Matti Juhani".into())]
        );
        assert!(full("Olen Vastaamon entinen asiakas.").is_empty());
        assert!(full("I am writing to make a request.").is_empty());
    }

    #[test]
    fn names_after_a_cue_that_names_nobody_and_inside_names() {
        use NamePart::*;
        use Whose::*;
        // "I am" names nobody here; the search goes on and finds "my name is".
        assert_eq!(
            full("I am writing because my name is Liisa von Wright."),
            vec![(Writer, Full, "Liisa von Wright".into())]
        );
        // The words after a cue are read once: "Olen" (never a name) voids them, and is not
        // taken again as the cue "olen" with "Virtanen" after it.
        assert!(full("Nimeni on Olen Virtanen.").is_empty());
        // A list of former names is one mention of two names.
        assert_eq!(
            full("Mitt namn är Anna Lind, f.d. Enqvist och Pitkänen."),
            vec![
                (Writer, Former, "Enqvist Pitkänen".into()),
                (Writer, Full, "Anna Lind".into())
            ]
        );
    }

    #[test]
    fn sms_and_year_context() {
        assert_eq!(
            sms_consent("Saapumisilmoituksen saa lähettää tekstiviestillä."),
            Some(true)
        );
        assert_eq!(
            sms_consent("En halua saapumisilmoitusta tekstiviestinä."),
            Some(false)
        );
        assert_eq!(
            sms_consent("Please do not send SMS notifications."),
            Some(false)
        );
        assert_eq!(sms_consent("Kiitos."), None);
        let s = "Äitini kuoli vuonna 2022.";
        let at = s.find("2022").unwrap();
        assert_eq!(
            year_context(s, at, at + 4, sentence_cues(s)),
            YearContext::Other
        );
        let s = "I received a blackmail email after the 2020 data breach.";
        let at = s.find("2020").unwrap();
        assert_eq!(
            year_context(s, at, at + 4, sentence_cues(s)),
            YearContext::Other
        );
        let s = "I had therapy at the clinic that was hacked, in 2017-2018.";
        let at = s.find("2017").unwrap();
        assert_eq!(
            year_context(s, at, at + 9, sentence_cues(s)),
            YearContext::Treatment
        );
        let s = "Kävin terapiassa vuosina 2015-2018.";
        assert_eq!(
            year_context(
                s,
                s.find("2015").unwrap(),
                s.find("2015").unwrap() + 9,
                sentence_cues(s)
            ),
            YearContext::Treatment
        );
    }

    #[test]
    fn sentences_keep_abbreviations() {
        assert_eq!(
            sentences("Olen Anna Virtanen (o.s. Korhonen). Puh. 040 123. Kiitos."),
            vec![
                "Olen Anna Virtanen (o.s. Korhonen).",
                "Puh. 040 123.",
                "Kiitos."
            ]
        );
    }
}
