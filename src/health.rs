//! What the daemon knows of its own condition: for each part it depends on (the mailbox, the
//! sending of replies, the store), whether that part is failing, since when, and why. The why
//! is a kind of failure ("connection", "disk full", "answer 451"), never a value from a
//! message or a server's free text. The daemon keeps it in memory for `/healthz` beside it,
//! and records changes in the store for `datareq status` and for a web interface run as a
//! process of its own; when the store itself fails, only the memory knows.

use std::sync::Mutex;

/// A part the daemon depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// Reading the mailbox (IMAP or Maildir).
    Mailbox,
    /// Handing replies to the outbox (SMTP or a folder).
    Sending,
    /// Writing to the database.
    Store,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Mailbox, Part::Sending, Part::Store];

    pub fn name(self) -> &'static str {
        match self {
            Part::Mailbox => "mailbox",
            Part::Sending => "sending",
            Part::Store => "store",
        }
    }

    pub fn from_name(name: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A part that fails: since when (Unix seconds) and the kind of failure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failing {
    pub since: i64,
    pub reason: String,
}

/// A change worth recording: a part began to fail (or fails for another reason now), or
/// recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Failing(Part, Failing),
    Recovered(Part),
}

/// The daemon's parts, as last seen.
#[derive(Debug, Default)]
pub struct Health {
    parts: Mutex<[Option<Failing>; 3]>,
}

impl Health {
    /// `part` failed at `now` for `reason`. Returns the change when this is news: the part
    /// was well, or failed for another reason. Its first failure's time is kept.
    pub fn failed(&self, part: Part, reason: &str, now: i64) -> Option<Change> {
        let mut parts = self.lock();
        let slot = &mut parts[part.index()];
        match slot {
            Some(failing) if failing.reason == reason => None,
            Some(failing) => {
                failing.reason = reason.to_string();
                Some(Change::Failing(part, failing.clone()))
            }
            None => {
                let failing = Failing {
                    since: now,
                    reason: reason.to_string(),
                };
                *slot = Some(failing.clone());
                Some(Change::Failing(part, failing))
            }
        }
    }

    /// `part` worked. Returns the change when it was failing.
    pub fn worked(&self, part: Part) -> Option<Change> {
        self.lock()[part.index()]
            .take()
            .map(|_| Change::Recovered(part))
    }

    /// The parts failing now, in [`Part::ALL`]'s order.
    pub fn failing(&self) -> Vec<(Part, Failing)> {
        let parts = self.lock();
        Part::ALL
            .into_iter()
            .filter_map(|p| parts[p.index()].clone().map(|f| (p, f)))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, [Option<Failing>; 3]> {
        // The state is a plain value, whole after any panic.
        self.parts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_news_once_and_keeps_its_first_time() {
        let health = Health::default();
        let first = health.failed(Part::Mailbox, "connection", 100);
        assert_eq!(
            first,
            Some(Change::Failing(
                Part::Mailbox,
                Failing {
                    since: 100,
                    reason: "connection".into()
                }
            ))
        );
        assert_eq!(health.failed(Part::Mailbox, "connection", 130), None);
        let other = health.failed(Part::Mailbox, "tls", 160);
        assert_eq!(
            other,
            Some(Change::Failing(
                Part::Mailbox,
                Failing {
                    since: 100,
                    reason: "tls".into()
                }
            ))
        );
        assert_eq!(health.failing().len(), 1);
        assert_eq!(health.worked(Part::Sending), None);
        assert_eq!(
            health.worked(Part::Mailbox),
            Some(Change::Recovered(Part::Mailbox))
        );
        assert_eq!(health.worked(Part::Mailbox), None);
        assert!(health.failing().is_empty());
    }

    #[test]
    fn names_go_both_ways() {
        for part in Part::ALL {
            assert_eq!(Part::from_name(part.name()), Some(part));
        }
        assert_eq!(Part::from_name("web"), None);
    }
}
