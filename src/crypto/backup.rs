//! A passphrase-protected backup of the key directory: every storage key and the HMAC secret
//! in one ASCII-armoured OpenPGP message, encrypted with the passphrase (SKESK, Argon2 or
//! iterated S2K as sequoia chooses). Without this backup or the directory itself, every stored
//! request is lost; with it and the database, everything is readable, so the two are kept
//! apart.

use std::io::{Read, Write};

use openpgp::crypto::{Password, SessionKey};
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{DecryptionHelper, DecryptorBuilder};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message};
use openpgp::types::SymmetricAlgorithm;
use openpgp::Cert;
use sequoia_openpgp as openpgp;
use serde::{Deserialize, Serialize};

use super::CryptoError;

/// A passphrase shorter than this is refused: the backup may be kept somewhere less guarded
/// than the server.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The files of a key directory, by name.
#[derive(Serialize, Deserialize, PartialEq, Eq)]
pub struct Bundle {
    pub version: u32,
    /// (file name, contents in hex)
    pub files: Vec<(String, String)>,
}

impl std::fmt::Debug for Bundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.files.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Bundle").field("files", &names).finish()
    }
}

/// Encrypts a bundle with a passphrase, ASCII-armoured.
pub fn export(bundle: &Bundle, passphrase: &str) -> Result<Vec<u8>, CryptoError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CryptoError::Seal(format!(
            "the passphrase must have at least {MIN_PASSPHRASE_CHARS} characters"
        )));
    }
    let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
    let json = serde_json::to_vec(bundle).map_err(|e| CryptoError::Seal(e.to_string()))?;
    let mut out = Vec::new();
    let message = Message::new(&mut out);
    let message = Armorer::new(message)
        .add_header("Comment", "datareq key backup")
        .build()
        .map_err(err)?;
    let message = Encryptor::with_passwords(message, [Password::from(passphrase)])
        .build()
        .map_err(err)?;
    let mut literal = LiteralWriter::new(message).build().map_err(err)?;
    literal
        .write_all(&json)
        .map_err(|e| CryptoError::Seal(e.to_string()))?;
    literal.finalize().map_err(err)?;
    Ok(out)
}

/// Decrypts a backup. A wrong passphrase or a damaged file is an error.
pub fn import(armoured: &[u8], passphrase: &str) -> Result<Bundle, CryptoError> {
    let err = |e: anyhow::Error| CryptoError::Open(e.to_string());
    let policy = StandardPolicy::new();
    let helper = PassphraseHelper {
        password: Password::from(passphrase),
    };
    let mut decryptor = DecryptorBuilder::from_bytes(armoured)
        .map_err(err)?
        .with_policy(&policy, None, helper)
        .map_err(|_| CryptoError::Open("wrong passphrase, or not a datareq key backup".into()))?;
    let mut json = Vec::new();
    (&mut decryptor)
        .take(64 * 1024 * 1024)
        .read_to_end(&mut json)
        .map_err(|e| CryptoError::Open(e.to_string()))?;
    serde_json::from_slice(&json).map_err(|_| CryptoError::Open("not a datareq key backup".into()))
}

struct PassphraseHelper {
    password: Password,
}

super::accept_unsigned!(PassphraseHelper);

impl DecryptionHelper for PassphraseHelper {
    fn decrypt(
        &mut self,
        _pkesks: &[PKESK],
        skesks: &[SKESK],
        _sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        for skesk in skesks {
            if let Ok((algo, key)) = skesk.decrypt(&self.password) {
                if decrypt(algo, &key) {
                    return Ok(None);
                }
            }
        }
        Err(anyhow::anyhow!("wrong passphrase"))
    }
}
