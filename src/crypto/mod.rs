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

pub mod backup;
mod keyed_hash;
mod keys;
pub mod pgp_mime;
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
