//! GnuPG as City staff use it: a home with the organisation's key pair and its exported
//! certificate, for tests that open what datareq encrypted to the organisation.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A GnuPG home with the organisation's key pair (as City staff would make it), and the
/// exported certificate.
pub struct CityKey {
    pub home: tempfile::TempDir,
    pub cert: PathBuf,
}

pub fn gpg(home: &Path) -> Command {
    let mut c = Command::new("gpg");
    c.env("GNUPGHOME", home).args(["--batch", "--quiet"]);
    c
}

pub fn city_key() -> CityKey {
    if Command::new("gpg").arg("--version").output().is_err() {
        panic!("gpg (Debian's gnupg) is required for this test");
    }
    let home = tempfile::tempdir().unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let made = gpg(home.path())
        .args([
            "--passphrase",
            "",
            "--quick-gen-key",
            "City of Helsinki records <kirjaamo@hel.example>",
            "default",
            "default",
            "never",
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let cert = home.path().join("helsinki.asc");
    let exported = gpg(home.path())
        .args(["--armor", "--output"])
        .arg(&cert)
        .args(["--export", "kirjaamo@hel.example"])
        .output()
        .unwrap();
    assert!(exported.status.success());
    CityKey { home, cert }
}

/// Decrypts a bundle with the organisation's key, as City staff do, and checks that it holds
/// the request `reference`. Returns the plaintext.
pub fn open_bundle(key: &CityKey, bundle: &Path, reference: &str) -> String {
    let out = gpg(key.home.path())
        .arg("--decrypt")
        .arg(bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpg --decrypt {}: {}",
        bundle.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let plain = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        plain.contains(&format!("\"reference\": \"{reference}\"")),
        "{} holds {reference}",
        bundle.display()
    );
    plain
}
