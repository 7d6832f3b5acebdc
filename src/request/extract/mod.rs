//! Extraction: from the writer's own lines to candidate field values. Labelled lines (lists,
//! text forms) are read first, then prose; every value is collected with where it came from,
//! and `resolve` turns the candidates into fields — or into a reason for review when they
//! disagree, because a guess here can send someone's records to the wrong person.

pub mod address;
pub mod phone;
pub mod prose;
pub mod provider;
pub mod requested;
pub mod spans;
pub mod years;

mod labelled;
pub mod pdf_form;

use crate::request::clean::own_lines_from;
use crate::request::model::{Field, Fields, Invalid, Language};
use crate::request::personal_id::{find_candidates, InvalidReason};
use crate::request::vocab::{
    normalise_label, AGE_WORD_SET, DECEASED_SET, ON_BEHALF_SET, RELATIVE_OR_PRONOUN_SET,
    SIGN_OFF_ROLE_SET,
};

use address::Address;
use prose::{NameMention, NamePart, Whose, YearContext};
use provider::ProviderMatcher;

static IBAN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"(?-u:\b)[A-Z]{2}\d{2}(?: ?[0-9A-Z]{4}){2,7}(?: ?[0-9A-Z]{1,4})?(?-u:\b)")
        .expect("static regex")
});

/// Year mentions read per sentence: no request names more; hostile text may name millions.
const MAX_YEAR_MENTIONS: usize = 256;

/// Distinct identity codes kept per message: more is a conflict for a clerk either way.
const MAX_IDS: usize = 64;

/// One text to read: the message body or a text attachment.
pub struct TextInput<'a> {
    pub text: &'a str,
    /// A text attachment is a form even without form layout.
    pub attachment: bool,
    /// The message's sender address: a forward of the sender's own mail is read.
    pub sender: Option<&'a str>,
    /// The printed text of a document (a flattened PDF form): its captions ("an SMS may be
    /// sent") are the form's wording, not the sender's statement, and a tick drawn as a
    /// picture cannot be seen — so no consent is read from its sentences.
    pub printed: bool,
}

/// A personal identity code as written (normalised) with its validity.
#[derive(Clone, PartialEq, Eq)]
pub struct WrittenId {
    pub normalised: String,
    pub invalid: Option<InvalidReason>,
}

/// Everything extraction found, before the decision.
#[derive(Default)]
pub struct Extracted {
    pub fields: Fields,
    pub invalid: Vec<Invalid>,
    /// Distinct identity codes in reading order.
    pub personal_ids: Vec<WrittenId>,
    pub on_behalf: bool,
    pub deceased: bool,
    pub unknown_provider: bool,
    /// Fields with two different values that extraction would not choose between.
    pub conflicting: Vec<Field>,
    pub form_layout: bool,
    /// Some field came from a form attachment's form fields.
    pub from_form_fields: bool,
    pub language: Option<Language>,
    /// How many fields (present or invalid) the text states: the "is this a request" test.
    pub stated: Vec<Field>,
}

impl std::fmt::Debug for Extracted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extracted")
            .field("fields", &self.fields)
            .field("invalid", &self.invalid)
            .field("ids", &self.personal_ids.len())
            .field("stated", &self.stated)
            .finish_non_exhaustive()
    }
}

/// Candidate values while reading, in reading order, labelled values marked.
#[derive(Default)]
struct Collector {
    names: Vec<NameMention>,
    labelled_surname: Vec<String>,
    labelled_first: Vec<String>,
    labelled_full: Vec<(String, bool)>,
    /// "Surname, First Names" written with a comma: already split.
    labelled_split_names: Vec<(String, String)>,
    /// Names alone on a line beside the identity code.
    bare_names: Vec<String>,
    former: Vec<String>,
    ids: Vec<WrittenId>,
    /// Codes in the sign-off: they never become the field, but a different one conflicts.
    sign_off_ids: Vec<WrittenId>,
    info: Vec<String>,
    labelled_info: Vec<String>,
    providers: Vec<String>,
    labelled_providers: Vec<String>,
    unknown_providers: Vec<String>,
    years: Vec<i32>,
    labelled_years: Vec<i32>,
    years_invalid: bool,
    phones: Vec<String>,
    labelled_phones: Vec<String>,
    phone_invalid: bool,
    sms: Vec<bool>,
    labelled_sms: Vec<bool>,
    addresses: Vec<Address>,
    labelled_addresses: Vec<Address>,
    address_invalid: bool,
    partial_address: labelled::PartialAddress,
    requester_named: bool,
    relation_stated: bool,
    form_features: usize,
    labelled_rows: usize,
    on_behalf: bool,
    deceased: bool,
    all_text: String,
    /// Reading a [`TextInput::printed`] text.
    printed: bool,
}

impl Collector {
    fn add_ids(&mut self, text: &str) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for c in find_candidates(text) {
            spans.push((c.start, c.end));
            let invalid = c.result.as_ref().err().copied();
            if self.ids.len() < MAX_IDS && !self.ids.iter().any(|w| w.normalised == c.normalised) {
                self.ids.push(WrittenId {
                    normalised: c.normalised,
                    invalid,
                });
            }
        }
        spans
    }

    /// Reads one paragraph of prose.
    fn prose(&mut self, lines: &[&str], matcher: &ProviderMatcher) {
        let paragraph = lines.join(" ");
        if paragraph.trim().is_empty() {
            return;
        }
        self.note_cues(&paragraph);
        let mut skip = self.add_ids(&paragraph);
        // Bank account numbers hold digit groups that read as phone numbers.
        skip.extend(IBAN.find_iter(&paragraph).map(|m| (m.start(), m.end())));
        for (s, e, canon) in matcher.find_all(&paragraph) {
            skip.push((s, e));
            self.providers.push(canon);
        }
        // Phones before years: "050 245 1866" holds something that looks like a year.
        let mut phone_spans = Vec::new();
        let skip = skip;
        for p in phone::phone_mentions(&paragraph, &skip) {
            if let Some(e164) = p.e164 {
                phone_spans.push((p.start, p.end));
                // "hänen numeronsa oli 040…", "hennes nummer är …": someone else's phone.
                if !prose::belongs_to_someone_else(&paragraph[..p.start]) {
                    self.phones.push(e164);
                }
            }
        }
        let phone_spans = spans::SpanSet::new(phone_spans);
        for sentence in prose::sentences(&paragraph) {
            let offset = sentence.as_ptr() as usize - paragraph.as_ptr() as usize;
            self.names.extend(prose::name_mentions(sentence));
            if let Some(info) = requested::requested_information(sentence) {
                self.info.push(without_trailing_provider(&info, matcher));
            }
            if let Some(consent) = prose::sms_consent(sentence).filter(|_| !self.printed) {
                self.sms.push(consent);
            }
            let mentions = years::year_mentions(sentence);
            let cues = if mentions.is_empty() {
                prose::SentenceCues::default()
            } else {
                prose::sentence_cues(sentence)
            };
            for m in mentions.into_iter().take(MAX_YEAR_MENTIONS) {
                let (s, e) = (offset + m.start, offset + m.end);
                if phone_spans.overlaps(s, e) {
                    continue;
                }
                if prose::year_context(sentence, m.start, m.end, cues) == YearContext::Treatment {
                    self.years.extend(&m.years);
                }
            }
        }
        // Hard-wrapped paragraphs split a street from its number: read the paragraph as one
        // text whose line breaks still end a post office name.
        let joined = lines.join("\n");
        self.addresses
            .extend(address::addresses_in_lines(&[joined.as_str()]));
    }

    /// The sign-off is read for identity codes and review cues only.
    fn sign_off(&mut self, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.note_cues(text);
        // "Terveisin, Kirsi Heikura, Onnin äiti": the writer signs as someone else's relative.
        if SIGN_OFF_ROLE_SET.found_in(text) {
            self.on_behalf = true;
        }
        for c in find_candidates(text) {
            let invalid = c.result.as_ref().err().copied();
            if self.sign_off_ids.len() < MAX_IDS
                && !self
                    .sign_off_ids
                    .iter()
                    .any(|w| w.normalised == c.normalised)
            {
                self.sign_off_ids.push(WrittenId {
                    normalised: c.normalised,
                    invalid,
                });
            }
        }
    }

    fn note_cues(&mut self, text: &str) {
        let n = normalise_label(text);
        // The relative-with-records pattern is costly; most text names no relative at all.
        if (RELATIVE_OR_PRONOUN_SET.found_in_normalised(&n) && prose::relative_with_records(text))
            || (AGE_WORD_SET.found_in_normalised(&n) && prose::states_an_age(text))
        {
            self.on_behalf = true;
        }
        if DECEASED_SET.found_in_normalised(&n) {
            self.deceased = true;
        }
        if ON_BEHALF_SET.found_in_normalised(&n) {
            self.on_behalf = true;
        }
        self.all_text.push_str(text);
        self.all_text.push('\n');
    }
}

/// Reads the texts of one message (body first, then text attachments), then the form fields
/// of its form attachments.
pub fn extract(
    inputs: &[TextInput<'_>],
    forms: &[&crate::request::attachment::FormContent],
    matcher: &ProviderMatcher,
    reference_year: i32,
) -> Extracted {
    let mut c = Collector::default();
    let mut any_attachment_form = false;
    for input in inputs {
        let lines = own_lines_from(input.text, input.sender);
        c.printed = input.printed;
        let before = (c.form_features, c.labelled_rows);
        labelled::read_lines(&lines, &mut c, matcher);
        // A text attachment that holds labelled rows is a filled-in form.
        if input.attachment && (c.form_features, c.labelled_rows) != before {
            any_attachment_form = true;
        }
    }
    let mut from_form_fields = false;
    for form in forms {
        from_form_fields |= pdf_form::read_form(form, &mut c, matcher);
    }
    let mut out = resolve(c, reference_year);
    out.form_layout = out.form_layout || any_attachment_form;
    out.from_form_fields = from_form_fields;
    out
}

/// "kaikki mun paperit vastaamosta", "my records from Vastaamo": the provider that ends a
/// phrase says where from, not what.
fn without_trailing_provider(phrase: &str, matcher: &ProviderMatcher) -> String {
    let Some((start, end, _)) = matcher.find_all(phrase).into_iter().last() else {
        return phrase.to_string();
    };
    if phrase[end..].trim().is_empty() && start > 0 {
        let mut head = phrase[..start].trim_end();
        for prep in ["from", "från", "hos", "at", "by", "vid", "the", "den", "of"] {
            if let Some(h) = head.strip_suffix(prep) {
                if h.ends_with(' ') || h.is_empty() {
                    head = h.trim_end();
                }
            }
        }
        if !head.is_empty() {
            return head.to_string();
        }
    }
    phrase.to_string()
}

fn first_distinct<T: Clone + PartialEq>(values: &[T]) -> (Option<T>, bool) {
    let first = values.first().cloned();
    let conflict = values.iter().any(|v| Some(v) != first.as_ref());
    (first, conflict)
}

fn split_full(words: &[String], surname_first: bool) -> Option<(String, String)> {
    if words.len() < 2 {
        return None;
    }
    // "VIRTANEN Matti Juhani": the one word in capitals is the surname, wherever it stands.
    let capitals: Vec<usize> = (0..words.len())
        .filter(|&i| {
            words[i].chars().filter(|c| c.is_alphabetic()).count() > 1
                && words[i].chars().all(|c| !c.is_lowercase())
        })
        .collect();
    if capitals.len() == 1 {
        let s = capitals[0];
        let first: Vec<&str> = (0..words.len())
            .filter(|&i| i != s)
            .map(|i| words[i].as_str())
            .collect();
        return Some((words[s].clone(), first.join(" ")));
    }
    if surname_first {
        Some((words[0].clone(), words[1..].join(" ")))
    } else {
        let last = words.len() - 1;
        Some((words[last].clone(), words[..last].join(" ")))
    }
}

fn resolve(c: Collector, reference_year: i32) -> Extracted {
    let mut out = Extracted {
        on_behalf: c.on_behalf || c.requester_named || c.relation_stated,
        deceased: c.deceased,
        language: crate::request::language::detect(&c.all_text),
        form_layout: c.form_features >= 2,
        ..Extracted::default()
    };
    let mut stated: Vec<Field> = Vec::new();

    // Names: labelled values first; in prose, a sentence about another person names the
    // client, and the writer's own name is then the requester's.
    let mut surname = c.labelled_surname.first().cloned();
    let mut first = c.labelled_first.first().cloned();
    if let Some((s, f)) = c.labelled_split_names.first() {
        surname = surname.or(Some(s.clone()));
        first = first.or(Some(f.clone()));
    }
    if let Some((full, sf)) = c.labelled_full.first() {
        let words: Vec<String> = full.split_whitespace().map(str::to_string).collect();
        if let Some((s, f)) = split_full(&words, *sf) {
            surname = surname.or(Some(s));
            first = first.or(Some(f));
        }
    }
    // Two labelled values that name different people (a body and a form attachment, say) are
    // for a clerk to settle; the first one read is reported.
    let mut labelled_pairs: Vec<(String, String)> = Vec::new();
    labelled_pairs.extend(
        c.labelled_surname
            .iter()
            .map(|s| (s.clone(), String::new())),
    );
    labelled_pairs.extend(c.labelled_first.iter().map(|f| (String::new(), f.clone())));
    labelled_pairs.extend(c.labelled_split_names.iter().cloned());
    for (full, sf) in &c.labelled_full {
        let words: Vec<String> = full.split_whitespace().map(str::to_string).collect();
        labelled_pairs.extend(split_full(&words, *sf));
    }
    let differ = |pick: fn(&(String, String)) -> &String| {
        let mut seen: Vec<String> = labelled_pairs
            .iter()
            .map(|p| pick(p).to_lowercase())
            .filter(|v| !v.is_empty())
            .collect();
        seen.sort();
        seen.dedup();
        seen.len() > 1
    };
    if differ(|p| &p.0) {
        out.conflicting.push(Field::Surname);
    }
    if differ(|p| &p.1) {
        out.conflicting.push(Field::FirstNames);
    }
    if surname.is_none() && first.is_none() {
        let whose = if c.names.iter().any(|n| n.whose == Whose::Other) {
            // The client is someone other than the writer: a clerk must see it.
            out.on_behalf = true;
            Whose::Other
        } else {
            Whose::Writer
        };
        let of = |part: NamePart| -> Vec<Vec<String>> {
            c.names
                .iter()
                .filter(|n| n.whose == whose && n.part == part)
                .map(|n| n.words.clone())
                .collect()
        };
        let fulls: Vec<(String, String)> = of(NamePart::Full)
            .iter()
            .filter_map(|w| split_full(w, false))
            .collect();
        let (full, full_conflict) = first_distinct(&fulls);
        if full_conflict {
            out.conflicting.push(Field::Surname);
        }
        let surnames: Vec<String> = of(NamePart::Surname).iter().map(|w| w.join(" ")).collect();
        let firsts: Vec<String> = of(NamePart::First).iter().map(|w| w.join(" ")).collect();
        surname = surnames
            .first()
            .cloned()
            .or(full.as_ref().map(|f| f.0.clone()));
        first = firsts
            .first()
            .cloned()
            .or(full.as_ref().map(|f| f.1.clone()));
    }
    if surname.is_none() && first.is_none() {
        if let Some(bare) = c.bare_names.first() {
            let (s, f) = match bare.split_once(',') {
                Some((s, f)) => (Some(s.trim().to_string()), Some(f.trim().to_string())),
                None => {
                    let words: Vec<String> = bare.split_whitespace().map(str::to_string).collect();
                    split_full(&words, false).map_or((None, None), |(s, f)| (Some(s), Some(f)))
                }
            };
            surname = s;
            first = f;
        }
    }
    out.fields.surname = surname;
    out.fields.first_names = first;
    let mut former: Vec<String> = c.former.clone();
    for n in c.names.iter().filter(|n| n.part == NamePart::Former) {
        for w in &n.words {
            former.push(w.clone());
        }
    }
    let mut seen = Vec::new();
    former.retain(|f| {
        let keep = !seen.contains(f) && Some(f) != out.fields.surname.as_ref();
        seen.push(f.clone());
        keep
    });
    out.fields.former_names = former;

    // Identity codes: the first in reading order is the field; two different ones conflict.
    out.personal_ids = c.ids.clone();
    for id in &c.sign_off_ids {
        if !out
            .personal_ids
            .iter()
            .any(|w| w.normalised == id.normalised)
        {
            out.personal_ids.push(id.clone());
        }
    }
    if let Some(first_id) = c.ids.first() {
        out.fields.personal_id = Some(first_id.normalised.clone());
        if let Some(reason) = first_id.invalid {
            out.invalid.push(Invalid {
                field: Field::PersonalId,
                reason: reason.as_str(),
            });
        }
    }

    // In prose, a phrase that names records beats one that only says "information"
    // ("pyydän hänen tietojaan omaisena" before "Pyydän saada kaikki potilasasiakirjat").
    let best_prose = c
        .info
        .iter()
        .enumerate()
        .max_by_key(|(i, p)| {
            let words = p.split_whitespace().count().min(6);
            (requested::record_strength(p), words, std::cmp::Reverse(*i))
        })
        .map(|(_, p)| p);
    out.fields.requested_information = c.labelled_info.first().or(best_prose).cloned();

    // A provider named under its label is what the form says; an unknown one there is not
    // overruled by a mention of Vastaamo elsewhere ("… (ei siis Vastaamo)").
    if let Some(unknown) = c.unknown_providers.first() {
        out.fields.service_provider = Some(unknown.clone());
        out.unknown_provider = true;
    } else {
        let named = if c.labelled_providers.is_empty() {
            &c.providers
        } else {
            &c.labelled_providers
        };
        let (provider, provider_conflict) = first_distinct(named);
        if provider_conflict {
            out.conflicting.push(Field::ServiceProvider);
        }
        out.fields.service_provider = provider;
    }

    let mut years = if c.labelled_years.is_empty() {
        c.years.clone()
    } else {
        c.labelled_years.clone()
    };
    years.sort_unstable();
    years.dedup();
    if years.iter().any(|&y| y < 2000 || y > reference_year)
        || (years.is_empty() && c.years_invalid)
    {
        out.invalid.push(Invalid {
            field: Field::TreatmentYears,
            reason: "format",
        });
        stated.push(Field::TreatmentYears);
    } else {
        out.fields.treatment_years = years;
    }

    let phones = if c.labelled_phones.is_empty() {
        &c.phones
    } else {
        &c.labelled_phones
    };
    let (phone, phone_conflict) = first_distinct(phones);
    if phone_conflict {
        out.conflicting.push(Field::Phone);
    }
    if phone.is_none() && c.phone_invalid {
        out.invalid.push(Invalid {
            field: Field::Phone,
            reason: "format",
        });
        stated.push(Field::Phone);
    }
    out.fields.phone = phone;

    let sms = if c.labelled_sms.is_empty() {
        &c.sms
    } else {
        &c.labelled_sms
    };
    let (consent, sms_conflict) = first_distinct(sms);
    out.fields.sms_consent = if sms_conflict { None } else { consent };

    let addresses = if c.labelled_addresses.is_empty() {
        &c.addresses
    } else {
        &c.labelled_addresses
    };
    let (addr, addr_conflict) = first_distinct(addresses);
    if addr_conflict {
        out.conflicting.push(Field::Address);
    }
    if addr.is_none() && c.address_invalid {
        out.invalid.push(Invalid {
            field: Field::Address,
            reason: "format",
        });
        stated.push(Field::Address);
    }
    out.fields.address = addr;

    for f in Field::ALL {
        if out.fields.has(f) && f != Field::SmsConsent {
            stated.push(f);
        }
    }
    out.invalid.sort_by_key(|i| i.field);
    out.stated = stated;
    out
}
