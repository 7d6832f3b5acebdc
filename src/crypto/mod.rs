//! Encryption at rest and keyed hashing: the layer between the pure core and storage.
//!
//! Personal data is sealed (OpenPGP, to the storage certificate) before it reaches a database;
//! what must be looked up (an identity code, a sender, a Message-ID) is stored as a keyed hash,
//! so a stolen database is neither readable nor searchable for a known identity code without
//! the key directory. Errors never carry plaintext.

/// Sealed values and key backups are not signed (their integrity comes from the AEAD or MDC of
/// the encryption), so decryption helpers accept messages without signatures.
macro_rules! accept_unsigned {
    ($helper:ty) => {
        impl openpgp::parse::stream::VerificationHelper for $helper {
            fn get_certs(
                &mut self,
                _ids: &[openpgp::KeyHandle],
            ) -> openpgp::Result<Vec<openpgp::Cert>> {
                Ok(Vec::new())
            }

            fn check(
                &mut self,
                _structure: openpgp::parse::stream::MessageStructure,
            ) -> openpgp::Result<()> {
                Ok(())
            }
        }
    };
}
use accept_unsigned;

/// Which of a certificate's keys may open a message.
#[derive(Clone, Copy)]
enum Purpose {
    /// Values sealed at rest.
    Storage,
    /// Mail: keys for transport or storage encryption.
    Any,
}

/// Opens the session key of a message with the first of `certs`' unencrypted secret keys
/// that one of `pkesks` is addressed to; returns the certificate that did.
fn decrypt_session_key<'a>(
    certs: impl Iterator<Item = &'a openpgp::Cert>,
    purpose: Purpose,
    pkesks: &[openpgp::packet::PKESK],
    sym_algo: Option<openpgp::types::SymmetricAlgorithm>,
    decrypt: &mut dyn FnMut(
        Option<openpgp::types::SymmetricAlgorithm>,
        &openpgp::crypto::SessionKey,
    ) -> bool,
) -> openpgp::Result<Option<openpgp::Cert>> {
    let policy = openpgp::policy::StandardPolicy::new();
    for cert in certs {
        let keys = cert
            .keys()
            .with_policy(&policy, None)
            .for_storage_encryption();
        let keys = match purpose {
            Purpose::Storage => keys,
            Purpose::Any => keys.for_transport_encryption(),
        };
        for key in keys.unencrypted_secret() {
            let handle = openpgp::KeyHandle::from(key.key().fingerprint());
            for pkesk in pkesks {
                if !pkesk.recipient().is_none_or(|r| r.aliases(&handle)) {
                    continue;
                }
                let mut pair = key.key().clone().into_keypair()?;
                if pkesk
                    .decrypt(&mut pair, sym_algo)
                    .is_some_and(|(algo, session_key)| decrypt(algo, &session_key))
                {
                    return Ok(Some(cert.clone()));
                }
            }
        }
    }
    Err(anyhow::anyhow!("not encrypted to a key we hold"))
}

use sequoia_openpgp as openpgp;

pub mod backup;
mod keyed_hash;
mod keys;
pub mod password;
pub mod pgp_mime;
pub mod recipients;
mod seal;

use std::path::PathBuf;

pub use keyed_hash::{HashDomain, KeyedHasher, HASH_LEN};
pub use keys::{KeyDir, KeyFiles};
pub use seal::Sealer;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: readable by group or others; keys must be private (chmod 600, directory 700)"
    )]
    Permissions { path: PathBuf },
    #[error("{dir}: no storage key found (generate one with `datareq keys generate --dir {dir}`, or allow store.generate_missing_keys)")]
    MissingKeys { dir: PathBuf },
    #[error("{path}: not a usable storage key: {reason}")]
    BadKey { path: PathBuf, reason: String },
    #[error("encryption failed: {0}")]
    Seal(String),
    /// A sealed value that none of the keys opens, or that is damaged.
    #[error("cannot decrypt a stored value: {0}")]
    Open(String),
    #[error("a sealed value is larger than {0} bytes")]
    TooLarge(usize),
}
