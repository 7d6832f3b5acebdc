//! The decision: which required fields are missing, why a person must look at the request, and
//! its status. `needs_review` takes precedence; `complete` only when nothing is missing,
//! invalid or doubtful, because a wrong `complete` sends therapy records to the wrong person.

use crate::request::attachment::Unreadable;
use crate::request::extract::Extracted;
use crate::request::message::MailView;
use crate::request::model::{
    AttachmentOutcome, AttachmentReport, Field, Fields, ReviewReason, Status,
};
use crate::request::rules::Rules;
use crate::request::sender_auth::{sender_auth, SenderAuth};

/// The decision's outcome for one message.
pub struct Decision {
    pub fields: Fields,
    pub missing: Vec<Field>,
    pub invalid: Vec<crate::request::model::Invalid>,
    pub review_reasons: Vec<ReviewReason>,
    pub status: Status,
}

/// Fields that make a message a request when one of them is stated (with one more field).
const ANCHORS: [Field; 3] = [
    Field::PersonalId,
    Field::ServiceProvider,
    Field::TreatmentYears,
];

/// Whether the text asks for records at all: a follow-up does; otherwise at least two fields,
/// one of them an identity code, a provider or a treatment year.
pub fn is_request(extracted: &Extracted, follow_up: bool) -> bool {
    if follow_up {
        return !extracted.stated.is_empty();
    }
    let stated = &extracted.stated;
    stated.len() >= 2 && stated.iter().any(|f| ANCHORS.contains(f))
}

pub fn decide(
    view: &MailView,
    attachments: &[AttachmentReport],
    extracted: Extracted,
    rules: &Rules,
    follow_up: bool,
) -> Decision {
    let mut reasons: Vec<ReviewReason> = Vec::new();
    if view.too_large {
        reasons.push(ReviewReason::TooLarge);
    }
    // Our mail server says the sender is not who the From claims: a clerk decides, and
    // nothing is answered automatically (a forged request must not reach a real person).
    if let Some(id) = &rules.trusted_authserv_id {
        if sender_auth(&view.authentication_results, id) == SenderAuth::Failed {
            reasons.push(ReviewReason::UnauthenticatedSender);
        }
    }
    // Automatic mail is never a request, even when it answers one of our replies (an
    // out-of-office notice quotes our Message-ID and carries a business signature).
    if view.encrypted {
        reasons.push(ReviewReason::EncryptedUndecryptable);
    }
    let request = !view.too_large
        && !view.encrypted
        && !view.auto_submitted
        && is_request(&extracted, follow_up);
    // A document that failed to open (locked, damaged, over a limit) may hold a request
    // that contradicts the text: a clerk looks even when the text is a whole request.
    for a in attachments {
        if let AttachmentOutcome::Unreadable(why) = a.outcome {
            if !view.auto_submitted {
                reasons.push(match why {
                    Unreadable::TooLarge => ReviewReason::TooLarge,
                    _ => ReviewReason::UnreadableAttachment,
                });
            }
        }
    }
    // Scans, photos and unread kinds matter only when the text holds no request.
    let unread_content = attachments.iter().any(|a| {
        matches!(
            a.outcome,
            AttachmentOutcome::ImageOnly | AttachmentOutcome::NotRead
        )
    });
    if !request {
        if view.too_large || view.encrypted {
            // The content was never read: nothing to report but why.
        } else if view.auto_submitted {
            // Bounces carry the returned message as an attachment; nothing to read there.
            reasons.push(ReviewReason::NoRequestFound);
        } else if unread_content {
            // The request may well be in an attachment we cannot read: a clerk looks.
            reasons.push(ReviewReason::UnreadableAttachment);
            reasons.push(ReviewReason::NoRequestFound);
        } else if view.body.trim().is_empty() && view.attachments.is_empty() {
            reasons.push(ReviewReason::NoText);
            reasons.push(ReviewReason::NoRequestFound);
        } else {
            reasons.push(ReviewReason::NoRequestFound);
        }
        reasons.sort();
        reasons.dedup();
        return Decision {
            fields: Fields::default(),
            missing: rules.required.clone(),
            invalid: Vec::new(),
            review_reasons: reasons,
            status: Status::NeedsReview,
        };
    }
    if view.auto_submitted {
        reasons.push(ReviewReason::AutoSubmitted);
    }
    if extracted.deceased {
        reasons.push(ReviewReason::DeceasedPerson);
    } else if extracted.on_behalf {
        reasons.push(ReviewReason::OnBehalfOfAnotherPerson);
    }
    if extracted.personal_ids.len() > 1 {
        reasons.push(ReviewReason::ConflictingPersonalIds);
    }
    if extracted.unknown_provider {
        reasons.push(ReviewReason::UnknownServiceProvider);
    }
    if !extracted.conflicting.is_empty() {
        reasons.push(ReviewReason::ConflictingFields);
    }
    reasons.sort();
    reasons.dedup();
    let missing: Vec<Field> = rules
        .required
        .iter()
        .copied()
        .filter(|f| !extracted.fields.has(*f) && !extracted.invalid.iter().any(|i| i.field == *f))
        .collect();
    let status = if !reasons.is_empty() {
        Status::NeedsReview
    } else if !missing.is_empty() || !extracted.invalid.is_empty() {
        Status::Incomplete
    } else {
        Status::Complete
    };
    Decision {
        fields: extracted.fields,
        missing,
        invalid: extracted.invalid,
        review_reasons: reasons,
        status,
    }
}
