//! Encryption to a disclosing organisation: the OpenPGP certificates its staff hold, and
//! messages only their keys open. The profile is the one GnuPG 2.2 reads (the version City
//! staff have on Debian): v4 keys, PKESK v3 and SEIPDv1 with MDC, no AEAD, whatever the
//! certificates advertise.

use std::path::{Path, PathBuf};

use openpgp::cert::CertParser;
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, Message, Recipient};
use openpgp::types::{Features, KeyFlags, SymmetricAlgorithm};
use openpgp::Cert;
use sequoia_openpgp as openpgp;

use super::CryptoError;

static POLICY: StandardPolicy<'static> = StandardPolicy::new();

/// An organisation's certificates, each with at least one usable encryption subkey.
pub struct Recipients {
    certs: Vec<Cert>,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients")
            .field("certificates", &self.certs.len())
            .finish()
    }
}

fn encryption_flags() -> KeyFlags {
    KeyFlags::empty()
        .set_storage_encryption()
        .set_transport_encryption()
}

impl Recipients {
    /// Reads every certificate in `files` (a file may hold several). Each must be a v4
    /// certificate with a valid, unexpired, unrevoked encryption subkey: a bundle nobody can
    /// open would be a request lost.
    pub fn load(files: &[PathBuf]) -> Result<Recipients, CryptoError> {
        let mut certs = Vec::new();
        for path in files {
            let bad = |reason: String| CryptoError::BadKey {
                path: path.clone(),
                reason,
            };
            let bytes = std::fs::read(path).map_err(|source| CryptoError::Io {
                path: path.clone(),
                source,
            })?;
            let mut found = 0;
            for cert in CertParser::from_bytes(&bytes).map_err(|e| bad(e.to_string()))? {
                let cert = cert.map_err(|e| bad(e.to_string()))?;
                check(&cert).map_err(bad)?;
                certs.push(cert);
                found += 1;
            }
            if found == 0 {
                return Err(bad("no OpenPGP certificate in the file".into()));
            }
        }
        if certs.is_empty() {
            return Err(CryptoError::BadKey {
                path: Path::new("certificates").to_path_buf(),
                reason: "no certificate configured".into(),
            });
        }
        Ok(Recipients { certs })
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Encrypts `plaintext` to every encryption subkey of every certificate.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
        let keys: Vec<_> = self
            .certs
            .iter()
            .flat_map(|cert| usable_keys(cert).collect::<Vec<_>>())
            .collect();
        // SEIPDv1 is what GnuPG 2.2 reads; a certificate that advertises more does not
        // choose the format.
        let recipients = keys.iter().map(|ka| {
            Recipient::new(
                Features::empty().set_seipdv1(),
                ka.key().key_handle(),
                ka.key(),
            )
        });
        let mut out = Vec::with_capacity(plaintext.len() + 1024);
        let message = Message::new(&mut out);
        let message = Encryptor::for_recipients(message, recipients)
            .symmetric_algo(SymmetricAlgorithm::AES256)
            .build()
            .map_err(err)?;
        super::seal::write_literal(message, plaintext)?;
        Ok(out)
    }
}

impl Recipients {
    /// As [`Recipients::encrypt`], ASCII-armoured (for PGP/MIME mail).
    pub fn encrypt_armored(&self, plaintext: &[u8]) -> Result<String, CryptoError> {
        let binary = self.encrypt(plaintext)?;
        let err = |e: std::io::Error| CryptoError::Seal(e.to_string());
        let mut writer =
            openpgp::armor::Writer::new(Vec::new(), openpgp::armor::Kind::Message).map_err(err)?;
        std::io::Write::write_all(&mut writer, &binary).map_err(err)?;
        let armored = writer.finalize().map_err(err)?;
        String::from_utf8(armored).map_err(|_| CryptoError::Seal("armour is not text".into()))
    }
}

fn usable_keys(
    cert: &Cert,
) -> impl Iterator<
    Item = openpgp::cert::amalgamation::key::ValidErasedKeyAmalgamation<
        '_,
        openpgp::packet::key::PublicParts,
    >,
> {
    cert.keys()
        .with_policy(&POLICY, None)
        .supported()
        .alive()
        .revoked(false)
        .key_flags(encryption_flags())
}

fn check(cert: &Cert) -> Result<(), String> {
    if cert.primary_key().key().version() != 4 {
        return Err("not a v4 certificate (GnuPG 2.2 reads only v4)".into());
    }
    let valid = cert
        .with_policy(&POLICY, None)
        .map_err(|e| format!("certificate not valid: {e}"))?;
    valid
        .alive()
        .map_err(|e| format!("certificate not alive: {e}"))?;
    if usable_keys(cert).next().is_none() {
        return Err("no valid encryption subkey".into());
    }
    Ok(())
}
