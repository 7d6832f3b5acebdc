//! Reply templates, one per kind and language (`config/templates/LANG/KIND.txt`; compiled in).
//! The first line is the subject, the rest the body. Placeholders: `{reference}`, `{fields}`
//! (the list of what to send), `{due_date}`, `{reason}`. Templates name fields in general
//! words only: no provider, no kind of care, nothing from the citizen's message.

use std::path::Path;

use super::MailError;
use crate::request::model::{Field, Language};

/// A template's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

fn split(text: &str) -> Template {
    let (subject, body) = text.split_once('\n').unwrap_or((text, ""));
    Template {
        subject: subject.trim().to_string(),
        body: body.to_string(),
    }
}

/// The reply kinds and their built-in texts, per language.
const BUILT_IN: &[(&str, Language, &str)] = &[
    (
        "missing_fields",
        Language::Fi,
        include_str!("../../config/templates/fi/missing_fields.txt"),
    ),
    (
        "missing_fields",
        Language::Sv,
        include_str!("../../config/templates/sv/missing_fields.txt"),
    ),
    (
        "missing_fields",
        Language::En,
        include_str!("../../config/templates/en/missing_fields.txt"),
    ),
    (
        "extension",
        Language::Fi,
        include_str!("../../config/templates/fi/extension.txt"),
    ),
    (
        "extension",
        Language::Sv,
        include_str!("../../config/templates/sv/extension.txt"),
    ),
    (
        "extension",
        Language::En,
        include_str!("../../config/templates/en/extension.txt"),
    ),
    (
        "receipt",
        Language::Fi,
        include_str!("../../config/templates/fi/receipt.txt"),
    ),
    (
        "receipt",
        Language::Sv,
        include_str!("../../config/templates/sv/receipt.txt"),
    ),
    (
        "receipt",
        Language::En,
        include_str!("../../config/templates/en/receipt.txt"),
    ),
    (
        "clerk_reply",
        Language::Fi,
        include_str!("../../config/templates/fi/clerk_reply.txt"),
    ),
    (
        "clerk_reply",
        Language::Sv,
        include_str!("../../config/templates/sv/clerk_reply.txt"),
    ),
    (
        "clerk_reply",
        Language::En,
        include_str!("../../config/templates/en/clerk_reply.txt"),
    ),
    (
        "rejection",
        Language::Fi,
        include_str!("../../config/templates/fi/rejection.txt"),
    ),
    (
        "rejection",
        Language::Sv,
        include_str!("../../config/templates/sv/rejection.txt"),
    ),
    (
        "rejection",
        Language::En,
        include_str!("../../config/templates/en/rejection.txt"),
    ),
    (
        "expired",
        Language::Fi,
        include_str!("../../config/templates/fi/expired.txt"),
    ),
    (
        "expired",
        Language::Sv,
        include_str!("../../config/templates/sv/expired.txt"),
    ),
    (
        "expired",
        Language::En,
        include_str!("../../config/templates/en/expired.txt"),
    ),
];

/// Kinds whose body must carry the clerk's words (`{reason}`).
const WITH_REASON: &[&str] = &["extension", "clerk_reply", "rejection"];

/// Words no reply may contain, whoever edited the template: a reply read by someone else must
/// not reveal that its recipient was a psychotherapy patient. The configured providers' names
/// are added to these.
const CARE_WORDS: &[&str] = &["psyk", "terap", "therap", "psych", "mental"];

/// The first word in `text` that would tell a reader the recipient was a psychotherapy
/// patient: a word for the care, or one of `providers` (names, compared ignoring case).
pub fn names_the_care(text: &str, providers: &[String]) -> Option<String> {
    let text = text.to_lowercase();
    CARE_WORDS
        .iter()
        .map(|w| w.to_string())
        .chain(providers.iter().map(|w| w.to_lowercase()))
        .find(|w| text.contains(w.as_str()))
}

/// The reply templates in use: the built-in ones, each replaced by the file
/// `DIR/LANG/KIND.txt` when the configured folder has it (clerks edit those; SIGHUP reloads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates {
    texts: Vec<(&'static str, Language, Template)>,
    /// How many came from files.
    pub from_files: usize,
}

impl Templates {
    pub fn built_in() -> Templates {
        Templates {
            texts: BUILT_IN
                .iter()
                .map(|(kind, language, text)| (*kind, *language, split(text)))
                .collect(),
            from_files: 0,
        }
    }

    /// The built-in templates with those in `dir` in their place. A file that fails the
    /// checks (no `{reference}` in the subject, no `{fields}` in a list of what is missing, a
    /// word naming the care or a provider in `forbidden`) is an error naming the file and the
    /// rule, and nothing is replaced.
    pub fn load(dir: Option<&Path>, forbidden: &[String]) -> Result<Templates, MailError> {
        let mut templates = Templates::built_in();
        let Some(dir) = dir.filter(|d| d.is_dir()) else {
            return Ok(templates);
        };
        for (kind, language, template) in &mut templates.texts {
            let path = dir
                .join(language_dir(*language))
                .join(format!("{kind}.txt"));
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(MailError::Io { path, source }),
            };
            let loaded = split(&text);
            let problem = |why: String| MailError::Template {
                path: path.clone(),
                why,
            };
            if !loaded.subject.contains("{reference}") {
                return Err(problem("the subject (first line) lacks {reference}".into()));
            }
            if *kind == "missing_fields" && !loaded.body.contains("{fields}") {
                return Err(problem("the body lacks {fields}".into()));
            }
            if WITH_REASON.contains(kind) && !loaded.body.contains("{reason}") {
                return Err(problem("the body lacks {reason}".into()));
            }
            let all = format!("{} {}", loaded.subject, loaded.body);
            if let Some(word) = names_the_care(&all, forbidden) {
                return Err(problem(format!(
                    "it names the care or a provider (\"{word}\"), which no reply may"
                )));
            }
            *template = loaded;
            templates.from_files += 1;
        }
        Ok(templates)
    }

    /// The template of a reply kind in a language.
    pub fn get(&self, kind: &str, language: Language) -> Option<&Template> {
        self.texts
            .iter()
            .find(|(k, l, _)| *k == kind && *l == language)
            .map(|(_, _, t)| t)
    }
}

fn language_dir(language: Language) -> &'static str {
    match language {
        Language::Fi => "fi",
        Language::Sv => "sv",
        Language::En => "en",
    }
}

/// How a reply names a field, in the citizen's language.
pub fn field_name(field: Field, language: Language) -> &'static str {
    use Field as F;
    use Language as L;
    match (language, field) {
        (L::Fi, F::Surname) => "sukunimi",
        (L::Fi, F::FirstNames) => "etunimet",
        (L::Fi, F::FormerNames) => "aiemmat nimet",
        (L::Fi, F::PersonalId) => "henkilötunnus",
        (L::Fi, F::RequestedInformation) => "mitä tietoja pyydätte",
        (L::Fi, F::ServiceProvider) => "palveluntuottaja",
        (L::Fi, F::TreatmentYears) => "vuodet, joita pyyntö koskee",
        (L::Fi, F::Phone) => "puhelinnumero",
        (L::Fi, F::SmsConsent) => "saako saapumisesta ilmoittaa tekstiviestillä",
        (L::Fi, F::Address) => "postiosoite",
        (L::Sv, F::Surname) => "efternamn",
        (L::Sv, F::FirstNames) => "förnamn",
        (L::Sv, F::FormerNames) => "tidigare namn",
        (L::Sv, F::PersonalId) => "personbeteckning",
        (L::Sv, F::RequestedInformation) => "vilka uppgifter ni begär",
        (L::Sv, F::ServiceProvider) => "tjänsteproducent",
        (L::Sv, F::TreatmentYears) => "de år som begäran gäller",
        (L::Sv, F::Phone) => "telefonnummer",
        (L::Sv, F::SmsConsent) => "om ankomsten får meddelas med sms",
        (L::Sv, F::Address) => "postadress",
        (L::En, F::Surname) => "surname",
        (L::En, F::FirstNames) => "first names",
        (L::En, F::FormerNames) => "former names",
        (L::En, F::PersonalId) => "personal identity code",
        (L::En, F::RequestedInformation) => "the information you ask for",
        (L::En, F::ServiceProvider) => "service provider",
        (L::En, F::TreatmentYears) => "the years your request concerns",
        (L::En, F::Phone) => "phone number",
        (L::En, F::SmsConsent) => "whether we may tell you of the arrival by text message",
        (L::En, F::Address) => "postal address",
    }
}

/// What a reply says of a value that was given but cannot be used.
pub fn invalid_note(language: Language) -> &'static str {
    match language {
        Language::Fi => "annettu tieto ei kelpaa, tarkistakaa se",
        Language::Sv => "den angivna uppgiften är ogiltig, kontrollera den",
        Language::En => "the value given is not valid, please check it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_exists_and_names_nothing_sensitive() {
        let templates = Templates::built_in();
        for language in [Language::Fi, Language::Sv, Language::En] {
            for kind in [
                "missing_fields",
                "extension",
                "receipt",
                "clerk_reply",
                "rejection",
                "expired",
            ] {
                let t = templates.get(kind, language).unwrap();
                assert!(t.subject.contains("{reference}"), "{kind} {language:?}");
                let all = format!("{} {}", t.subject, t.body).to_lowercase();
                for word in ["vastaamo", "psyk", "terap", "therap", "psych", "mental"] {
                    assert!(!all.contains(word), "{kind} {language:?} names {word}");
                }
            }
            assert!(templates
                .get("missing_fields", language)
                .unwrap()
                .body
                .contains("{fields}"));
            for kind in WITH_REASON {
                assert!(templates
                    .get(kind, language)
                    .unwrap()
                    .body
                    .contains("{reason}"));
            }
            for kind in ["rejection", "expired"] {
                // The right to complain, in every language.
                let body = &templates.get(kind, language).unwrap().body;
                assert!(body.contains("tietosuoja.fi"), "{kind} {language:?}");
            }
            for field in Field::ALL {
                assert!(!field_name(field, language).is_empty());
            }
        }
        // The built-in texts pass the checks a clerk's files must pass.
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/templates");
        let loaded = Templates::load(Some(&dir), &["Vastaamo".to_string()]).unwrap();
        assert_eq!(loaded.from_files, BUILT_IN.len());
        assert_eq!(loaded.texts, templates.texts);
    }

    #[test]
    fn a_clerks_file_replaces_one_text_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("en")).unwrap();
        let file = dir.path().join("en/receipt.txt");
        std::fs::write(&file, "[{reference}] Received\nWe have it.\n").unwrap();
        let loaded = Templates::load(Some(dir.path()), &[]).unwrap();
        assert_eq!(loaded.from_files, 1);
        assert_eq!(
            loaded.get("receipt", Language::En).unwrap().body,
            "We have it.\n"
        );
        assert_eq!(
            loaded.get("receipt", Language::Fi),
            Templates::built_in().get("receipt", Language::Fi)
        );
        for (text, rule) in [
            ("Received\nbody", "{reference}"),
            ("[{reference}] About your therapy\nbody", "care"),
            ("[{reference}] x\nFrom Vastaamo", "care or a provider"),
        ] {
            std::fs::write(&file, text).unwrap();
            let e = Templates::load(Some(dir.path()), &["Vastaamo".into()]).unwrap_err();
            assert!(e.to_string().contains(rule), "{e}");
        }
        std::fs::write(dir.path().join("en/receipt.txt"), "[{reference}] ok\nok").unwrap();
        std::fs::write(
            dir.path().join("en/missing_fields.txt"),
            "[{reference}] x\nno list",
        )
        .unwrap();
        assert!(Templates::load(Some(dir.path()), &[]).is_err());
        // No folder: the built-in texts.
        assert_eq!(
            Templates::load(Some(&dir.path().join("none")), &[]).unwrap(),
            Templates::built_in()
        );
    }
}
