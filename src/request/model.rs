//! The request as extracted from one message: fields, what is missing or invalid, why a person
//! must look at it, and the decision. Serialises to the JSON of the parse contract.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The fields of a request, in the contract's order (which `missing` and `invalid` follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Surname,
    FirstNames,
    FormerNames,
    PersonalId,
    RequestedInformation,
    ServiceProvider,
    TreatmentYears,
    Phone,
    SmsConsent,
    Address,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Surname,
        Field::FirstNames,
        Field::FormerNames,
        Field::PersonalId,
        Field::RequestedInformation,
        Field::ServiceProvider,
        Field::TreatmentYears,
        Field::Phone,
        Field::SmsConsent,
        Field::Address,
    ];
    pub const DEFAULT_REQUIRED: [Field; 8] = [
        Field::Surname,
        Field::FirstNames,
        Field::PersonalId,
        Field::RequestedInformation,
        Field::ServiceProvider,
        Field::TreatmentYears,
        Field::Phone,
        Field::Address,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Field::Surname => "surname",
            Field::FirstNames => "first_names",
            Field::FormerNames => "former_names",
            Field::PersonalId => "personal_id",
            Field::RequestedInformation => "requested_information",
            Field::ServiceProvider => "service_provider",
            Field::TreatmentYears => "treatment_years",
            Field::Phone => "phone",
            Field::SmsConsent => "sms_consent",
            Field::Address => "address",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Fields that may never be required (they are recorded when given).
    pub fn is_optional_only(self) -> bool {
        matches!(self, Field::FormerNames | Field::SmsConsent)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

use crate::request::extract::address::Address;

/// The language a request is written in (the automatic reply uses it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Fi,
    Sv,
    En,
}

/// Where the fields came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    FreeText,
    TextForm,
    PdfForm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Complete,
    Incomplete,
    NeedsReview,
}

/// Why a person must look at a request. Serialised names are part of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    AutoSubmitted,
    ConflictingFields,
    ConflictingPersonalIds,
    DeceasedPerson,
    EncryptedUndecryptable,
    NoRequestFound,
    NoText,
    OnBehalfOfAnotherPerson,
    TooLarge,
    UnauthenticatedSender,
    UnknownServiceProvider,
    UnreadableAttachment,
}

impl ReviewReason {
    pub fn name(self) -> &'static str {
        match self {
            ReviewReason::AutoSubmitted => "auto_submitted",
            ReviewReason::ConflictingFields => "conflicting_fields",
            ReviewReason::ConflictingPersonalIds => "conflicting_personal_ids",
            ReviewReason::DeceasedPerson => "deceased_person",
            ReviewReason::EncryptedUndecryptable => "encrypted_undecryptable",
            ReviewReason::NoRequestFound => "no_request_found",
            ReviewReason::NoText => "no_text",
            ReviewReason::OnBehalfOfAnotherPerson => "on_behalf_of_another_person",
            ReviewReason::TooLarge => "too_large",
            ReviewReason::UnauthenticatedSender => "unauthenticated_sender",
            ReviewReason::UnknownServiceProvider => "unknown_service_provider",
            ReviewReason::UnreadableAttachment => "unreadable_attachment",
        }
    }
}

/// A present but unusable value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Invalid {
    pub field: Field,
    pub reason: &'static str,
}

/// A present but unusable value, with the reason as text: the form the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidField {
    pub field: Field,
    pub reason: String,
}

impl From<&Invalid> for InvalidField {
    fn from(i: &Invalid) -> InvalidField {
        InvalidField {
            field: i.field,
            reason: i.reason.to_string(),
        }
    }
}

/// The extracted fields. Personal data: `Debug` names only which fields are present.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fields {
    pub surname: Option<String>,
    pub first_names: Option<String>,
    pub former_names: Vec<String>,
    pub personal_id: Option<String>,
    pub requested_information: Option<String>,
    pub service_provider: Option<String>,
    pub treatment_years: Vec<i32>,
    pub phone: Option<String>,
    pub sms_consent: Option<bool>,
    pub address: Option<Address>,
}

impl Fields {
    /// Whether a field has a value (the test for `missing`).
    pub fn has(&self, field: Field) -> bool {
        match field {
            Field::Surname => self.surname.is_some(),
            Field::FirstNames => self.first_names.is_some(),
            Field::FormerNames => !self.former_names.is_empty(),
            Field::PersonalId => self.personal_id.is_some(),
            Field::RequestedInformation => self.requested_information.is_some(),
            Field::ServiceProvider => self.service_provider.is_some(),
            Field::TreatmentYears => !self.treatment_years.is_empty(),
            Field::Phone => self.phone.is_some(),
            Field::SmsConsent => self.sms_consent.is_some(),
            Field::Address => self.address.is_some(),
        }
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let present: Vec<&str> = Field::ALL
            .into_iter()
            .filter(|x| self.has(*x))
            .map(Field::name)
            .collect();
        f.debug_struct("Fields").field("present", &present).finish()
    }
}

/// What became of one attachment: shown to the clerk, so a request that is in a scan or a
/// locked PDF can be found. The file name is the sender's and may be personal: it is kept
/// for the clerk's view but never logged (`Debug` omits it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentReport {
    pub name: Option<String>,
    pub content_type: String,
    pub size: usize,
    pub outcome: AttachmentOutcome,
}

impl fmt::Debug for AttachmentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentReport")
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentOutcome {
    /// Its form fields were read.
    FormFields,
    /// A fillable form with every field left blank.
    BlankForm,
    /// Its text was read (a text attachment, a flattened PDF, a DOCX form).
    Text,
    /// A forwarded message, read as the request.
    Forwarded,
    /// A scan or a photo: images without text (no OCR).
    ImageOnly,
    /// A document that could not be read, and why.
    Unreadable(crate::request::attachment::Unreadable),
    /// A kind we do not read (winmail.dat, archives, spreadsheets).
    NotRead,
}

impl AttachmentOutcome {
    /// In words, for a clerk.
    pub fn describe(self) -> String {
        match self {
            AttachmentOutcome::FormFields => "form fields read".into(),
            AttachmentOutcome::BlankForm => "a blank form".into(),
            AttachmentOutcome::Text => "text read".into(),
            AttachmentOutcome::Forwarded => "forwarded message, read".into(),
            AttachmentOutcome::ImageOnly => "picture or scan, not read (no OCR)".into(),
            AttachmentOutcome::Unreadable(why) => format!("unreadable ({})", why.name()),
            AttachmentOutcome::NotRead => "not read (kind not supported)".into(),
        }
    }
}

/// One message's request: the parse contract's object without the `file` key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRequest {
    pub message_id: Option<String>,
    pub language: Language,
    pub source: Source,
    pub fields: Fields,
    pub missing: Vec<Field>,
    pub invalid: Vec<Invalid>,
    pub review_reasons: Vec<ReviewReason>,
    pub status: Status,
    pub auto_submitted: bool,
    pub follow_up: bool,
    /// Not part of the parse contract's JSON: for the clerk's view and the store.
    #[serde(skip)]
    pub attachments: Vec<AttachmentReport>,
}
