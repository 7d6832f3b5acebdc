//! Maildir intake: messages arrive in `new/`; once the store has committed one, it moves to
//! `cur/` (flag S: seen). A crash between commit and move leaves it in `new/`, and the store's
//! idempotency absorbs the second reading.

use std::path::{Path, PathBuf};

use super::MailError;

#[derive(Debug, Clone)]
pub struct Maildir {
    pub root: PathBuf,
}

impl Maildir {
    /// Opens a Maildir, creating `new/`, `cur/` and `tmp/` (mode 0700) when missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Maildir, MailError> {
        let root = root.into();
        for sub in ["new", "cur", "tmp"] {
            let dir = root.join(sub);
            crate::private_fs::create_dir_all(&dir)
                .map_err(|source| MailError::Io { path: dir, source })?;
        }
        Ok(Maildir { root })
    }

    /// The messages waiting in `new/`, oldest name first.
    pub fn waiting(&self) -> Result<Vec<PathBuf>, MailError> {
        let dir = self.root.join("new");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|source| MailError::Io {
                path: dir.clone(),
                source,
            })?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .filter(|p| {
                // Dot files are not messages (editors' and tools' leftovers).
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.'))
            })
            .collect();
        files.sort();
        Ok(files)
    }

    /// Marks a processed message: moved to `cur/` with the seen flag.
    pub fn processed(&self, message: &Path) -> Result<(), MailError> {
        let name = message
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let base = name.split(":2,").next().unwrap_or(name);
        let target = self.root.join("cur").join(format!("{base}:2,S"));
        std::fs::rename(message, &target).map_err(|source| MailError::Io {
            path: message.to_path_buf(),
            source,
        })
    }
}
