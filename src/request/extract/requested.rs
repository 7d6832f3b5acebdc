//! What is requested, from a sentence: after a request verb ("pyydän", "jag begär", "I would
//! like"), the phrase around the first word that names records ("potilasasiakirjat",
//! "journalhandlingar", "records"). The phrase starts after the last verb or particle before
//! that word ("…saada | kaikki potilastietoni") and ends where a provider, period or reason
//! begins ("… | ajalta, jolloin…", "… | from Vastaamo", "… | as next of kin").

use regex::Regex;
use std::sync::LazyLock;

use crate::request::vocab::normalise_label;

/// Verbs and phrases that ask for something, in three languages.
static REQUEST_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)(?:^|[^\p{L}])(?:
            pyydä[nt]|pyydämme|pyytäisin|pyydetään|haluan|haluaisin|haluamme|haluaisimme|tarvitsen|tarvitsisin|toivon|toivoisin|toivomme
          | begär|begära|ber\s+om|ber\s+att\s+få|vill\s+ha|vill\s+få|vill|skulle\s+vilja|önskar|behöver
          | request|requesting|requested|would\s+like|i['’]d\s+like|please\s+send|please\s+provide|please\s+forward|need|ask\s+for|asking\s+for|obtain|want|wish\s+to\s+receive
        )(?:$|[^\p{L}])",
    )
    .expect("static regex")
});

/// Words that name records. A phrase needs one; the strong ones name records outright.
const STRONG_RECORD_WORDS: &[&str] = &[
    "asiakirj",
    "muistiinpan",
    "kertomu",
    "potilastie",
    "potilastiedo",
    "potilasrekister",
    "kirjauk",
    "kirjaukse",
    "merkinnä",
    "merkinn",
    "paperi",
    "journal",
    "anteckning",
    "patientuppgift",
    "patientjournal",
    "handling",
    "record",
    "notes",
    "file",
    "documents",
    "document",
    "papers",
];
const WEAK_RECORD_WORDS: &[&str] = &[
    "tiedo",
    "tiedot",
    "tietoj",
    "tietoni",
    "jäljenn",
    "kopio",
    "terapia",
    "uppgift",
    "kopi",
    "utdrag",
    "data",
    "information",
    "copy",
    "copies",
];

/// Words that end the request verb's run-up: the phrase starts after the last of these.
const LEFT_STOPS: &[&str] = &[
    "saada",
    "saamaan",
    "saisin",
    "saadakseni",
    "toimitetaan",
    "toimittamaan",
    "toimittaa",
    "lähetetään",
    "lähettämään",
    "lähettää",
    "antamaan",
    "luovuttamaan",
    "nyt",
    "että",
    "minulle",
    "itselleni",
    "meille",
    "nojalla",
    "mukaisesti",
    "pyydän",
    "haluan",
    "haluaisin",
    "tarvitsisin",
    "tarvitsen",
    "puolesta",
    "puolestaan",
    "puolestani",
    "räkning",
    "behalf",
    "få",
    "ut",
    "att",
    "härmed",
    "nu",
    "begära",
    "begär",
    "vill",
    "to",
    "obtain",
    "receive",
    "get",
    "request",
    "requesting",
    "me",
    "us",
    "please",
    "send",
    "provide",
    "like",
    "need",
    "hereby",
    "now",
    "am",
    "i",
    "we",
    "would",
    "jag",
    "vi",
    "for",
    "about",
    "see",
    "access",
];

/// Where the phrase ends.
static RIGHT_CUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
          \s+(?:ajalta|siltä\s+ajalta|ajanjaksolta|väliseltä\s+ajalta|vuosilta|vuodelta|jolloin|koska|sillä|mutta
               |för\s+perioden|under\s+åren|under\s+tiden|eftersom|men
               |for\s+the\s+period|during|since|because|but|as\s+soon
               |as\s+next\s+of\s+kin|as\s+a\s+relative|as\s+(?:his|her|their)\s+\p{L}+|omaisena|huoltajana|osakkaana|som\s+anhörig|som\s+vårdnadshavare
               |to\s+(?:my|our|this|the\s+following)\s+(?:home\s+|postal\s+)?address|osoitteeseen(?:ni)?|till\s+(?:min|vår|följande)\s+adress
               |under\s+the\s+gdpr|under\s+gdpr|according\s+to|pursuant\s+to|in\s+accordance\s+with|enligt|tietosuoja-asetuksen|gdpr)\b
        | \s+(?:från|from|hos|at|by|held\s+by|kept\s+by|vid)\s+(?:the\s+|den\s+)?(?-i:\p{Lu})
        | \s+(?-i:(?:\p{Lu}\p{L}*\s+){0,2}\p{Lu}[\p{L}:]*(?:sta|stä|lta|ltä))\b
        | ,\s | ;\s | \s+–\s | \s+-\s | \(
        ",
    )
    .expect("static regex")
});

fn is_record_word(word: &str, list: &[&str]) -> bool {
    let w = word.to_lowercase();
    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
    // Strong words also end compounds ("potilasasiakirjat"); weak ones only start a word,
    // or "tietosuoja" would be "tieto".
    let compound = std::ptr::eq(list, STRONG_RECORD_WORDS);
    list.iter()
        .any(|r| w.starts_with(r) || (compound && r.len() >= 5 && w.contains(r)))
}

/// Roles in which someone asks ("omaisena", "osakkaana"): not part of the thing asked for.
fn is_essive(word: &str) -> bool {
    const ROLES: &[&str] = &[
        "omaisena",
        "lähiomaisena",
        "osakkaana",
        "huoltajana",
        "edunvalvojana",
        "perillisenä",
        "asianosaisena",
        "valtuutettuna",
        "asiamiehenä",
        "puolisona",
        "vanhempana",
    ];
    ROLES.contains(&word.to_lowercase().as_str())
}

const QUALIFIERS: &[&str] = &[
    "my",
    "mine",
    "his",
    "her",
    "their",
    "our",
    "all",
    "every",
    "complete",
    "full",
    "whole",
    "mina",
    "min",
    "mitt",
    "hans",
    "hennes",
    "deras",
    "alla",
    "samtliga",
    "hela",
    "minun",
    "hänen",
    "heidän",
    "kaikki",
    "kaikkia",
    "koko",
    "mun",
    "about",
    "concerning",
    "regarding",
    "koskevat",
    "om",
    "gällande",
    "rörande",
];

/// Whether the words of a phrase around its vague record word say whose or how much.
fn qualified(words: &[&str], at: usize) -> bool {
    let record = words[at].to_lowercase();
    // Finnish possessive suffixes: "tietoni", "tietojaan", "tietonsa".
    let possessive = ["ni", "nsa", "nsä", "aan", "ään", "mme"].iter().any(|s| {
        record
            .trim_matches(|c: char| !c.is_alphanumeric())
            .ends_with(s)
    });
    let near = words
        .iter()
        .map(|w| w.to_lowercase())
        .any(|w| QUALIFIERS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric())));
    possessive || near
}

/// The requested information in one sentence, if the sentence asks for records.
pub fn requested_information(sentence: &str) -> Option<String> {
    // A question ("How do I request my records?") asks about the process, not for records.
    if sentence.trim_end().ends_with('?') {
        return None;
    }
    let verb = REQUEST_VERB.find(sentence)?;
    let rest = &sentence[verb.end().min(sentence.len())..];
    let rest = rest.trim_end_matches(['.', '!', '?', ' ']);
    // Words with their offsets; the phrase is built around the first record word, and only
    // what follows that word can end it ("Pyydän nyt, että…" keeps going past its comma).
    let words: Vec<(usize, &str)> = rest
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - rest.as_ptr() as usize, w))
        .collect();
    let record_at = words
        .iter()
        .position(|(_, w)| is_record_word(w, STRONG_RECORD_WORDS))
        .or_else(|| {
            words
                .iter()
                .position(|(_, w)| is_record_word(w, WEAK_RECORD_WORDS))
        })?;
    let strong = is_record_word(words[record_at].1, STRONG_RECORD_WORDS);
    // "make a request for information", "begäran om uppgifter": the act of asking.
    let act_of_asking = words[record_at.saturating_sub(3)..record_at]
        .iter()
        .any(|(_, w)| {
            let w = w.to_lowercase();
            w.starts_with("request") || w.starts_with("begäran") || w.ends_with("pyyntö")
        });
    if !strong && act_of_asking {
        return None;
    }
    let record_end = words[record_at].0 + words[record_at].1.len();
    let cut = RIGHT_CUT
        .find_at(rest, record_end.min(rest.len()))
        .map_or(rest.len(), |m| m.start());
    let record_word_cut =
        words[record_at].1.trim_end_matches([',', ';', ':']).len() < words[record_at].1.len();
    let words: Vec<&str> = words
        .iter()
        .take_while(|(at, _)| *at < cut)
        .map(|(_, w)| *w)
        .take(if record_word_cut {
            record_at + 1
        } else {
            usize::MAX
        })
        .collect();
    let mut start = record_at;
    while start > 0 {
        let prev = words[start - 1]
            .to_lowercase()
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        // "ta del av mina uppgifter": here "av" ends the run-up; in "en kopia av" it does not.
        let take_part = prev == "av" && start >= 2 && words[start - 2].eq_ignore_ascii_case("del");
        if LEFT_STOPS.contains(&prev.as_str()) || is_essive(&prev) || take_part {
            break;
        }
        start -= 1;
    }
    let phrase: Vec<&str> = words[start..].to_vec();
    // A vague word ("information", "uppgifter") names records only when it is someone's or
    // all of it: "kaikki potilastietoni", "all information about me" — not "mer information".
    if !strong && !qualified(&phrase, record_at - start) {
        return None;
    }
    if phrase.is_empty() || phrase.len() > 20 {
        return None;
    }
    let joined = phrase.join(" ");
    let lower = normalise_label(&joined);
    // "make a request for information" is the act of asking, not what is asked for.
    if lower.starts_with(" a request")
        || lower.starts_with(" tietopyyn")
        || lower.starts_with(" en begäran")
    {
        return None;
    }
    Some(
        joined
            .trim_matches(|c: char| c == ',' || c == ':' || c == ';')
            .trim()
            .to_string(),
    )
}

/// How well a phrase names records: 2 outright, 1 vaguely.
pub fn record_strength(phrase: &str) -> u8 {
    if phrase
        .split_whitespace()
        .any(|w| is_record_word(w, STRONG_RECORD_WORDS))
    {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(s: &str) -> Option<String> {
        requested_information(s)
    }

    #[test]
    fn phrases_after_request_verbs() {
        let cases = [
            ("Pyydän saada terapiakäyntieni muistiinpanot ajalta, jolloin olin Vastaamon asiakkaana.", "terapiakäyntieni muistiinpanot"),
            ("Pyydän nyt, että minulle toimitetaan jäljennökset kaikista potilasasiakirjoistani.", "jäljennökset kaikista potilasasiakirjoistani"),
            ("Pyydän tietosuoja-asetuksen nojalla saada kaikki minusta Vastaamossa kirjatut tiedot.", "kaikki minusta Vastaamossa kirjatut tiedot"),
            ("Tarvitsisin kaikki mun paperit Vastaamosta.", "kaikki mun paperit"),
            ("Pyydän kuolinpesän osakkaana jäljennökset äitini terapiakäyntien muistiinpanoista.", "jäljennökset äitini terapiakäyntien muistiinpanoista"),
            ("Jag vill nu begära ut alla mina journalanteckningar.", "alla mina journalanteckningar"),
            ("Jag begär mina journalhandlingar från Vastaamo.", "mina journalhandlingar"),
            ("Skulle vilja få ut min journal.", "min journal"),
            ("Vi begär en kopia av hans journal.", "en kopia av hans journal"),
            ("I am writing to request my psychotherapy records.", "my psychotherapy records"),
            ("I'd like a copy of my records from the Vastaamo psychotherapy centre.", "a copy of my records"),
            ("I would now like to obtain a full copy of my patient file.", "a full copy of my patient file"),
            ("Please send me all documents Vastaamo holds about me.", "all documents Vastaamo holds about me"),
            ("I am requesting my complete therapy records under the GDPR.", "my complete therapy records"),
            ("I am requesting the records as next of kin.", "the records"),
            ("Olen huoltaja ja pyydän hänen puolestaan kaikki häntä koskevat potilasasiakirjat Psykoterapiakeskus Vastaamolta.", "kaikki häntä koskevat potilasasiakirjat"),
        ];
        for (sentence, want) in cases {
            assert_eq!(got(sentence).as_deref(), Some(want), "{sentence}");
        }
        assert_eq!(got("I would like to make a request for information."), None);
        assert_eq!(got("Haluaisin tehdä tietopyynnön."), None);
        assert_eq!(got("Kiitos."), None);
        assert_eq!(
            got("Kontakta mig gärna om ni behöver mer information."),
            None
        );
        assert_eq!(got("Jag skickar härmed en begäran om uppgifter."), None);
    }
}
