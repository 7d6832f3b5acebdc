//! Reply templates, one per kind and language (`config/templates/LANG/KIND.txt`; compiled in).
//! The first line is the subject, the rest the body. Placeholders: `{reference}`, `{fields}`
//! (the list of what to send), `{due_date}`, `{reason}`. Templates name fields in general
//! words only: no provider, no kind of care, nothing from the citizen's message.

use crate::request::model::{Field, Language};

/// A template's subject and body.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub subject: &'static str,
    pub body: &'static str,
}

fn split(text: &'static str) -> Template {
    let (subject, body) = text.split_once('\n').unwrap_or((text, ""));
    Template {
        subject: subject.trim(),
        body,
    }
}

/// The template of a reply kind (`missing_fields`, `extension`) in a language.
pub fn template(kind: &str, language: Language) -> Option<Template> {
    let text = match (kind, language) {
        ("missing_fields", Language::Fi) => {
            include_str!("../../config/templates/fi/missing_fields.txt")
        }
        ("missing_fields", Language::Sv) => {
            include_str!("../../config/templates/sv/missing_fields.txt")
        }
        ("missing_fields", Language::En) => {
            include_str!("../../config/templates/en/missing_fields.txt")
        }
        ("extension", Language::Fi) => include_str!("../../config/templates/fi/extension.txt"),
        ("extension", Language::Sv) => include_str!("../../config/templates/sv/extension.txt"),
        ("extension", Language::En) => include_str!("../../config/templates/en/extension.txt"),
        ("receipt", Language::Fi) => include_str!("../../config/templates/fi/receipt.txt"),
        ("receipt", Language::Sv) => include_str!("../../config/templates/sv/receipt.txt"),
        ("receipt", Language::En) => include_str!("../../config/templates/en/receipt.txt"),
        _ => return None,
    };
    Some(split(text))
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
        for language in [Language::Fi, Language::Sv, Language::En] {
            for kind in ["missing_fields", "extension", "receipt"] {
                let t = template(kind, language).unwrap();
                assert!(t.subject.contains("{reference}"), "{kind} {language:?}");
                let all = format!("{} {}", t.subject, t.body).to_lowercase();
                for word in ["vastaamo", "psyk", "terap", "therap", "psych", "mental"] {
                    assert!(!all.contains(word), "{kind} {language:?} names {word}");
                }
            }
            assert!(template("missing_fields", language)
                .unwrap()
                .body
                .contains("{fields}"));
            for field in Field::ALL {
                assert!(!field_name(field, language).is_empty());
            }
        }
    }
}
