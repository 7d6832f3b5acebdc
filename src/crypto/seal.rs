//! Sealing: OpenPGP encryption of a value to the newest storage key, and opening with any key
//! of the keyring (so data sealed before a rotation stays readable).

use std::io::{Read, Write};
use std::sync::Mutex;

use openpgp::cert::amalgamation::key::ValidKeyAmalgamationIter;
use openpgp::crypto::SessionKey;
use openpgp::packet::key::{PublicParts, UnspecifiedRole};
use openpgp::packet::pkesk::PKESK6;
use openpgp::packet::Packet;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{DecryptionHelper, DecryptorBuilder};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Encryptor, LiteralWriter, Message};
use openpgp::serialize::SerializeInto;
use openpgp::types::AEADAlgorithm;
use openpgp::types::SymmetricAlgorithm;
use openpgp::Cert;
use sequoia_openpgp as openpgp;

use super::CryptoError;

/// No stored value is larger than this (a message is at most the configured message size);
/// a longer plaintext from a damaged or planted blob is refused, not read into memory.
pub const MAX_SEALED_PLAINTEXT: usize = 256 * 1024 * 1024;

static POLICY: StandardPolicy<'static> = StandardPolicy::new();

const SYMMETRIC: SymmetricAlgorithm = SymmetricAlgorithm::AES256;

pub struct Sealer {
    /// Oldest first; the last seals.
    certs: Vec<Cert>,
    /// The session key values are sealed with now, and its PKESK.
    session: Mutex<Option<Session>>,
    /// Session keys recently recovered (or made), by their PKESK: opening a value of a known
    /// session skips the public-key step. The keyring's secrets are in this process anyway.
    opened: Mutex<Vec<KnownSession>>,
}

/// A session key and the PKESK it was encrypted in.
struct KnownSession {
    pkesk: Vec<u8>,
    algo: Option<SymmetricAlgorithm>,
    key: SessionKey,
}

/// Session keys remembered for opening; the newest are kept.
const KNOWN_SESSIONS: usize = 16;

/// One session key, encrypted once to the newest storage key (the costly public-key step:
/// about 0.2 ms), then used for many values. Each value is still a complete OpenPGP message,
/// the PKESK followed by an SEIPDv2 packet; SEIPDv2 derives each message's key from the
/// session key and a fresh random salt, so reusing the session key reuses no message key.
/// It is replaced after [`SESSION_KEY_USES`] values, which bounds what one leaked session
/// key (from this process's memory) would open.
struct Session {
    key: SessionKey,
    pkesk: Vec<u8>,
    uses: u32,
}

/// Values sealed with one session key.
pub const SESSION_KEY_USES: u32 = 4096;

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
            let usable = storage_keys(cert).unencrypted_secret().next().is_some();
            if !usable {
                return Err(format!(
                    "key {} has no usable storage-encryption subkey with an unencrypted secret",
                    cert.fingerprint()
                ));
            }
        }
        Ok(Sealer {
            certs,
            session: Mutex::new(None),
            opened: Mutex::new(Vec::new()),
        })
    }

    pub fn key_count(&self) -> usize {
        self.certs.len()
    }

    /// Encrypts `plaintext` to the newest key.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
        let (session_key, pkesk) = self.session_key()?;
        let mut sealed = Vec::with_capacity(pkesk.len() + plaintext.len() + 256);
        sealed.extend_from_slice(&pkesk);
        let message = Message::new(&mut sealed);
        let message = Encryptor::with_session_key(message, SYMMETRIC, session_key)
            .map_err(err)?
            .aead_algo(AEADAlgorithm::default())
            .build()
            .map_err(err)?;
        write_literal(message, plaintext)?;
        Ok(sealed)
    }

    /// The current session key and its PKESK, replaced when used up.
    fn session_key(&self) -> Result<(SessionKey, Vec<u8>), CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
        let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
        if session.as_ref().is_none_or(|s| s.uses >= SESSION_KEY_USES) {
            let newest = self.certs.last().expect("a keyring is never empty");
            let recipient = storage_keys(newest)
                .next()
                .ok_or_else(|| CryptoError::Seal("no storage-encryption key".into()))?;
            let key = SessionKey::new(SYMMETRIC.key_size().map_err(err)?).map_err(err)?;
            let mut pkesk = PKESK6::for_recipient(&key, recipient.key()).map_err(err)?;
            pkesk.set_recipient(Some(recipient.key().fingerprint()));
            let pkesk = Packet::from(pkesk).to_vec().map_err(err)?;
            self.remember(KnownSession {
                pkesk: pkesk.clone(),
                algo: Some(SYMMETRIC),
                key: key.clone(),
            });
            *session = Some(Session {
                key,
                pkesk,
                uses: 0,
            });
        }
        let current = session.as_mut().expect("set above");
        current.uses += 1;
        Ok((current.key.clone(), current.pkesk.clone()))
    }

    /// Decrypts a value sealed to any key of the keyring. A damaged value is an error, never
    /// partial plaintext.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let err = |e: anyhow::Error| CryptoError::Open(e.to_string());
        let helper = KeyringHelper {
            sealer: self,
            recovered: None,
        };
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
        // Remembered only once the value proved authentic.
        if let Some(known) = decryptor.helper_mut().recovered.take() {
            self.remember(known);
        }
        // The decryptor withholds the last bytes until the integrity check passes, so a
        // successful read to the end means an authenticated plaintext.
        Ok(plaintext)
    }

    /// Keeps a session key for opening, the newest first.
    fn remember(&self, known: KnownSession) {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        opened.retain(|k| k.pkesk != known.pkesk);
        opened.insert(0, known);
        opened.truncate(KNOWN_SESSIONS);
    }

    /// The remembered session key of `pkesk`, if any.
    fn known(&self, pkesk: &[u8]) -> Option<(Option<SymmetricAlgorithm>, SessionKey)> {
        let opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        opened
            .iter()
            .find(|k| k.pkesk == pkesk)
            .map(|k| (k.algo, k.key.clone()))
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

/// A key's subkeys that may encrypt data at rest now, under the policy.
fn storage_keys(cert: &Cert) -> ValidKeyAmalgamationIter<'_, PublicParts, UnspecifiedRole> {
    cert.keys()
        .with_policy(&POLICY, None)
        .supported()
        .alive()
        .revoked(false)
        .for_storage_encryption()
}

struct KeyringHelper<'a> {
    sealer: &'a Sealer,
    recovered: Option<KnownSession>,
}

super::accept_unsigned!(KeyringHelper<'_>);

impl DecryptionHelper for KeyringHelper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        // Sealed values carry one PKESK; a known one spares the public-key step.
        let single = match pkesks {
            [pkesk] => Packet::from(pkesk.clone()).to_vec().ok(),
            _ => None,
        };
        if let Some((algo, key)) = single.as_deref().and_then(|p| self.sealer.known(p)) {
            if decrypt(algo, &key) {
                return Ok(None);
            }
        }
        let mut found = None;
        // Newest first: most values were sealed to it.
        let cert = super::decrypt_session_key(
            self.sealer.certs.iter().rev(),
            super::Purpose::Storage,
            pkesks,
            sym_algo,
            &mut |algo, key| {
                let ok = decrypt(algo, key);
                if ok {
                    found = Some((algo, key.clone()));
                }
                ok
            },
        )?;
        if let (Some(pkesk), Some((algo, key))) = (single, found) {
            self.recovered = Some(KnownSession { pkesk, algo, key });
        }
        Ok(cert)
    }
}

/// Writes `plaintext` as the literal data of an encrypting `message` and finishes it.
pub(super) fn write_literal(message: Message<'_>, plaintext: &[u8]) -> Result<(), CryptoError> {
    let err = |e: anyhow::Error| CryptoError::Seal(e.to_string());
    let mut literal = LiteralWriter::new(message).build().map_err(err)?;
    literal
        .write_all(plaintext)
        .map_err(|e| CryptoError::Seal(e.to_string()))?;
    literal.finalize().map_err(err)
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
        // Two seals of the same value differ (a fresh salt each): equal rows reveal nothing.
        assert_ne!(sealer.seal(secret).unwrap(), sealed);
    }

    #[test]
    fn session_keys_are_replaced_and_every_value_opens() {
        let sealer = Sealer::new(vec![key()]).unwrap();
        let first = sealer.seal(b"first").unwrap();
        let values: Vec<Vec<u8>> = (0..SESSION_KEY_USES + 1)
            .map(|i| sealer.seal(&i.to_be_bytes()).unwrap())
            .collect();
        // Values of one session share its PKESK; the session after it has another.
        let pkesk_len = 0x40; // well inside the PKESK of a Cv25519 key
        assert_eq!(first[..pkesk_len], values[0][..pkesk_len]);
        assert_ne!(
            first[..pkesk_len],
            values[SESSION_KEY_USES as usize][..pkesk_len]
        );
        for (i, v) in values.iter().enumerate().step_by(511) {
            assert_eq!(sealer.open(v).unwrap(), (i as u32).to_be_bytes());
        }
        assert_eq!(
            sealer.open(values.last().unwrap()).unwrap(),
            SESSION_KEY_USES.to_be_bytes()
        );
        // Another keyring cannot open them.
        let other = Sealer::new(vec![key()]).unwrap();
        assert!(other.open(&values[0]).is_err());
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
