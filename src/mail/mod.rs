//! Mail adapters: where requests come from (a Maildir, an IMAP folder) and how replies leave
//! (a folder of .eml files through lettre's file transport, or SMTP).

pub mod imap;
pub mod location;
pub mod maildir;
pub mod net;
pub mod reply;
pub mod smtp;
pub mod templates;
pub mod tls;

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
    #[error("{path}: not used: {why}")]
    Template { path: PathBuf, why: String },
    /// The address itself is not repeated: it is personal data.
    #[error("the reply's recipient is not a valid address")]
    BadRecipient,
    #[error("cannot build the reply: {0}")]
    Build(String),
    #[error("cannot hand the reply over: {0}")]
    Transport(String),
    #[error("mail location: {0}")]
    Url(String),
    #[error("{0}")]
    Connect(String),
    #[error("TLS: {0}")]
    Tls(String),
    /// The server's answer to the login, never the credentials.
    #[error("IMAP login refused: {0}")]
    Login(String),
    #[error("IMAP: {0}")]
    Imap(String),
}

impl MailError {
    /// The kind of error, for the daemon's health: never a path, a server's text or a value.
    pub fn kind(&self) -> &'static str {
        match self {
            MailError::Io { .. } => "input/output",
            MailError::NoTemplate | MailError::Template { .. } => "template",
            MailError::BadRecipient | MailError::Build(_) => "build",
            MailError::Transport(_) => "transport",
            MailError::Url(_) => "settings",
            MailError::Connect(_) => "connection",
            MailError::Tls(_) => "tls",
            MailError::Login(_) => "login refused",
            MailError::Imap(_) => "protocol",
        }
    }
}
