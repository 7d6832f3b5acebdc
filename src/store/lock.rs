//! One daemon per SQLite database: a second one would race the first for the mailbox and the
//! outbox. The lock is an advisory lock on `DATABASE.lock`, held for the daemon's life and
//! released by the kernel if it dies. PostgreSQL needs none: daemons share work there.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::{Backend, StoreError};

/// Held while a daemon runs; dropping it releases the database.
#[derive(Debug)]
pub struct DaemonLock {
    _file: Option<File>,
}

impl DaemonLock {
    /// Takes the database for this daemon, or says which database is taken.
    pub fn acquire(url: &str) -> Result<DaemonLock, StoreError> {
        if Backend::of_url(url)? == Backend::Postgres {
            return Ok(DaemonLock { _file: None });
        }
        let db = url["sqlite://".len()..]
            .split('?')
            .next()
            .unwrap_or_default();
        let path = PathBuf::from(format!("{db}.lock"));
        // The database's folder may not exist yet (the store creates it on first open).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(|source| StoreError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(DaemonLock { _file: Some(file) }),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy(format!(
                "another datareq daemon is using {db} (its lock {} is held); only one daemon may \
                 use an SQLite database; run several on PostgreSQL",
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_daemon_is_refused_until_the_first_is_gone() {
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", tmp.path().join("d.sqlite").display());
        let first = DaemonLock::acquire(&url).unwrap();
        let second = DaemonLock::acquire(&url).unwrap_err();
        assert!(matches!(second, StoreError::Busy(_)));
        assert!(second.to_string().contains("another datareq daemon"));
        drop(first);
        DaemonLock::acquire(&url).unwrap();
        let other = format!("sqlite://{}", tmp.path().join("e.sqlite").display());
        let _a = DaemonLock::acquire(&url).unwrap();
        let _b = DaemonLock::acquire(&other).unwrap();
        assert!(DaemonLock::acquire("postgres://x/y").is_ok());
    }
}
