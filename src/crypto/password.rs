//! Staff passwords and session secrets: argon2id hashes (PHC strings) and random tokens.
//! Verifying costs the same whether or not the account exists, so the time a login takes
//! does not tell which names are accounts.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Passwords shorter than this are refused when an account is made or changed.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// The hasher: argon2id with 19 MiB of memory, 2 passes, one lane (OWASP's lowest
/// recommended setting; about 20 ms on one core here, which also bounds what a burst of
/// logins can take from the mail work).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches `stored` (a PHC string). With no stored hash (no such
/// account) a hash is still computed, so both cases take as long.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| {
        hash_password("decoy password for unknown accounts").expect("the decoy hashes")
    });
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (decoy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // The parameters come from the stored string, so older hashes keep verifying.
    let matches = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    matches && real
}

/// A random secret of 32 bytes as 64 hex digits (session cookies, CSRF tokens).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let stored = hash_password("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", Some(&stored)));
        assert!(!verify_password("correct horse batterY", Some(&stored)));
        assert!(!verify_password("correct horse battery", None));
        assert!(!verify_password("x", Some("not a phc string")));
        assert_ne!(stored, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(matches!(
            hash_password("eleven char"),
            Err(PasswordError::TooShort)
        ));
    }

    #[test]
    fn tokens_are_random_hex() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
