//! `datareq keys generate|export|import`. Generate writes a new storage key (and the HMAC
//! secret when there is none); running it again rotates. Export writes a passphrase-protected
//! backup of the whole key directory; import restores one into an empty directory.
//!
//! The passphrase is read from a file (`--passphrase-file`) or from `DATAREQ_KEYS_PASSPHRASE`,
//! never from the command line (where `ps` shows it).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::crypto::{backup, KeyDir};

pub const PASSPHRASE_ENV: &str = "DATAREQ_KEYS_PASSPHRASE";

pub fn generate(dir: &Path) -> anyhow::Result<ExitCode> {
    let path = KeyDir::new(dir).generate(super::now())?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

pub fn export(dir: &Path, out: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let passphrase = passphrase(passphrase_file)?;
    let armoured = backup::export(&KeyDir::new(dir).bundle()?, &passphrase)?;
    let mut file = crate::private_fs::create_new_file(out)
        .with_context(|| format!("{}: cannot create (it must not exist yet)", out.display()))?;
    file.write_all(&armoured)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("{}: cannot write", out.display()))?;
    eprintln!(
        "wrote {}: keep it apart from the database and its backups",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn import(dir: &Path, from: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<ExitCode> {
    let passphrase = passphrase(passphrase_file)?;
    let armoured =
        std::fs::read(from).with_context(|| format!("{}: cannot read", from.display()))?;
    let bundle = backup::import(&armoured, &passphrase)?;
    let written = KeyDir::new(dir).restore(&bundle)?;
    eprintln!("restored {written} key files into {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn passphrase(file: Option<&Path>) -> anyhow::Result<String> {
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the passphrase file", path.display()))?,
        None => std::env::var(PASSPHRASE_ENV).map_err(|_| {
            anyhow::anyhow!("give the passphrase with --passphrase-file FILE or {PASSPHRASE_ENV}")
        })?,
    };
    // A file's final newline is not part of the passphrase.
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}
