//! The words people write, in Finnish, Swedish and English, as data: form labels and the cue
//! words that prose extraction and the review decision look for. Extraction code refers to
//! these tables instead of scattering literals, so a new label spelling is one line here.
//!
//! Stems match at the start of a word of the lower-cased text ("puhelin" matches
//! "puhelinnumero"); a stem with a space matches a phrase.

/// What a form label or list label asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Surname,
    FirstNames,
    /// A whole name; `surname_first` when the label says the surname comes first.
    FullName {
        surname_first: bool,
    },
    /// The name of the writer's child or spouse ("Son:", "Tytär:"): the client, someone else.
    RelativeName {
        surname_first: bool,
    },
    FormerNames,
    PersonalId,
    RequestedInformation,
    ServiceProvider,
    TreatmentYears,
    ProviderAndYears,
    Phone,
    SmsConsent,
    Address,
    Street,
    PostalCodeAndOffice,
    PostalCode,
    PostOffice,
    /// The person filling in the form when it is not the client.
    RequesterName,
    Relation,
    /// Free text ("Lisätietoja"): read as prose.
    Additional,
    /// Date, signature, place: never a field.
    Ignored,
}

/// Label rules in priority order: the first rule whose every stem group matches wins.
/// Each rule is (kind, groups); a group matches when any of its stems matches.
type Rule = (LabelKind, &'static [&'static [&'static str]]);

const FORMER: &[&str] = &[
    "entinen",
    "entiset",
    "aiempi",
    "aiemmat",
    "aikaisempi",
    "aikaisemmat",
    "syntymänimi",
    "omaa sukua",
    "tidigare",
    "före detta",
    "former",
    "previous",
    "maiden",
    "birth name",
    "earlier name",
    "other names",
    "född",
];
const SURNAME: &[&str] = &[
    "sukunim",
    "suku ",
    "sukunimet",
    "efternamn",
    "släktnamn",
    "surname",
    "family name",
    "last name",
];
const FIRST: &[&str] = &[
    "etunim",
    "förnamn",
    "tilltalsnamn",
    "first name",
    "given name",
    "forename",
    "christian name",
];
const YEARS: &[&str] = &[
    "hoitovuo",
    "hoitoaika",
    "hoitoajan",
    "hoitojakso",
    "hoidon ajankohta",
    "käyntivuo",
    "asiakkuusvuo",
    "vuosi",
    "vuodet",
    "vuosina",
    "ajankohta",
    "vårdår",
    "vårdtid",
    "behandlingsår",
    "år ",
    "årtal",
    "tidpunkt",
    "period ",
    "year ",
    "years ",
    "when ",
    "treatment period",
    "dates of treatment",
];
const PROVIDER: &[&str] = &[
    "palveluntuottaja",
    "palveluntarjoaja",
    "hoitopaikka",
    "hoitolaitos",
    "terapiapaikka",
    "terapiakeskus",
    "yksikkö",
    "tjänsteproducent",
    "tjänsteleverantör",
    "vårdgivare",
    "vårdenhet",
    "vårdinrättning",
    "serviceproducent",
    "service provider",
    "provider",
    "healthcare provider",
    "care provider",
    "clinic",
    "therapy centre",
    "therapy center",
];
const PERSONAL_ID: &[&str] = &[
    "henkilötunnus",
    "henkilötunnukse",
    "hetu ",
    "htun ",
    "personbeteckning",
    "personnummer",
    "identity code",
    "identity number",
    "id code",
    "id number",
    "personal id",
    "national id",
    "social security",
];
const POSTAL_CODE: &[&str] = &[
    "postinumero",
    "postinro",
    "postnummer",
    "postal code",
    "post code",
    "postcode",
    "zip ",
];
const POST_OFFICE: &[&str] = &[
    "postitoimipaikka",
    "toimipaikka",
    "postitoimipaikk",
    "postanstalt",
    "postort",
    "post office",
    "post town",
    "city ",
    "town ",
    "kaupunki",
    "paikkakunta",
    "kunta ",
    "ort ",
];
const STREET: &[&str] = &[
    "lähiosoite",
    "katuosoite",
    "jakeluosoite",
    "gatuadress",
    "utdelningsadress",
    "street",
    "katu",
];
const ADDRESS: &[&str] = &[
    "osoite",
    "osoitteet",
    "postiosoite",
    "kotiosoite",
    "adress",
    "postadress",
    "address",
    "mailing address",
];
const PHONE: &[&str] = &[
    "puhelin",
    "puh ",
    "matkapuhelin",
    "gsm ",
    "kännykkä",
    "telefon",
    "tfn",
    "tel ",
    "phone",
    "mobile",
    "mobil ",
    "cell ",
    "telephone",
    "puhelinnumero",
];
const SMS: &[&str] = &[
    "tekstiviest",
    "sms",
    "saapumisilmoitu",
    "ankomstavi",
    "avisering",
    "text message",
    "arrival notice",
    "arrival notification",
    "textmeddelande",
    "tekstari",
];
const REQUESTED: &[&str] = &[
    "pyydet",
    "pyydett",
    "pyydän",
    "pyydän",
    "mitä tieto",
    "tiedot joita",
    "tarvittavat tiedot",
    "haettavat",
    "begärd",
    "begärs",
    "vilka uppgift",
    "uppgifter som begärs",
    "önskade uppgift",
    "requested",
    "information requested",
    "records requested",
    "what information",
    "which records",
    "what records",
    "documents requested",
];
const REQUESTER: &[&str] = &[
    "hakija",
    "hakijan",
    "täyttäjä",
    "täyttäjän",
    "pyytäjä",
    "pyytäjän",
    "asiamies",
    "sökande",
    "sökandens",
    "ifylld av",
    "ombud",
    "requester",
    "requester's",
    "applicant",
    "applicant's",
    "completed by",
    "filled in by",
    "representative",
];
const RELATION: &[&str] = &[
    "suhde",
    "sukulaisuus",
    "relation",
    "relationship",
    "förhållande",
    "släktskap",
];
const RELATIVE: &[&str] = &[
    "son ",
    "daughter",
    "child ",
    "poika ",
    "poikani",
    "tytär ",
    "tyttäreni",
    "lapsi ",
    "lapseni",
    "dotter ",
    "barn ",
    "barnet ",
    "wife ",
    "husband ",
    "spouse ",
    "puoliso ",
    "vaimo ",
];
const PERSONAL_DETAILS: &[&str] = &[
    "henkilötiedot",
    "henkilötietoni",
    "personuppgifter",
    "personal details",
];
const NAME: &[&str] = &[
    "nimi", "nimet ", "nimeni", "namn ", "namnet ", "name", "names",
];
const ADDITIONAL: &[&str] = &[
    "lisätiedot",
    "lisätieto",
    "lisätietoja",
    "muuta",
    "huomautu",
    "tilläggsuppgift",
    "övrigt",
    "övriga",
    "additional",
    "other information",
    "comments",
    "notes",
];
const IGNORED: &[&str] = &[
    "päiväys",
    "päivämäärä",
    "pvm",
    "allekirjoitus",
    "paikka",
    "date",
    "datum",
    "signature",
    "underskrift",
    "ort och datum",
    "place ",
    "sign ",
];
const AND: &[&str] = &[" ja ", " och ", " and ", " & ", " / "];

const RULES: &[Rule] = &[
    (LabelKind::Ignored, &[IGNORED]),
    (LabelKind::FormerNames, &[FORMER]),
    (LabelKind::ProviderAndYears, &[PROVIDER, YEARS]),
    (LabelKind::PostalCodeAndOffice, &[POSTAL_CODE, POST_OFFICE]),
    (LabelKind::PostalCode, &[POSTAL_CODE]),
    (LabelKind::PostOffice, &[POST_OFFICE]),
    (LabelKind::Street, &[STREET]),
    (LabelKind::Address, &[ADDRESS]),
    (LabelKind::PersonalId, &[PERSONAL_ID]),
    (LabelKind::SmsConsent, &[SMS]),
    (LabelKind::Phone, &[PHONE]),
    (LabelKind::ServiceProvider, &[PROVIDER]),
    (LabelKind::TreatmentYears, &[YEARS]),
    (LabelKind::RequesterName, &[REQUESTER, NAME]),
    (LabelKind::Relation, &[RELATION]),
    (
        LabelKind::RelativeName {
            surname_first: false,
        },
        &[RELATIVE],
    ),
    // "Sukunimi ja etunimet", "Nimi (sukunimi, etunimet)": one value holds both.
    (
        LabelKind::FullName {
            surname_first: false,
        },
        &[SURNAME, FIRST],
    ),
    (LabelKind::Surname, &[SURNAME]),
    (LabelKind::FirstNames, &[FIRST]),
    (
        LabelKind::FullName {
            surname_first: false,
        },
        &[NAME],
    ),
    (LabelKind::RequestedInformation, &[REQUESTED]),
    (
        LabelKind::FullName {
            surname_first: false,
        },
        &[PERSONAL_DETAILS],
    ),
    (LabelKind::Additional, &[ADDITIONAL]),
];

/// Lower-cases and reduces punctuation to spaces, padded so stems match at word starts.
pub fn normalise_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len() + 2);
    out.push(' ');
    let mut last_space = true;
    for c in label.chars().flat_map(char::to_lowercase) {
        let keep = c.is_alphanumeric() || c == '\'' || c == '’' || c == '&' || c == '/';
        if keep {
            out.push(if c == '’' { '\'' } else { c });
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    if !last_space {
        out.push(' ');
    }
    out
}

/// True when `stem` starts a word of `normalised` (from [`normalise_label`] or
/// [`normalise_label`]-like text padded with spaces).
pub fn has_stem(normalised: &str, stem: &str) -> bool {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    stem_in(normalised, &words, stem)
}

fn stem_in(_normalised: &str, words: &[&str], stem: &str) -> bool {
    let whole_word = stem.ends_with(' ');
    let core = stem.trim();
    if core.is_empty() {
        return false;
    }
    let matches = |w: &str, p: &str, is_last: bool| {
        if is_last && !whole_word {
            w.starts_with(p)
        } else {
            w == p
        }
    };
    if !core.contains(' ') {
        // Word by word: far cheaper than a substring search per stem, and this runs for every
        // line against every label vocabulary. A trailing space asks for the whole word.
        return words.iter().any(|w| matches(w, core, true));
    }
    // A phrase: consecutive words, the last one as a stem.
    let n = core.split(' ').filter(|p| !p.is_empty()).count();
    words.windows(n).any(|win| {
        core.split(' ')
            .filter(|p| !p.is_empty())
            .zip(win)
            .enumerate()
            .all(|(k, (p, w))| matches(w, p, k + 1 == n))
    })
}

fn any_stem(normalised: &str, stems: &[&str]) -> bool {
    let words: Vec<&str> = normalised.split(' ').filter(|w| !w.is_empty()).collect();
    stems.iter().any(|s| stem_in(normalised, &words, s))
}

/// Labels that are a whole request verb or noun ("Pyyntö:", "Jag begär:", "Requesting:"):
/// only as the entire label, since the same words start ordinary sentences.
const REQUEST_AS_LABEL: &[&str] = &[
    "pyyntö",
    "pyydän",
    "pyydämme",
    "haluan",
    "haluaisin",
    "tarvitsen",
    "begäran",
    "jag begär",
    "vi begär",
    "begär",
    "request",
    "requesting",
    "i request",
    "we request",
    "what i need",
    "i need",
    "i would like",
    "i want",
];

/// A label that is only a request verb or noun ("Pyyntö", "Request"): a heading as often as
/// a label.
pub fn is_request_word_label(label: &str) -> bool {
    REQUEST_AS_LABEL.contains(&normalise_label(label).trim())
}

/// Classifies a label as written. `None` for text that is not a label we know.
pub fn classify_label(label: &str) -> Option<LabelKind> {
    let n = normalise_label(label);
    if REQUEST_AS_LABEL.contains(&n.trim()) {
        return Some(LabelKind::RequestedInformation);
    }
    classify_normalised(&LABEL_MATCHER, &n)
}

/// Classifies a form field's name ("Henkilotunnus", "hakija.puhelin", "PostalCode",
/// "Pyydetyt_tiedot"): the same vocabulary as printed labels, with words split at
/// underscores, dots and capitals, and letters without their diacritics, because field names
/// are often written in plain ASCII. Names without a known word ("Text1") give `None`.
pub fn classify_field_name(name: &str) -> Option<LabelKind> {
    let mut words = String::with_capacity(name.len() + 8);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_uppercase() && prev_lower {
            words.push(' ');
        }
        prev_lower = c.is_lowercase();
        // Digits only number fields ("Text1", "Sukunimi_2"); they are not words.
        words.push(if c.is_alphabetic() { c } else { ' ' });
    }
    let n = normalise_label(&fold_diacritics(&words));
    classify_normalised(&FOLDED_LABEL_MATCHER, &n)
}

/// "Lähiosoite" → "Lahiosoite": letters without their combining marks.
pub fn fold_diacritics(text: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    text.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

fn classify_normalised(matcher: &LabelMatcher, n: &str) -> Option<LabelKind> {
    let word_count = n.split(' ').filter(|w| !w.is_empty()).count();
    if word_count == 0 || word_count > 9 {
        return None;
    }
    let matched = matcher.groups_in(n);
    for (kind, groups) in &matcher.rules {
        if groups.iter().all(|g| matched & (1u64 << g) != 0) {
            // "Palveluntuottaja ja hoitovuosi" needs the two halves joined by "and".
            if *kind == LabelKind::ProviderAndYears && !AND.iter().any(|a| n.contains(a)) {
                continue;
            }
            if let LabelKind::FullName { .. } = kind {
                return Some(LabelKind::FullName {
                    surname_first: surname_first(n),
                });
            }
            if let LabelKind::RelativeName { .. } = kind {
                return Some(LabelKind::RelativeName {
                    surname_first: surname_first(n),
                });
            }
            return Some(*kind);
        }
    }
    None
}

/// Every label stem in one automaton: classifying a label is one pass over it, then a check
/// of which stem groups matched, instead of one comparison per stem per rule.
struct LabelMatcher {
    automaton: aho_corasick::AhoCorasick,
    /// Per pattern: its group's index and whether it must be a whole word.
    patterns: Vec<(usize, bool)>,
    /// RULES with each group replaced by its index.
    rules: Vec<(LabelKind, Vec<usize>)>,
}

impl LabelMatcher {
    /// `folded`: match stems without their diacritics (for text folded the same way).
    fn new(folded: bool) -> LabelMatcher {
        let mut groups: Vec<&'static [&'static str]> = Vec::new();
        let mut rules = Vec::new();
        for (kind, gs) in RULES {
            let mut idx = Vec::new();
            for g in gs.iter() {
                let i = match groups.iter().position(|x| std::ptr::eq(*x, *g)) {
                    Some(i) => i,
                    None => {
                        groups.push(g);
                        groups.len() - 1
                    }
                };
                idx.push(i);
            }
            rules.push((*kind, idx));
        }
        assert!(groups.len() <= 64, "label groups fit a u64");
        let mut texts = Vec::new();
        let mut patterns = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            for stem in g.iter() {
                let stem = if folded {
                    fold_diacritics(stem.trim())
                } else {
                    stem.trim().to_string()
                };
                texts.push(format!(" {stem}"));
                patterns.push((i, stem.ends_with(' ')));
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(&texts).expect("label automaton");
        LabelMatcher {
            automaton,
            patterns,
            rules,
        }
    }

    /// Bit set of the groups whose stems start a word of `normalised` (space-padded).
    fn groups_in(&self, normalised: &str) -> u64 {
        let bytes = normalised.as_bytes();
        let mut set = 0u64;
        for m in self.automaton.find_overlapping_iter(normalised) {
            let (group, whole_word) = self.patterns[m.pattern().as_usize()];
            if !whole_word || bytes.get(m.end()).is_none_or(|&b| b == b' ') {
                set |= 1u64 << group;
            }
        }
        set
    }
}

static LABEL_MATCHER: std::sync::LazyLock<LabelMatcher> =
    std::sync::LazyLock::new(|| LabelMatcher::new(false));

static FOLDED_LABEL_MATCHER: std::sync::LazyLock<LabelMatcher> =
    std::sync::LazyLock::new(|| LabelMatcher::new(true));

/// "Nimi (sukunimi, etunimet)": the label names the surname before the first names.
fn surname_first(n: &str) -> bool {
    // Folded field names ("fornamn") are compared with folded stems too.
    let at = |stems: &[&str]| {
        stems
            .iter()
            .filter_map(|s| n.find(s).or_else(|| n.find(&fold_diacritics(s))))
            .min()
    };
    let s = at(SURNAME);
    let f = at(FIRST);
    matches!((s, f), (Some(s), Some(f)) if s < f) || matches!((s, f), (Some(_), None))
}

/// Headings that open the requester's part of a form ("5. HAKIJA, JOS ERI KUIN ASIAKAS").
pub fn is_requester_heading(text: &str) -> bool {
    any_stem(&normalise_label(text), REQUESTER)
}

/// Words that mark a yes or a no in a form value or a check-box caption.
pub const YES: &[&str] = &[
    "kyllä",
    "joo",
    "ja",
    "yes",
    "saa",
    "sallitaan",
    "får",
    "ok",
    "x",
];
pub const NO: &[&str] = &["ei", "nej", "no", "inte", "ej", "not", "en"];

/// Words that say the writer is not asking for their own records.
pub const ON_BEHALF: &[&str] = &[
    "puolesta",
    "puolestaan",
    "huoltaja",
    "huoltajana",
    "valtakirja",
    "valtakirjalla",
    "valtuutta",
    "valtuuttanut",
    "edunvalvoja",
    "alaikäi",
    "asiamies",
    "räkning",
    "vårdnadshavare",
    "fullmakt",
    "minderårig",
    "god man",
    "intressebevakare",
    "on behalf",
    "guardian",
    "power of attorney",
    "authorised me",
    "authorized me",
    "a minor",
    "proxy",
];

/// Relatives as people name them ("tyttäreni", "min dotter", "my daughter"). Alone they do not
/// make a request someone else's ("Äitini suositteli Vastaamoa"); next to the records or the
/// identity code they do ("tyttäreni potilasasiakirjat").
pub const RELATIONS: &[&str] = &[
    "tyttäreni",
    "poikani",
    "lapseni",
    "puolisoni",
    "vaimoni",
    "mieheni",
    "äitini",
    "isäni",
    "veljeni",
    "siskoni",
    "sisareni",
    "min dotter",
    "min son",
    "mitt barn",
    "min make",
    "min maka",
    "min fru",
    "min man",
    "min mor",
    "min far",
    "min mamma",
    "min pappa",
    "min bror",
    "min syster",
    "my daughter",
    "my son",
    "my child",
    "my wife",
    "my husband",
    "my spouse",
    "my partner",
    "my mother",
    "my father",
    "my mum",
    "my mom",
    "my dad",
    "my brother",
    "my sister",
];

/// Roles a writer signs with when asking for someone else ("Onnin äiti", "mother of …").
pub const SIGN_OFF_ROLES: &[&str] = &[
    "äiti",
    "isä",
    "huoltaja",
    "vanhempi",
    "puoliso",
    "omainen",
    "asiamies",
    "edunvalvoja",
    "mor",
    "far",
    "mamma",
    "pappa",
    "förälder",
    "vårdnadshavare",
    "make",
    "maka",
    "anhörig",
    "mother",
    "father",
    "mum",
    "mom",
    "dad",
    "parent",
    "guardian",
    "spouse",
    "husband",
    "wife",
];

/// Words that say the client has died.
pub const DECEASED: &[&str] = &[
    "kuoli",
    "kuollut",
    "kuolleen",
    "kuolema",
    "kuolinpes",
    "menehtyi",
    "menehtynyt",
    "edesmen",
    "vainaja",
    "poismen",
    "avled",
    "avliden",
    "avlidne",
    "gick bort",
    "död",
    "dödsbo",
    "bortgång",
    "died",
    "passed away",
    "deceased",
    "late father",
    "late mother",
    "death",
    "estate of",
];

/// True when any stem of `stems` starts a word (or phrase) of `text`.
pub fn mentions(text: &str, stems: &[&str]) -> bool {
    any_stem(&normalise_label(text), stems)
}

/// A stem list compiled once for long texts: one pass over the text instead of one per stem.
pub struct StemSet {
    automaton: aho_corasick::AhoCorasick,
    whole_word: Vec<bool>,
}

impl StemSet {
    pub fn new(stems: &[&str]) -> StemSet {
        let patterns: Vec<&str> = stems.iter().map(|s| s.trim()).collect();
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::Standard)
            .build(&patterns)
            .expect("stem automaton");
        StemSet {
            automaton,
            whole_word: stems.iter().map(|s| s.ends_with(' ')).collect(),
        }
    }

    /// True when a stem starts a word of `text` (any case, any punctuation around it).
    pub fn found_in(&self, text: &str) -> bool {
        self.found_in_normalised(&normalise_label(text))
    }

    /// As [`StemSet::found_in`], for text already passed through [`normalise_label`].
    pub fn found_in_normalised(&self, n: &str) -> bool {
        let bytes = n.as_bytes();
        self.automaton.find_overlapping_iter(n).any(|m| {
            let starts_word = m.start() == 0 || bytes[m.start() - 1] == b' ';
            let ends_ok = !self.whole_word[m.pattern().as_usize()]
                || bytes.get(m.end()).is_none_or(|&b| b == b' ');
            starts_word && ends_ok
        })
    }
}

/// The on-behalf, deceased and sign-off role cues, compiled once.
pub static ON_BEHALF_SET: std::sync::LazyLock<StemSet> =
    std::sync::LazyLock::new(|| StemSet::new(ON_BEHALF));
pub static DECEASED_SET: std::sync::LazyLock<StemSet> =
    std::sync::LazyLock::new(|| StemSet::new(DECEASED));
/// Relatives and third-person possessives: the words `relative_with_records` starts from.
pub static RELATIVE_OR_PRONOUN_SET: std::sync::LazyLock<StemSet> = std::sync::LazyLock::new(|| {
    let mut words: Vec<&str> = RELATIONS.to_vec();
    words.extend(["hänen", "hans", "hennes", "his", "her", "their", "heidän"]);
    StemSet::new(&words)
});
/// Words that follow an age ("16-vuotias", "12 år gammal", "15 years old").
pub static AGE_WORD_SET: std::sync::LazyLock<StemSet> =
    std::sync::LazyLock::new(|| StemSet::new(&["vuotias", "år ", "years ", "year "]));
pub static SIGN_OFF_ROLE_SET: std::sync::LazyLock<StemSet> = std::sync::LazyLock::new(|| {
    let whole_words: Vec<String> = SIGN_OFF_ROLES.iter().map(|w| format!("{w} ")).collect();
    let refs: Vec<&str> = whole_words.iter().map(String::as_str).collect();
    StemSet::new(&refs)
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_in_three_languages() {
        use LabelKind::*;
        let cases = [
            ("Sukunimi", Surname),
            ("Sukunimi (nykyinen)", Surname),
            ("Efternamn", Surname),
            ("Family name", Surname),
            ("Etunimet", FirstNames),
            ("First name(s)", FirstNames),
            ("Förnamn", FirstNames),
            ("Entinen sukunimi", FormerNames),
            ("Tidigare namn", FormerNames),
            ("Previous names", FormerNames),
            ("Henkilötunnus (HETU)", PersonalId),
            ("Personal ID code (HETU)", PersonalId),
            ("Personbeteckning", PersonalId),
            ("Mitä tietoja pyydetään", RequestedInformation),
            ("Begärda uppgifter", RequestedInformation),
            ("Information requested", RequestedInformation),
            ("Palveluntuottaja ja hoitovuodet", ProviderAndYears),
            ("Service provider and year of treatment", ProviderAndYears),
            ("Tjänsteproducent och vårdår", ProviderAndYears),
            ("Palveluntuottaja", ServiceProvider),
            ("Hoitovuosi", TreatmentYears),
            ("Year(s) of treatment", TreatmentYears),
            ("Vårdår", TreatmentYears),
            ("Puhelin", Phone),
            ("Telefonnummer", Phone),
            ("Tekstiviestilupa", SmsConsent),
            ("SMS-avisering får skickas", SmsConsent),
            ("Postiosoite", Address),
            ("Home address", Address),
            ("Lähiosoite", Street),
            ("Gatuadress", Street),
            ("Postinumero ja -toimipaikka", PostalCodeAndOffice),
            ("Postal code and post office", PostalCodeAndOffice),
            ("Postinumero", PostalCode),
            ("Postanstalt", PostOffice),
            ("Päiväys", Ignored),
            ("Lisätietoja", Additional),
            ("Hakijan nimi", RequesterName),
            ("Suhde asiakkaaseen", Relation),
        ];
        for (label, kind) in cases {
            assert_eq!(classify_label(label), Some(kind), "{label}");
        }
        assert_eq!(
            classify_label("Nimi (sukunimi, etunimet)"),
            Some(FullName {
                surname_first: true
            })
        );
        assert_eq!(
            classify_label("Name"),
            Some(FullName {
                surname_first: false
            })
        );
        assert_eq!(
            classify_label("Sukunimi ja etunimet"),
            Some(FullName {
                surname_first: true
            })
        );
        assert_eq!(
            classify_label("First names and surname"),
            Some(FullName {
                surname_first: false
            })
        );
        assert_eq!(classify_label("Hei"), None);
        assert_eq!(classify_label("Tietopyyntö"), None);
        assert_eq!(classify_label("1. ASIAKKAAN TIEDOT"), None);
    }
}
