//! Replies over SMTP (lettre on tokio, rustls): implicit TLS for `smtps://`, STARTTLS required
//! for `smtp://` off loopback, opportunistic on loopback. A failed hand-over is classified so
//! the sender knows whether to try again (4xx, connection trouble) or park the reply for the
//! clerks (5xx). What is kept of a failure is its code and kind only: servers' texts often
//! repeat the recipient's address.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::location::{Security, Server};
use super::MailError;

pub type SmtpTransport = AsyncSmtpTransport<Tokio1Executor>;

/// Why a reply was not handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Try again later: a 4xx answer, a timeout, a connection that failed.
    Transient(String),
    /// Will not succeed as it is: a 5xx answer (unknown mailbox, refused content).
    Permanent(String),
}

impl SendFailure {
    pub fn reason(&self) -> &str {
        match self {
            SendFailure::Transient(r) | SendFailure::Permanent(r) => r,
        }
    }
}

/// The transport for `server`, with `DATAREQ_TLS_CA_FILE` added to the trusted roots.
pub fn transport(server: &Server) -> Result<SmtpTransport, MailError> {
    super::tls::install_provider();
    let mut params = TlsParameters::builder(server.host.clone());
    if let Some(pem) = super::tls::extra_ca_pem()? {
        let cert = Certificate::from_pem(&pem).map_err(|e| MailError::Tls(e.to_string()))?;
        params = params.add_root_certificate(cert);
    }
    let params = params
        .build_rustls()
        .map_err(|e| MailError::Tls(e.to_string()))?;
    let tls = match server.security {
        Security::Implicit => Tls::Wrapper(params),
        Security::StartTlsRequired => Tls::Required(params),
        Security::StartTlsIfOffered => Tls::Opportunistic(params),
    };
    let mut builder = SmtpTransport::builder_dangerous(server.host.as_str())
        .port(server.port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(60)));
    if let Some(user) = &server.user {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            server.password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

/// Hands one message over.
pub async fn send(transport: &SmtpTransport, message: &lettre::Message) -> Result<(), SendFailure> {
    match transport.send(message.clone()).await {
        Ok(_) => Ok(()),
        Err(e) => Err(classify(&e)),
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendFailure {
    let code = e.status().map(|c| c.to_string());
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "tls"
    } else if e.is_response() || e.is_permanent() || e.is_transient() {
        "answer"
    } else if e.is_client() {
        "client"
    } else {
        "connection"
    };
    let reason = match code {
        Some(code) => format!("{kind} {code}"),
        None => kind.to_string(),
    };
    if e.is_permanent() {
        SendFailure::Permanent(reason)
    } else {
        SendFailure::Transient(reason)
    }
}
