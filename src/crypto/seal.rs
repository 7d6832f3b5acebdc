//! Sealing: OpenPGP encryption of a value to the newest storage key, and opening with any key
//! of the keyring (so data sealed before a rotation stays readable).

use std::io::{Read, Write};

use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageStructure, VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message};
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Cert, KeyHandle};
use sequoia_openpgp as openpgp;

use super::CryptoError;

/// No stored value is larger than this (a message is at most the configured message size);
/// a longer plaintext from a damaged or planted blob is refused, not read into memory.
pub const MAX_SEALED_PLAINTEXT: usize = 256 * 1024 * 1024;

static POLICY: StandardPolicy<'static> = StandardPolicy::new();

pub struct Sealer {
    /// Oldest first; the last seals.
    certs: Vec<Cert>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("keys", &self.certs.len())
            .finish()
    }
}

impl Sealer {
    /// A keyring, oldest key first. Every key must hold a usable storage-encryption subkey
    /// with its secret.
    pub fn new(certs: Vec<Cert>) -> Result<Sealer, String> {
        if certs.is_empty() {
            return Err("no storage key".into());
        }
        for cert in &certs {
            let usable = cert
                .keys()
                .with_policy(&POLICY, None)
                .supported()
                .alive()
                .revoked(false)
                .for_storage_encryption()
                .unencrypted_secret()
                .next()
                .is_some();
            if !usable {
                return Err(format!(
                    "key {} has no usable storage-encryption subkey with an unencrypted secret",
                    cert.fingerprint()
                ));
            }
        }
        Ok(Sealer { certs })
    }

    pub fn key_count(&self) -> usize {
        self.certs.len()
    }

    /// Encrypts `plaintext` to the newest key.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
        let newest = self.certs.last().expect("a keyring is never empty");
        let recipients = newest
            .keys()
            .with_policy(&POLICY, None)
            .supported()
            .alive()
            .revoked(false)
            .for_storage_encryption();
        let mut sealed = Vec::with_capacity(plaintext.len() + 256);
        let message = Message::new(&mut sealed);
        let message = Encryptor::for_recipients(message, recipients)
            .build()
            .map_err(err)?;
        let mut literal = LiteralWriter::new(message).build().map_err(err)?;
        literal
            .write_all(plaintext)
            .map_err(|e| CryptoError::Seal(e.to_string()))?;
        literal.finalize().map_err(err)?;
        Ok(sealed)
    }

    /// Decrypts a value sealed to any key of the keyring. A damaged value is an error, never
    /// partial plaintext.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Open(e.to_string());
        let helper = KeyringHelper { certs: &self.certs };
        let mut decryptor = DecryptorBuilder::from_bytes(sealed)
            .map_err(err)?
            .with_policy(&POLICY, None, helper)
            .map_err(err)?;
        let mut plaintext = Vec::new();
        (&mut decryptor)
            .take(MAX_SEALED_PLAINTEXT as u64 + 1)
            .read_to_end(&mut plaintext)
            .map_err(|e| CryptoError::Open(e.to_string()))?;
        if plaintext.len() > MAX_SEALED_PLAINTEXT {
            return Err(CryptoError::TooLarge(MAX_SEALED_PLAINTEXT));
        }
        // The decryptor withholds the last bytes until the integrity check passes, so a
        // successful read to the end means an authenticated plaintext.
        Ok(plaintext)
    }

    /// Seals a value as JSON.
    pub fn seal_json<T: serde::Serialize>(&self, value: &T) -> Result<Vec<u8>, CryptoError> {
        let json = serde_json::to_vec(value).map_err(|e| CryptoError::Seal(e.to_string()))?;
        self.seal(&json)
    }

    /// Opens a value sealed with [`Self::seal_json`]. The JSON error names only its position,
    /// never the content.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        sealed: &[u8],
    ) -> Result<T, CryptoError> {
        let json = self.open(sealed)?;
        serde_json::from_slice(&json).map_err(|e| {
            CryptoError::Open(format!(
                "stored value is not the expected JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }
}

struct KeyringHelper<'a> {
    certs: &'a [Cert],
}

impl VerificationHelper for KeyringHelper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        // Sealed values are not signed: what is stored is authenticated by the encryption's
        // integrity protection.
        Ok(Vec::new())
    }

    fn check(&mut self, _structure: MessageStructure) -> openpgp::Result<()> {
        Ok(())
    }
}

impl DecryptionHelper for KeyringHelper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        // Newest first: most values were sealed to it.
        for cert in self.certs.iter().rev() {
            for key in cert
                .keys()
                .with_policy(&POLICY, None)
                .for_storage_encryption()
                .unencrypted_secret()
            {
                let handle = KeyHandle::from(key.key().fingerprint());
                for pkesk in pkesks {
                    let addressed = pkesk.recipient().is_none_or(|r| r.aliases(&handle));
                    if !addressed {
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
        Err(anyhow::anyhow!(
            "sealed to a key that is not in the keyring"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpgp::cert::{CertBuilder, CipherSuite};

    fn key() -> Cert {
        CertBuilder::new()
            .set_cipher_suite(CipherSuite::Cv25519)
            .add_storage_encryption_subkey()
            .generate()
            .unwrap()
            .0
    }

    #[test]
    fn seals_and_opens() {
        let sealer = Sealer::new(vec![key()]).unwrap();
        let secret = "Liisa Virtanen 131052-308T".as_bytes();
        let sealed = sealer.seal(secret).unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"Virtan"));
        assert_eq!(sealer.open(&sealed).unwrap(), secret);
        // Two seals of the same value differ (fresh session keys): equal rows reveal nothing.
        assert_ne!(sealer.seal(secret).unwrap(), sealed);
    }

    #[test]
    fn a_flipped_bit_or_another_key_fails() {
        let sealer = Sealer::new(vec![key()]).unwrap();
        let mut sealed = sealer.seal(&[7u8; 4096]).unwrap();
        let n = sealed.len();
        sealed[n - 40] ^= 1;
        assert!(sealer.open(&sealed).is_err());
        let other = Sealer::new(vec![key()]).unwrap();
        let sealed = sealer.seal(b"x").unwrap();
        assert!(other.open(&sealed).is_err());
        assert!(sealer.open(b"not openpgp").is_err());
    }
}
