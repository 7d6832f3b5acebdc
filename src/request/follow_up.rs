//! A citizen's follow-up merged into the request it answers. What the request lacked (missing
//! or invalid) is taken from the follow-up; what both state must agree, or a clerk decides:
//! a follow-up naming another person or another identity code must never complete a request.

use regex::Regex;
use std::sync::LazyLock;

use crate::request::message::MailView;
use crate::request::model::{Field, Fields, InvalidField, ParsedRequest, ReviewReason, Status};
use crate::request::parse::OUR_MESSAGE_ID_PREFIX;
use crate::request::reference::Reference;

/// A request after a follow-up: the contract's decision fields, re-evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub fields: Fields,
    pub missing: Vec<Field>,
    pub invalid: Vec<InvalidField>,
    pub review_reasons: Vec<ReviewReason>,
    pub status: Status,
    /// The fields the follow-up supplied (that were missing or invalid before).
    pub supplied: Vec<Field>,
}

static SUBJECT_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\[(DR-\d{4}-\d{6})\]").expect("static regex"));

/// The requests a message answers: references in the Message-IDs of our replies that it cites
/// (In-Reply-To, References), then one in brackets in its subject. Newest citation first.
pub fn answered_references(view: &MailView) -> Vec<Reference> {
    let mut found = Vec::new();
    let cited = view.in_reply_to.iter().chain(view.references.iter().rev());
    for id in cited {
        let local = id.trim().trim_start_matches('<');
        let Some(rest) = local.strip_prefix(OUR_MESSAGE_ID_PREFIX) else {
            continue;
        };
        // datareq.DR-2026-000123.N@host
        if let Some(Ok(reference)) = rest.get(..14).map(str::parse::<Reference>) {
            found.push(reference);
        }
    }
    if let Some(subject) = &view.subject {
        for c in SUBJECT_REFERENCE.captures_iter(subject) {
            if let Ok(reference) = c[1].parse() {
                found.push(reference);
            }
        }
    }
    let mut seen = Vec::new();
    found.retain(|r| {
        let new = !seen.contains(r);
        seen.push(*r);
        new
    });
    found
}

/// Merges `follow_up` into a request that has `fields` with `invalid` values. `required` is
/// the configured list of required fields.
pub fn merge(
    fields: &Fields,
    invalid: &[InvalidField],
    follow_up: &ParsedRequest,
    required: &[Field],
) -> Merged {
    let new = &follow_up.fields;
    let mut merged = fields.clone();
    let mut merged_invalid: Vec<InvalidField> = invalid.to_vec();
    let mut reasons: Vec<ReviewReason> = follow_up
        .review_reasons
        .iter()
        .copied()
        // A follow-up that states nothing is its own reason below; the rest (on behalf of
        // another person, several identity codes, an unknown provider) stand.
        .filter(|r| !matches!(r, ReviewReason::NoRequestFound | ReviewReason::NoText))
        .collect();
    let mut supplied = Vec::new();
    let was_usable = |f: Field| fields.has(f) && !invalid.iter().any(|i| i.field == f);
    for field in Field::ALL {
        if !new.has(field) {
            continue;
        }
        let new_invalid = follow_up.invalid.iter().find(|i| i.field == field);
        if was_usable(field) {
            match agreement(field, fields, new) {
                Agreement::Same => {}
                Agreement::Combine => combine(field, &mut merged, new),
                Agreement::Contradicts => reasons.push(if field == Field::PersonalId {
                    ReviewReason::ConflictingPersonalIds
                } else {
                    ReviewReason::ConflictingFields
                }),
            }
            continue;
        }
        take(field, &mut merged, new);
        merged_invalid.retain(|i| i.field != field);
        if let Some(i) = new_invalid {
            merged_invalid.push(InvalidField {
                field,
                reason: i.reason.to_string(),
            });
        }
        supplied.push(field);
    }
    if supplied.is_empty() && reasons.is_empty() && follow_up.status == Status::NeedsReview {
        // Nothing usable: a question, thanks, or something a person must read.
        reasons.extend(follow_up.review_reasons.iter().copied());
    }
    merged_invalid.sort_by_key(|i| i.field);
    reasons.sort();
    reasons.dedup();
    let missing: Vec<Field> = required
        .iter()
        .copied()
        .filter(|f| !merged.has(*f) && !merged_invalid.iter().any(|i| i.field == *f))
        .collect();
    let status = if !reasons.is_empty() {
        Status::NeedsReview
    } else if !missing.is_empty() || !merged_invalid.is_empty() {
        Status::Incomplete
    } else {
        Status::Complete
    };
    Merged {
        fields: merged,
        missing,
        invalid: merged_invalid,
        review_reasons: reasons,
        status,
        supplied,
    }
}

enum Agreement {
    Same,
    /// Both are kept (more years, another former name, a changed SMS choice).
    Combine,
    Contradicts,
}

/// Whether a value the request already has and the follow-up's value for the same field can
/// both stand. Who the person is (names, identity code), where the records go (phone,
/// address) and whose records (the provider) must agree; a restated request in other words
/// keeps the first wording.
fn agreement(field: Field, old: &Fields, new: &Fields) -> Agreement {
    let same = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => fold(a) == fold(b),
        _ => true,
    };
    let agrees = match field {
        Field::Surname => same(&old.surname, &new.surname),
        Field::FirstNames => same(&old.first_names, &new.first_names),
        Field::PersonalId => same(&old.personal_id, &new.personal_id),
        Field::ServiceProvider => same(&old.service_provider, &new.service_provider),
        Field::Phone => same(&old.phone, &new.phone),
        Field::Address => match (&old.address, &new.address) {
            (Some(a), Some(b)) => {
                fold(&a.street) == fold(&b.street)
                    && a.postal_code == b.postal_code
                    && fold(&a.post_office) == fold(&b.post_office)
            }
            _ => true,
        },
        Field::RequestedInformation => true,
        Field::TreatmentYears | Field::FormerNames | Field::SmsConsent => {
            return Agreement::Combine
        }
    };
    if agrees {
        Agreement::Same
    } else {
        Agreement::Contradicts
    }
}

fn combine(field: Field, merged: &mut Fields, new: &Fields) {
    match field {
        Field::TreatmentYears => {
            merged.treatment_years.extend(&new.treatment_years);
            merged.treatment_years.sort_unstable();
            merged.treatment_years.dedup();
        }
        Field::FormerNames => {
            for name in &new.former_names {
                if !merged.former_names.iter().any(|n| fold(n) == fold(name)) {
                    merged.former_names.push(name.clone());
                }
            }
        }
        // The newest answer is the citizen's choice.
        Field::SmsConsent => merged.sms_consent = new.sms_consent,
        _ => {}
    }
}

fn take(field: Field, merged: &mut Fields, new: &Fields) {
    match field {
        Field::Surname => merged.surname.clone_from(&new.surname),
        Field::FirstNames => merged.first_names.clone_from(&new.first_names),
        Field::FormerNames => merged.former_names.clone_from(&new.former_names),
        Field::PersonalId => merged.personal_id.clone_from(&new.personal_id),
        Field::RequestedInformation => merged
            .requested_information
            .clone_from(&new.requested_information),
        Field::ServiceProvider => merged.service_provider.clone_from(&new.service_provider),
        Field::TreatmentYears => merged.treatment_years.clone_from(&new.treatment_years),
        Field::Phone => merged.phone.clone_from(&new.phone),
        Field::SmsConsent => merged.sms_consent = new.sms_consent,
        Field::Address => merged.address.clone_from(&new.address),
    }
}

/// Case, accents' composition and spacing do not tell two values apart.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
