//! `datareq keys generate [--dir DIR]`: a new storage key (and the HMAC secret when there is
//! none). Run again to rotate: new data is sealed to the newest key, old data stays readable.

use std::path::Path;
use std::process::ExitCode;

use crate::crypto::KeyDir;

pub fn generate(dir: &Path) -> anyhow::Result<ExitCode> {
    let path = KeyDir::new(dir).generate(super::now())?;
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}
