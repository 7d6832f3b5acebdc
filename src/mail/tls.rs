//! TLS for the mail connections (rustls with ring): the public web PKI roots, plus the CA in
//! `DATAREQ_TLS_CA_FILE` for servers with a private or self-signed certificate (test setups,
//! an organisation's own CA).

use std::sync::Arc;

use super::MailError;

/// Adds a CA (PEM) to the trusted roots.
pub const TLS_CA_FILE_ENV: &str = "DATAREQ_TLS_CA_FILE";

/// Installs ring as the process's rustls provider (lettre asks for the default). Idempotent.
pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The extra CA's certificates in PEM, when `DATAREQ_TLS_CA_FILE` names one.
pub fn extra_ca_pem() -> Result<Option<Vec<u8>>, MailError> {
    match std::env::var_os(TLS_CA_FILE_ENV) {
        Some(path) if !path.is_empty() => {
            let path = std::path::PathBuf::from(path);
            std::fs::read(&path)
                .map(Some)
                .map_err(|source| MailError::Io { path, source })
        }
        _ => Ok(None),
    }
}

/// The client configuration every IMAP connection uses.
pub fn client_config() -> Result<Arc<rustls::ClientConfig>, MailError> {
    install_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_ca_pem()? {
        let mut added = 0;
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|_| MailError::Tls(format!("{TLS_CA_FILE_ENV}: not PEM")))?;
            roots
                .add(cert)
                .map_err(|e| MailError::Tls(format!("{TLS_CA_FILE_ENV}: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(MailError::Tls(format!(
                "{TLS_CA_FILE_ENV}: no certificate in the file"
            )));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| MailError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
