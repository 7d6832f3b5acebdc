//! Configuration errors: every problem found in one file, each with the dotted key and the line.
//!
//! A configuration may hold secrets, so nothing here ever carries a value read from the file:
//! a problem names the key and what is wrong with it, never what was written there.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted path of the offending key, e.g. `providers[0].aliases[2]` or
    /// `limits.max_message_size`. Empty for a TOML syntax error, which belongs to no key.
    pub key: String,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// What is wrong. Never contains a value from the file.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    /// `LINE:KEY: message`, or `LINE: message` when the problem belongs to no key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.line, self.message)
        } else {
            write!(f, "{}:{}: {}", self.line, self.key, self.message)
        }
    }
}

/// Every problem found in one configuration, ordered by line.
///
/// Displays one problem per line: `LINE:KEY: message`, or `FILE:LINE: KEY: message` once
/// [`ConfigErrors::with_file`] has named the file (the editor-friendly `FILE:LINE:` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors {
    pub file: Option<PathBuf>,
    pub problems: Vec<ConfigProblem>,
}

impl ConfigErrors {
    pub fn new(mut problems: Vec<ConfigProblem>) -> Self {
        // The walk follows the document's key order, which dotted keys and re-opened tables can
        // make differ from line order; people read the list top to bottom.
        problems.sort_by_key(|p| p.line);
        ConfigErrors {
            file: None,
            problems,
        }
    }

    pub fn with_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_path_buf());
        self
    }

    pub fn problems(&self) -> &[ConfigProblem] {
        &self.problems
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match &self.file {
                None => write!(f, "{p}")?,
                Some(file) if p.key.is_empty() => {
                    write!(f, "{}:{}: {}", file.display(), p.line, p.message)?
                }
                Some(file) => write!(f, "{}:{}: {}: {}", file.display(), p.line, p.key, p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Why [`crate::config::load`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The io error's text names the cause only (not found, permission denied, not UTF-8), never
    /// the file's contents.
    #[error("cannot read configuration file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] ConfigErrors),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems() -> Vec<ConfigProblem> {
        vec![
            ConfigProblem {
                key: "limits.max_message_size".into(),
                line: 7,
                message: "must be greater than 0".into(),
            },
            ConfigProblem {
                key: String::new(),
                line: 2,
                message: "TOML syntax error".into(),
            },
        ]
    }

    #[test]
    fn display_without_file_sorted_by_line() {
        let e = ConfigErrors::new(problems());
        assert_eq!(
            e.to_string(),
            "2: TOML syntax error\n7:limits.max_message_size: must be greater than 0"
        );
    }

    #[test]
    fn display_with_file() {
        let e = ConfigErrors::new(problems()).with_file(Path::new("etc/datareq.toml"));
        assert_eq!(
            e.to_string(),
            "etc/datareq.toml:2: TOML syntax error\n\
             etc/datareq.toml:7: limits.max_message_size: must be greater than 0"
        );
    }
}
