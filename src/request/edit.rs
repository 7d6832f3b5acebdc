//! A clerk's correction of one field (`datareq review edit REF --set field=value`): the value
//! is checked as strictly as extraction checks what it finds. An identity code that fails its
//! checksum, a phone number that is not one, a provider that is not configured are refused,
//! never stored: a clerk's typo must not make a request complete. Errors name the field and
//! the rule, never the value.

use crate::request::extract::address::{code_and_office, Address};
use crate::request::extract::phone::to_e164;
use crate::request::extract::provider::ProviderMatcher;
use crate::request::extract::years::years_in_value;
use crate::request::model::{Field, Fields, InvalidField};
use crate::request::personal_id::PersonalId;
use crate::request::rules::Rules;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("expected field=value")]
    Syntax,
    #[error("no field named {0:?}")]
    UnknownField(String),
    #[error("{field}: {why}")]
    Invalid {
        field: &'static str,
        why: &'static str,
    },
}

/// One correction: `field=value` (an empty value clears the field).
#[derive(Clone, PartialEq, Eq)]
pub struct Edit {
    pub field: Field,
    value: String,
}

impl std::fmt::Debug for Edit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edit")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl std::str::FromStr for Edit {
    type Err = EditError;

    fn from_str(text: &str) -> Result<Edit, EditError> {
        let (name, value) = text.split_once('=').ok_or(EditError::Syntax)?;
        let name = name.trim();
        let field =
            Field::from_name(name).ok_or_else(|| EditError::UnknownField(name.to_string()))?;
        Ok(Edit {
            field,
            value: value.trim().to_string(),
        })
    }
}

impl Edit {
    /// Applies the correction to `fields`; the field's earlier invalid mark goes, since the
    /// new value passed the checks.
    pub fn apply(
        &self,
        fields: &mut Fields,
        invalid: &mut Vec<InvalidField>,
        rules: &Rules,
        current_year: i32,
    ) -> Result<(), EditError> {
        let field = self.field;
        let bad = |why: &'static str| EditError::Invalid {
            field: field.name(),
            why,
        };
        let value = self.value.as_str();
        let text = || (!value.is_empty()).then(|| value.to_string());
        match field {
            Field::Surname => fields.surname = text(),
            Field::FirstNames => fields.first_names = text(),
            Field::RequestedInformation => fields.requested_information = text(),
            Field::FormerNames => {
                fields.former_names = value
                    .split([',', ';'])
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .collect();
            }
            Field::PersonalId if value.is_empty() => fields.personal_id = None,
            Field::PersonalId => {
                let id = PersonalId::parse(value)
                    .map_err(|_| bad("not a valid personal identity code (format or checksum)"))?;
                fields.personal_id = Some(id.expose().to_string());
            }
            Field::ServiceProvider if value.is_empty() => fields.service_provider = None,
            Field::ServiceProvider => {
                let canonical = ProviderMatcher::new(rules)
                    .find_first(value)
                    .ok_or_else(|| bad("not a configured service provider"))?;
                fields.service_provider = Some(canonical);
            }
            Field::TreatmentYears => {
                let years = years_in_value(value);
                if !value.is_empty() && years.is_empty() {
                    return Err(bad("no year found (e.g. 2016, 2016-2018)"));
                }
                if years.iter().any(|y| *y < 1900 || *y > current_year) {
                    return Err(bad("a year outside 1900 to this year"));
                }
                fields.treatment_years = years;
            }
            Field::Phone if value.is_empty() => fields.phone = None,
            Field::Phone => {
                fields.phone = Some(to_e164(value).ok_or_else(|| bad("not a phone number"))?);
            }
            Field::SmsConsent => {
                fields.sms_consent = match value.to_lowercase().as_str() {
                    "" => None,
                    "yes" | "true" | "kyllä" | "ja" => Some(true),
                    "no" | "false" | "ei" | "nej" => Some(false),
                    _ => return Err(bad("expected yes or no")),
                }
            }
            Field::Address if value.is_empty() => fields.address = None,
            Field::Address => {
                let (street, rest) = value
                    .rsplit_once(',')
                    .ok_or_else(|| bad("expected \"street, postal code post office\""))?;
                let (postal_code, office) = code_and_office(rest.trim())
                    .ok_or_else(|| bad("no 5-digit postal code and post office after the comma"))?;
                let post_office =
                    office.ok_or_else(|| bad("no post office after the postal code"))?;
                if street.trim().is_empty() {
                    return Err(bad("no street before the comma"));
                }
                fields.address = Some(Address {
                    street: street.trim().to_string(),
                    postal_code,
                    post_office,
                });
            }
        }
        invalid.retain(|i| i.field != field);
        Ok(())
    }
}

/// A field's value written the way an edit takes it back (empty when it has none).
pub fn value_text(fields: &Fields, field: Field) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    match field {
        Field::Surname => opt(&fields.surname),
        Field::FirstNames => opt(&fields.first_names),
        Field::FormerNames => fields.former_names.join(", "),
        Field::PersonalId => opt(&fields.personal_id),
        Field::RequestedInformation => opt(&fields.requested_information),
        Field::ServiceProvider => opt(&fields.service_provider),
        Field::TreatmentYears => fields
            .treatment_years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Field::Phone => opt(&fields.phone),
        Field::SmsConsent => match fields.sms_consent {
            Some(true) => "yes".into(),
            Some(false) => "no".into(),
            None => String::new(),
        },
        Field::Address => fields.address.as_ref().map_or(String::new(), |a| {
            format!("{}, {} {}", a.street, a.postal_code, a.post_office)
        }),
    }
}

/// The required fields `fields` lacks or holds invalid.
pub fn missing(fields: &Fields, invalid: &[InvalidField], rules: &Rules) -> Vec<Field> {
    rules
        .required
        .iter()
        .copied()
        .filter(|f| !fields.has(*f) && !invalid.iter().any(|i| i.field == *f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(text: &str, fields: &mut Fields) -> Result<(), EditError> {
        let mut invalid = vec![InvalidField {
            field: Field::PersonalId,
            reason: "checksum".into(),
        }];
        let e: Edit = text.parse()?;
        let r = e.apply(fields, &mut invalid, &Rules::default(), 2026);
        if r.is_ok() && e.field == Field::PersonalId {
            assert!(invalid.is_empty(), "a corrected code is no longer invalid");
        }
        r
    }

    #[test]
    fn values_are_checked_as_strictly_as_extraction_checks_them() {
        let mut f = Fields::default();
        edit("personal_id=131052-308t", &mut f).unwrap();
        assert_eq!(f.personal_id.as_deref(), Some("131052-308T"));
        let refused = edit("personal_id=131052-308U", &mut f).unwrap_err();
        assert!(!refused.to_string().contains("131052"), "{refused}");
        assert_eq!(f.personal_id.as_deref(), Some("131052-308T"), "unchanged");
        edit("service_provider=vastaamo oy", &mut f).unwrap();
        assert_eq!(
            f.service_provider.as_deref(),
            Some("Psykoterapiakeskus Vastaamo")
        );
        assert!(edit("service_provider=Mehiläinen", &mut f).is_err());
        edit("treatment_years=2015-2017", &mut f).unwrap();
        assert_eq!(f.treatment_years, vec![2015, 2016, 2017]);
        assert!(edit("treatment_years=2031", &mut f).is_err());
        assert!(edit("treatment_years=last year", &mut f).is_err());
        edit("phone=040 123 4567", &mut f).unwrap();
        assert_eq!(f.phone.as_deref(), Some("+358401234567"));
        assert!(edit("phone=12", &mut f).is_err());
        edit("address=Mannerheimintie 12 A 5, 00100 HELSINKI", &mut f).unwrap();
        let a = f.address.clone().unwrap();
        assert_eq!(
            (a.postal_code.as_str(), a.post_office.as_str()),
            ("00100", "Helsinki")
        );
        assert!(edit("address=Mannerheimintie 12", &mut f).is_err());
        edit("sms_consent=kyllä", &mut f).unwrap();
        assert_eq!(f.sms_consent, Some(true));
        edit("former_names=Korhonen, Nieminen", &mut f).unwrap();
        assert_eq!(f.former_names, vec!["Korhonen", "Nieminen"]);
        edit("surname=", &mut f).unwrap();
        assert_eq!(f.surname, None);
        assert_eq!(
            missing(&f, &[], &Rules::default()),
            vec![
                Field::Surname,
                Field::FirstNames,
                Field::RequestedInformation
            ]
        );
        assert_eq!(
            "nonsense=1".parse::<Edit>(),
            Err(EditError::UnknownField("nonsense".into()))
        );
        assert_eq!("surname".parse::<Edit>(), Err(EditError::Syntax));
    }
}
