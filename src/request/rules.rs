//! The rules extraction and the decision follow: which fields are required, which service
//! providers exist (with the aliases people write) and the size limit. Built from the validated
//! configuration by the `config` layer; the core never reads a file.

use crate::request::model::Field;

/// A service provider as configured: the canonical name that appears in requests, the names
/// people actually write, and the organisation that discloses its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub canonical: String,
    pub aliases: Vec<String>,
    pub organisation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Required fields in the contract's order.
    pub required: Vec<Field>,
    pub providers: Vec<Provider>,
    /// Messages larger than this are not parsed (`too_large`).
    pub max_message_bytes: usize,
    /// The authserv-id of our own mail server, whose `Authentication-Results` are trusted;
    /// `None`: sender authentication is not judged.
    pub trusted_authserv_id: Option<String>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            required: Field::DEFAULT_REQUIRED.to_vec(),
            providers: vec![Provider {
                canonical: "Psykoterapiakeskus Vastaamo".into(),
                aliases: [
                    "Vastaamo",
                    "Vastaamo Oy",
                    "Psykoterapiakeskus Vastaamo Oy",
                    "Psykoterapicentret Vastaamo",
                    "Psychotherapy Centre Vastaamo",
                    "Vastaamo psychotherapy centre",
                    "Vastaamon psykoterapiakeskus",
                ]
                .iter()
                .map(|s| s.to_string())
                .collect(),
                organisation: "helsinki".into(),
            }],
            max_message_bytes: 25 * 1024 * 1024,
            trusted_authserv_id: None,
        }
    }
}

impl Rules {
    /// The id of the organisation that discloses the records of the request's service
    /// provider: `None` while the provider is unknown or not one of ours.
    pub fn organisation_of(&self, fields: &crate::request::model::Fields) -> Option<&str> {
        let provider = fields.service_provider.as_deref()?;
        self.providers
            .iter()
            .find(|p| p.canonical == provider)
            .map(|p| p.organisation.as_str())
    }
}
