//! Replies over SMTP (lettre's SMTP client on tokio, rustls): implicit TLS for `smtps://`,
//! STARTTLS required for `smtp://` off loopback, used when offered on loopback. One connection
//! is kept open and reused, replaced when it breaks. A failed hand-over is classified so the
//! sender knows whether to try again (4xx, connection trouble) or park the reply for the
//! clerks (5xx). What is kept of a failure is its code and kind only: servers' texts often
//! repeat the recipient's address.

use std::sync::Arc;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::location::{Security, Server};
use super::net::{start_tls, tcp_connect, Conn};
use super::MailError;

/// How long one command (or the message's data) may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

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

/// An SMTP client with one reusable connection.
pub struct SmtpSender {
    server: Server,
    tls: Arc<rustls::ClientConfig>,
    starttls: TlsParameters,
    hello: ClientId,
    connection: Option<AsyncSmtpConnection>,
}

impl SmtpSender {
    /// A sender for `server`, trusting `DATAREQ_TLS_CA_FILE` too. Connects on first use.
    pub fn new(server: Server) -> Result<SmtpSender, MailError> {
        let tls = super::tls::client_config()?;
        let mut params = TlsParameters::builder(server.host.clone());
        if let Some(pem) = super::tls::extra_ca_pem()? {
            let cert = Certificate::from_pem(&pem).map_err(|e| MailError::Tls(e.to_string()))?;
            params = params.add_root_certificate(cert);
        }
        let starttls = params
            .build_rustls()
            .map_err(|e| MailError::Tls(e.to_string()))?;
        Ok(SmtpSender {
            server,
            tls,
            starttls,
            hello: ClientId::default(),
            connection: None,
        })
    }

    /// Hands one message over. A reused connection that turns out to be closed (servers drop
    /// idle clients) is replaced once before the failure counts.
    pub async fn send(&mut self, message: &lettre::Message) -> Result<(), SendFailure> {
        let reused = self.connection.is_some();
        match self.try_send(message).await {
            Err(SendFailure::Transient(_)) if reused => self.try_send(message).await,
            result => result,
        }
    }

    async fn try_send(&mut self, message: &lettre::Message) -> Result<(), SendFailure> {
        if self.connection.as_ref().is_none_or(|c| c.has_broken()) {
            self.connection = None;
            self.connection = Some(self.connect().await?);
        }
        let connection = self.connection.as_mut().expect("connected above");
        let sent = tokio::time::timeout(
            COMMAND_TIMEOUT,
            connection.send(message.envelope(), &message.formatted()),
        )
        .await;
        match sent {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                // After a refusal the session's state is not worth trusting: start afresh.
                self.connection = None;
                Err(classify(&e))
            }
            Err(_) => {
                self.connection = None;
                Err(SendFailure::Transient("timeout".into()))
            }
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendFailure> {
        let connecting = async {
            let tcp = tcp_connect(&self.server, "SMTP")
                .await
                .map_err(|e| SendFailure::Transient(e.to_string()))?;
            let stream = match self.server.security {
                Security::Implicit => Conn::Tls(Box::new(
                    start_tls(tcp, &self.server.host, &self.tls)
                        .await
                        .map_err(|e| SendFailure::Transient(e.to_string()))?,
                )),
                _ => Conn::Plain(tcp),
            };
            // Whatever goes wrong before a message is offered (greeting, TLS, login) is about
            // the server or our settings, not the message: never a reason to park it.
            let session = |e: lettre::transport::smtp::Error| {
                SendFailure::Transient(format!("session {}", classify(&e).reason()))
            };
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                    .await
                    .map_err(session)?;
            let offered = connection.can_starttls();
            match self.server.security {
                Security::Implicit => {}
                Security::StartTlsRequired if !offered => {
                    return Err(SendFailure::Transient(
                        "the SMTP server does not offer STARTTLS, and it is not on loopback".into(),
                    ))
                }
                Security::StartTlsIfOffered if !offered => {}
                Security::StartTlsRequired | Security::StartTlsIfOffered => connection
                    .starttls(self.starttls.clone(), &self.hello)
                    .await
                    .map_err(session)?,
            }
            if let Some(user) = &self.server.user {
                let credentials = Credentials::new(
                    user.clone(),
                    self.server.password.clone().unwrap_or_default(),
                );
                connection
                    .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                    .await
                    .map_err(session)?;
            }
            Ok(connection)
        };
        tokio::time::timeout(COMMAND_TIMEOUT, connecting)
            .await
            .unwrap_or_else(|_| Err(SendFailure::Transient("timeout".into())))
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
