//! HMAC-SHA-256 with a secret key: look-up keys for values that must not be stored readable.
//! A plain hash of an identity code would not do: there are only about 10^9 codes, so a stolen
//! table of plain hashes is reversed by trying them all. Each use has its own domain label, so a
//! hash made for one purpose cannot be matched against another's.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HASH_LEN: usize = 32;

/// What a hash is for; part of the hashed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashDomain {
    PersonalId,
    Sender,
    MessageId,
    /// A message's Message-ID and the SHA-256 of its bytes: its identity for idempotent ingest.
    Content,
    /// A message's mailbox, UIDVALIDITY and UID.
    Mailbox,
    /// The audit trail's chain.
    Audit,
    /// A web session's cookie.
    Session,
}

impl HashDomain {
    fn label(self) -> &'static [u8] {
        match self {
            HashDomain::PersonalId => b"datareq personal id v1",
            HashDomain::Sender => b"datareq sender v1",
            HashDomain::MessageId => b"datareq message-id v1",
            HashDomain::Content => b"datareq content v1",
            HashDomain::Mailbox => b"datareq mailbox v1",
            HashDomain::Audit => b"datareq audit v1",
            HashDomain::Session => b"datareq session v1",
        }
    }
}

#[derive(Clone)]
pub struct KeyedHasher {
    key: [u8; HASH_LEN],
}

impl std::fmt::Debug for KeyedHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyedHasher(..)")
    }
}

impl KeyedHasher {
    pub fn new(key: [u8; HASH_LEN]) -> KeyedHasher {
        KeyedHasher { key }
    }

    /// The hash of `parts` in `domain`. Each part is length-prefixed, so ("ab", "c") and
    /// ("a", "bc") differ.
    pub fn hash(&self, domain: HashDomain, parts: &[&[u8]]) -> [u8; HASH_LEN] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        let label = domain.label();
        mac.update(&(label.len() as u64).to_be_bytes());
        mac.update(label);
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// An identity code's look-up key. The code is compared as the core writes it (upper
    /// case, no spaces), so "131052-308t" and "131052-308T" find the same request.
    pub fn personal_id(&self, code: &str) -> [u8; HASH_LEN] {
        let normal: String = code
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_uppercase)
            .collect();
        self.hash(HashDomain::PersonalId, &[normal.as_bytes()])
    }

    /// A sender address's look-up key; addresses are compared without case.
    pub fn sender(&self, address: &str) -> [u8; HASH_LEN] {
        let normal = address.trim().to_lowercase();
        self.hash(HashDomain::Sender, &[normal.as_bytes()])
    }

    /// A Message-ID's look-up key, without its angle brackets.
    pub fn message_id(&self, id: &str) -> [u8; HASH_LEN] {
        let normal = id.trim().trim_start_matches('<').trim_end_matches('>');
        self.hash(HashDomain::MessageId, &[normal.as_bytes()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_domain_separated_and_normalised() {
        let a = KeyedHasher::new([1; HASH_LEN]);
        let b = KeyedHasher::new([2; HASH_LEN]);
        assert_eq!(a.personal_id("131052-308T"), a.personal_id(" 131052-308t"));
        assert_ne!(a.personal_id("131052-308T"), b.personal_id("131052-308T"));
        assert_ne!(
            a.hash(HashDomain::PersonalId, &[b"x"]),
            a.hash(HashDomain::Sender, &[b"x"])
        );
        assert_ne!(
            a.hash(HashDomain::Content, &[b"ab", b"c"]),
            a.hash(HashDomain::Content, &[b"a", b"bc"])
        );
        assert_eq!(a.sender("Liisa@Example.FI "), a.sender("liisa@example.fi"));
        assert_eq!(a.message_id("<x@y>"), a.message_id("x@y"));
        assert_eq!(format!("{a:?}"), "KeyedHasher(..)");
    }
}
