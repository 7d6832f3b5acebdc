//! A pick-up directory being filled: `REF.pgp` bundles (mode 0600, written under a temporary
//! name, synced, then renamed, never over an existing file) and `index.csv`, the plain list of
//! references and due dates (no personal data), rewritten the same way. Until [`PickupDir::keep`]
//! is called (after the store committed the claim), dropping it removes the bundles written
//! and restores the index, so a failed pick-up leaves nothing behind that the queue does not
//! still hold.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::private_fs;

pub const INDEX: &str = "index.csv";
pub const INDEX_HEADER: &str = "reference,due_date\n";

/// One line of the index.
pub fn index_row(reference: &str, due_date: &str) -> String {
    format!("{reference},{due_date}\n")
}

pub struct PickupDir {
    dir: PathBuf,
    written: Vec<PathBuf>,
    /// The index as it was before (None: there was none).
    old_index: Option<Vec<u8>>,
    rows: Vec<String>,
    index_written: bool,
    kept: bool,
}

impl PickupDir {
    /// Creates `dir` (mode 0700) when missing.
    pub fn open(dir: &Path) -> io::Result<PickupDir> {
        private_fs::create_dir_all(dir)?;
        let old_index = match std::fs::read(dir.join(INDEX)) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(PickupDir {
            dir: dir.to_path_buf(),
            written: Vec::new(),
            old_index,
            rows: Vec::new(),
            index_written: false,
            kept: false,
        })
    }

    /// Writes one encrypted bundle as `REFERENCE.pgp`.
    pub fn write_bundle(
        &mut self,
        reference: &str,
        due_date: &str,
        bundle: &[u8],
    ) -> io::Result<()> {
        let name = format!("{reference}.pgp");
        let path = self.dir.join(&name);
        write_new(&self.dir, &name, bundle, false)?;
        self.written.push(path);
        self.rows.push(index_row(reference, due_date));
        Ok(())
    }

    /// Adds this pick-up's rows to the index (created with a header when missing).
    pub fn write_index(&mut self) -> io::Result<()> {
        let mut index = self
            .old_index
            .clone()
            .unwrap_or_else(|| INDEX_HEADER.as_bytes().to_vec());
        for row in &self.rows {
            index.extend_from_slice(row.as_bytes());
        }
        self.index_written = true;
        write_new(&self.dir, INDEX, &index, true)
    }

    /// The pick-up committed: what was written stays.
    pub fn keep(mut self) -> Vec<PathBuf> {
        self.kept = true;
        std::mem::take(&mut self.written)
    }
}

impl Drop for PickupDir {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for path in &self.written {
            let _ = std::fs::remove_file(path);
        }
        if self.index_written {
            let _ = match &self.old_index {
                Some(old) => write_new(&self.dir, INDEX, old, true),
                None => std::fs::remove_file(self.dir.join(INDEX)),
            };
        }
    }
}

/// Writes `name` in `dir` through a temporary file, synced before the rename and the
/// directory after it; an existing file is replaced only when `replace`.
fn write_new(dir: &Path, name: &str, bytes: &[u8], replace: bool) -> io::Result<()> {
    let target = dir.join(name);
    if !replace && target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists already", target.display()),
        ));
    }
    let temporary = dir.join(format!(".{name}.part"));
    let _ = std::fs::remove_file(&temporary);
    let result = (|| {
        let mut file = private_fs::create_new_file(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &target)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_pickup_leaves_nothing_and_a_kept_one_appends_to_the_index() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let mut first = PickupDir::open(&dir).unwrap();
        first
            .write_bundle("DR-2026-000001", "2026-12-16", b"one")
            .unwrap();
        first.write_index().unwrap();
        assert_eq!(first.keep().len(), 1);
        let index = || std::fs::read_to_string(dir.join(INDEX)).unwrap();
        assert_eq!(index(), "reference,due_date\nDR-2026-000001,2026-12-16\n");

        let mut failed = PickupDir::open(&dir).unwrap();
        failed
            .write_bundle("DR-2026-000002", "2026-12-17", b"two")
            .unwrap();
        failed.write_index().unwrap();
        assert!(dir.join("DR-2026-000002.pgp").exists());
        drop(failed);
        assert!(!dir.join("DR-2026-000002.pgp").exists());
        assert_eq!(index(), "reference,due_date\nDR-2026-000001,2026-12-16\n");

        let mut again = PickupDir::open(&dir).unwrap();
        let err = again.write_bundle("DR-2026-000001", "2026-12-16", b"x");
        assert_eq!(err.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        drop(again);
        assert_eq!(
            std::fs::read(dir.join("DR-2026-000001.pgp")).unwrap(),
            b"one"
        );
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".part")), "{names:?}");
    }
}
