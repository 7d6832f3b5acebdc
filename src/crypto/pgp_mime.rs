//! PGP/MIME (RFC 3156) on incoming mail, with sequoia: a `multipart/encrypted` message to
//! Kela's key is decrypted before it is parsed, and signatures (inside the encryption, or a
//! `multipart/signed` message) are verified. The signer's certificate is taken from the
//! message's `Autocrypt:` header when it has one (citizens' keys are otherwise unknown to
//! Kela), so the outcome is one of: unsigned, good, bad, or signed by an unknown key. Nothing
//! here logs or returns message content; failures are reported by kind only.

use std::io::Read;
use std::path::Path;

use base64::Engine;
use mail_parser::{MessageParser, MimeHeaders};
use openpgp::crypto::SessionKey;
use openpgp::packet::{PKESK, SKESK};
use openpgp::parse::stream::{
    DecryptionHelper, DecryptorBuilder, DetachedVerifierBuilder, MessageLayer, MessageStructure,
    VerificationError, VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::types::SymmetricAlgorithm;
use openpgp::{Cert, KeyHandle};
use sequoia_openpgp as openpgp;

use super::CryptoError;

/// What a signature check found. Serialised names go to the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    Unsigned,
    Good,
    Bad,
    /// Signed, but by a key the message did not carry (no Autocrypt header): not checkable.
    UnknownKey,
}

impl SignatureCheck {
    pub fn name(self) -> &'static str {
        match self {
            SignatureCheck::Unsigned => "unsigned",
            SignatureCheck::Good => "good",
            SignatureCheck::Bad => "bad",
            SignatureCheck::UnknownKey => "unknown_key",
        }
    }
}

/// A message after PGP/MIME processing.
#[derive(Debug)]
pub enum Opened {
    /// Not encrypted: parse the bytes as they are (a `multipart/signed` one was checked).
    AsIs { signature: SignatureCheck },
    /// Decrypted: the outer headers with the decrypted MIME entity in place of the
    /// encrypted body.
    Decrypted {
        raw: Vec<u8>,
        signature: SignatureCheck,
    },
    /// Encrypted, but not to a key we hold, or damaged.
    Undecryptable,
}

/// Kela's secret keys for incoming mail (`mail.decryption_key_file`).
pub struct MailKeys {
    certs: Vec<Cert>,
}

impl MailKeys {
    /// Reads one or more secret keys (armoured or binary) from a private file.
    pub fn load(path: &Path) -> Result<MailKeys, CryptoError> {
        super::keys::check_private(path)?;
        let bytes = std::fs::read(path).map_err(|source| CryptoError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let bad = |reason: &str| CryptoError::BadKey {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let certs: Vec<Cert> = openpgp::cert::CertParser::from_bytes(&bytes)
            .map_err(|_| bad("not an OpenPGP key"))?
            .collect::<Result<_, _>>()
            .map_err(|_| bad("not an OpenPGP key"))?;
        if certs.is_empty() || !certs.iter().any(Cert::is_tsk) {
            return Err(bad("holds no secret key"));
        }
        Ok(MailKeys { certs })
    }
}

/// Decrypts and checks `raw` as PGP/MIME. `max_bytes` bounds the decrypted size.
pub fn open_message(raw: &[u8], keys: Option<&MailKeys>, max_bytes: usize) -> Opened {
    let Some(message) = MessageParser::default().parse(raw) else {
        return Opened::AsIs {
            signature: SignatureCheck::Unsigned,
        };
    };
    let signers = autocrypt_certs(&message);
    if is_multipart(&message, "encrypted", "application/pgp-encrypted") {
        let Some(keys) = keys else {
            return Opened::Undecryptable;
        };
        let Some(ciphertext) = message
            .parts
            .iter()
            .find(|p| {
                p.content_type().is_some_and(|c| {
                    c.ctype().eq_ignore_ascii_case("application")
                        && c.subtype()
                            .is_some_and(|s| s.eq_ignore_ascii_case("octet-stream"))
                })
            })
            .map(|p| p.contents().to_vec())
        else {
            return Opened::Undecryptable;
        };
        let Some((entity, inline)) = decrypt(&ciphertext, keys, &signers, max_bytes) else {
            return Opened::Undecryptable;
        };
        // A multipart/signed entity inside the encryption (RFC 3156 section 6.1) carries its
        // own signature; otherwise the signature is the one inside the OpenPGP message (6.2).
        let (entity, signature) = match signed_parts(&entity) {
            Some(signed) => {
                let check = verify_detached(&signed.content, &signed.signature, &signers);
                (signed.content, check)
            }
            None => (entity, inline),
        };
        return Opened::Decrypted {
            raw: replace_body(raw, &entity),
            signature,
        };
    }
    if is_multipart(&message, "signed", "application/pgp-signature") {
        if let Some(signed) = signed_parts(raw) {
            return Opened::AsIs {
                signature: verify_detached(&signed.content, &signed.signature, &signers),
            };
        }
    }
    Opened::AsIs {
        signature: SignatureCheck::Unsigned,
    }
}

fn is_multipart(message: &mail_parser::Message<'_>, subtype: &str, protocol: &str) -> bool {
    message.content_type().is_some_and(|c| {
        c.ctype().eq_ignore_ascii_case("multipart")
            && c.subtype().is_some_and(|s| s.eq_ignore_ascii_case(subtype))
            && c.attribute("protocol")
                .is_some_and(|p| p.eq_ignore_ascii_case(protocol))
    })
}

/// Certificates in `Autocrypt:` headers (RFC-less but widespread: the sender's public key).
fn autocrypt_certs(message: &mail_parser::Message<'_>) -> Vec<Cert> {
    message
        .headers()
        .iter()
        .filter(|h| h.name().eq_ignore_ascii_case("Autocrypt"))
        .filter_map(|h| {
            message
                .raw_message()
                .get(h.offset_start() as usize..h.offset_end() as usize)
        })
        .filter_map(|value| {
            let value = std::str::from_utf8(value).ok()?;
            let data = value.split("keydata=").nth(1)?;
            let data: String = data
                .chars()
                .take_while(|c| *c != ';')
                .filter(|c| !c.is_whitespace())
                .collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .ok()?;
            Cert::from_bytes(&bytes).ok()
        })
        .collect()
}

/// The body of a MIME entity: what follows the first empty line.
fn body_of(entity: &[u8]) -> Option<usize> {
    let crlf = find(entity, b"\r\n\r\n").map(|i| i + 4);
    let lf = find(entity, b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `raw`'s headers without its content headers, followed by `entity` (headers and body).
fn replace_body(raw: &[u8], entity: &[u8]) -> Vec<u8> {
    let end = body_of(raw).unwrap_or(raw.len());
    let text = String::from_utf8_lossy(&raw[..end]);
    let mut out = Vec::with_capacity(end + entity.len());
    let mut skipping = false;
    for line in text.split_inclusive('\n') {
        if line.trim().is_empty() {
            break;
        }
        let continuation = line.starts_with(' ') || line.starts_with('\t');
        if !continuation {
            let name = line.split(':').next().unwrap_or_default().trim();
            skipping = ["content-type", "content-transfer-encoding", "mime-version"]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h));
        }
        if !skipping {
            out.extend_from_slice(line.trim_end_matches(['\r', '\n']).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"MIME-Version: 1.0\r\n");
    out.extend_from_slice(entity);
    out
}

/// The two parts of a `multipart/signed` entity: the signed content exactly as sent, and the
/// signature.
struct SignedParts {
    content: Vec<u8>,
    signature: Vec<u8>,
}

fn signed_parts(entity: &[u8]) -> Option<SignedParts> {
    let parsed = MessageParser::default().parse_headers(entity)?;
    let content_type = parsed.content_type()?;
    if !(content_type.ctype().eq_ignore_ascii_case("multipart")
        && content_type
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("signed")))
    {
        return None;
    }
    let boundary = content_type.attribute("boundary")?;
    let body = &entity[body_of(entity)?..];
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // The content runs from after the first delimiter line to the line break before the next.
    let first = find(body, delimiter)?;
    let after_first = first + delimiter.len();
    let start = after_first + line_break_len(&body[after_first..])?;
    let next = start + find(&body[start..], delimiter)?;
    let end = if body[..next].ends_with(b"\r\n") {
        next - 2
    } else if body[..next].ends_with(b"\n") {
        next - 1
    } else {
        return None;
    };
    let content = body.get(start..end)?.to_vec();
    let rest = &body[next + delimiter.len()..];
    let sig_start = line_break_len(rest)?;
    let sig_part = &rest[sig_start..];
    let sig_end = find(sig_part, delimiter).unwrap_or(sig_part.len());
    let sig_part = &sig_part[..sig_end];
    let signature = sig_part[body_of(sig_part)?..].to_vec();
    Some(SignedParts { content, signature })
}

fn line_break_len(s: &[u8]) -> Option<usize> {
    // Transport padding (spaces) may follow a delimiter before its line break.
    let spaces = s.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
    match &s[spaces..] {
        [b'\r', b'\n', ..] => Some(spaces + 2),
        [b'\n', ..] => Some(spaces + 1),
        _ => None,
    }
}

/// Signed content is checked over CRLF line endings (RFC 3156 section 5), whatever a
/// transport did to them.
fn canonical(content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + content.len() / 32);
    for (i, b) in content.iter().enumerate() {
        if *b == b'\n' && (i == 0 || content[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(*b);
    }
    out
}

fn verify_detached(content: &[u8], signature: &[u8], signers: &[Cert]) -> SignatureCheck {
    let policy = StandardPolicy::new();
    let mut helper = Helper {
        keys: &[],
        signers,
        signature: SignatureCheck::Unsigned,
    };
    let verified = DetachedVerifierBuilder::from_bytes(signature)
        .and_then(|b| b.with_policy(&policy, None, &mut helper))
        .and_then(|mut v| v.verify_bytes(canonical(content)));
    match (verified, helper.signature) {
        (_, SignatureCheck::Unsigned) => SignatureCheck::Bad,
        (_, check) => check,
    }
}

/// Decrypts an OpenPGP message: the plaintext and the signature inside it.
fn decrypt(
    ciphertext: &[u8],
    keys: &MailKeys,
    signers: &[Cert],
    max_bytes: usize,
) -> Option<(Vec<u8>, SignatureCheck)> {
    let policy = StandardPolicy::new();
    let mut helper = Helper {
        keys: &keys.certs,
        signers,
        signature: SignatureCheck::Unsigned,
    };
    let mut plaintext = Vec::new();
    {
        let mut decryptor = DecryptorBuilder::from_bytes(ciphertext)
            .ok()?
            .with_policy(&policy, None, &mut helper)
            .ok()?;
        (&mut decryptor)
            .take(max_bytes as u64 + 1)
            .read_to_end(&mut plaintext)
            .ok()?;
        if plaintext.len() > max_bytes {
            return None;
        }
    }
    Some((plaintext, helper.signature))
}

struct Helper<'a> {
    keys: &'a [Cert],
    signers: &'a [Cert],
    signature: SignatureCheck,
}

impl VerificationHelper for &mut Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self.signers.to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        for layer in structure {
            if let MessageLayer::SignatureGroup { results } = layer {
                for result in results {
                    let found = match result {
                        Ok(_) => SignatureCheck::Good,
                        Err(VerificationError::MissingKey { .. }) => SignatureCheck::UnknownKey,
                        Err(_) => SignatureCheck::Bad,
                    };
                    // One good signature is enough; a bad one outweighs an unknown one.
                    self.signature = match (self.signature, found) {
                        (SignatureCheck::Good, _) | (_, SignatureCheck::Good) => {
                            SignatureCheck::Good
                        }
                        (SignatureCheck::Bad, _) | (_, SignatureCheck::Bad) => SignatureCheck::Bad,
                        _ => found,
                    };
                }
            }
        }
        // A bad signature does not stop decryption: the clerk sees the outcome.
        Ok(())
    }
}

impl DecryptionHelper for &mut Helper<'_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        _skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> openpgp::Result<Option<Cert>> {
        super::decrypt_session_key(
            self.keys.iter(),
            super::Purpose::Any,
            pkesks,
            sym_algo,
            decrypt,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_parts_are_cut_at_the_delimiters() {
        let entity = b"Content-Type: multipart/signed; boundary=\"b\"; protocol=\"application/pgp-signature\"\r\n\r\n\
preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\nSIG\r\n--b--\r\n";
        let parts = signed_parts(entity).unwrap();
        assert_eq!(parts.content, b"Content-Type: text/plain\r\n\r\nhello");
        assert_eq!(parts.signature, b"SIG\r\n");
    }

    #[test]
    fn canonical_line_endings() {
        assert_eq!(canonical(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
    }

    #[test]
    fn outer_headers_keep_all_but_the_content_headers() {
        let raw = b"From: a@example.fi\r\nContent-Type: multipart/encrypted;\r\n\tprotocol=\"application/pgp-encrypted\"\r\nSubject: x\r\n\r\nbody";
        let out = replace_body(raw, b"Content-Type: text/plain\r\n\r\nplain");
        assert_eq!(
            out,
            b"From: a@example.fi\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nplain"
        );
    }

    #[test]
    fn plain_mail_is_left_as_it_is() {
        let raw = b"From: a@example.fi\r\nSubject: x\r\n\r\nhello\r\n";
        assert!(matches!(
            open_message(raw, None, 1 << 20),
            Opened::AsIs {
                signature: SignatureCheck::Unsigned
            }
        ));
    }

    #[test]
    fn encrypted_mail_without_keys_is_undecryptable() {
        let raw = b"From: a@example.fi\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n--x\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQ==\r\n-----END PGP MESSAGE-----\r\n--x--\r\n";
        assert!(matches!(
            open_message(raw, None, 1 << 20),
            Opened::Undecryptable
        ));
    }
}
