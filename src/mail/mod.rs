//! Mail adapters: where requests come from (a Maildir, later IMAP) and how replies leave (a
//! folder of .eml files through lettre's file transport, later SMTP).

pub mod maildir;
pub mod reply;
pub mod templates;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no reply template for this kind and language")]
    NoTemplate,
    /// The address itself is not repeated: it is personal data.
    #[error("the reply's recipient is not a valid address")]
    BadRecipient,
    #[error("cannot build the reply: {0}")]
    Build(String),
    #[error("cannot hand the reply over: {0}")]
    Transport(String),
    #[error("mail location: {0}")]
    Url(String),
}
