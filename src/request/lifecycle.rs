//! The request lifecycle as a state machine. States are what the store records; events are
//! what happens to a request. [`RequestState::apply`] is the only way from one state to the
//! next, so an illegal step (disclosing a request nobody picked up) is an error, not a row.
//!
//! ```text
//!  received ─┬─> incomplete ──follow-up──> complete ──> queued ──> picked_up ──> disclosed
//!            │     │  ^ (still missing)       ^
//!            │     │  └──────┘                │
//!            │     └──> expired, withdrawn    │
//!            └─> needs_review ──clerk─────────┴─> queued, incomplete (with a reply), rejected
//! ```

use std::fmt;
use std::str::FromStr;

use crate::request::model::Status;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestState {
    /// Waiting for the citizen to send what is missing or invalid.
    Incomplete,
    /// Every required field is present and valid.
    Complete,
    /// A clerk must decide.
    NeedsReview,
    /// Waiting for the disclosing organisation to pick it up.
    Queued,
    PickedUp,
    Disclosed,
    Rejected,
    /// Incomplete and unanswered for longer than the configured time.
    Expired,
    /// The citizen cancelled it.
    Withdrawn,
}

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A follow-up (or a clerk's correction) left fields missing or invalid.
    StillIncomplete,
    /// A follow-up (or a clerk's correction) completed it.
    Completed,
    /// Something needs a person's judgement.
    SentToReview,
    /// Handed to the disclosing organisation's queue.
    Queued,
    PickedUp,
    Disclosed,
    /// A clerk sent it back to the citizen with a reply.
    ReturnedToCitizen,
    Rejected,
    Expired,
    Withdrawn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from} cannot be {event}")]
pub struct IllegalTransition {
    pub from: RequestState,
    pub event: Event,
}

impl RequestState {
    pub const ALL: [RequestState; 9] = [
        RequestState::Incomplete,
        RequestState::Complete,
        RequestState::NeedsReview,
        RequestState::Queued,
        RequestState::PickedUp,
        RequestState::Disclosed,
        RequestState::Rejected,
        RequestState::Expired,
        RequestState::Withdrawn,
    ];

    /// The state a newly received request starts in.
    pub fn received(status: Status) -> RequestState {
        match status {
            Status::Complete => RequestState::Complete,
            Status::Incomplete => RequestState::Incomplete,
            Status::NeedsReview => RequestState::NeedsReview,
        }
    }

    /// The state after `event`, or why it cannot happen.
    pub fn apply(self, event: Event) -> Result<RequestState, IllegalTransition> {
        use Event as E;
        use RequestState as S;
        let next = match (self, event) {
            (S::Incomplete, E::StillIncomplete) => S::Incomplete,
            (S::Incomplete | S::NeedsReview, E::Completed) => S::Complete,
            (S::Incomplete | S::Complete | S::Queued, E::SentToReview) => S::NeedsReview,
            (S::Complete | S::NeedsReview, E::Queued) => S::Queued,
            (S::Queued, E::PickedUp) => S::PickedUp,
            (S::PickedUp, E::Disclosed) => S::Disclosed,
            (S::NeedsReview, E::ReturnedToCitizen) => S::Incomplete,
            (S::NeedsReview, E::Rejected) => S::Rejected,
            (S::Incomplete, E::Expired) => S::Expired,
            (S::Incomplete | S::NeedsReview | S::Complete | S::Queued, E::Withdrawn) => {
                S::Withdrawn
            }
            (from, event) => return Err(IllegalTransition { from, event }),
        };
        Ok(next)
    }

    /// Whether the request is finished with: its personal data may be purged after the
    /// retention time.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            RequestState::Disclosed
                | RequestState::Rejected
                | RequestState::Expired
                | RequestState::Withdrawn
        )
    }

    /// Whether the request's deadline clock is paused: it waits for the citizen.
    pub fn waits_for_citizen(self) -> bool {
        self == RequestState::Incomplete
    }

    pub fn name(self) -> &'static str {
        match self {
            RequestState::Incomplete => "incomplete",
            RequestState::Complete => "complete",
            RequestState::NeedsReview => "needs_review",
            RequestState::Queued => "queued",
            RequestState::PickedUp => "picked_up",
            RequestState::Disclosed => "disclosed",
            RequestState::Rejected => "rejected",
            RequestState::Expired => "expired",
            RequestState::Withdrawn => "withdrawn",
        }
    }
}

impl fmt::Display for RequestState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Event {
    /// The audit trail's name for the event.
    pub fn name(self) -> &'static str {
        match self {
            Event::StillIncomplete => "still_incomplete",
            Event::Completed => "completed",
            Event::SentToReview => "sent_to_review",
            Event::Queued => "queued",
            Event::PickedUp => "picked_up",
            Event::Disclosed => "disclosed",
            Event::ReturnedToCitizen => "returned_to_citizen",
            Event::Rejected => "rejected",
            Event::Expired => "expired",
            Event::Withdrawn => "withdrawn",
        }
    }
}

/// As its name, the word people and the JSON output use.
impl serde::Serialize for RequestState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown request state (expected one of: incomplete, complete, needs_review, queued, picked_up, disclosed, rejected, expired, withdrawn)")]
pub struct UnknownState;

impl FromStr for RequestState {
    type Err = UnknownState;
    fn from_str(s: &str) -> Result<RequestState, UnknownState> {
        RequestState::ALL
            .into_iter()
            .find(|state| state.name() == s)
            .ok_or(UnknownState)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event as E;
    use RequestState as S;

    const EVENTS: [Event; 10] = [
        E::StillIncomplete,
        E::Completed,
        E::SentToReview,
        E::Queued,
        E::PickedUp,
        E::Disclosed,
        E::ReturnedToCitizen,
        E::Rejected,
        E::Expired,
        E::Withdrawn,
    ];

    /// The whole table, written out independently of `apply`: every pair not listed is illegal.
    #[test]
    fn every_state_and_event() {
        let legal = [
            (S::Incomplete, E::StillIncomplete, S::Incomplete),
            (S::Incomplete, E::Completed, S::Complete),
            (S::NeedsReview, E::Completed, S::Complete),
            (S::Incomplete, E::SentToReview, S::NeedsReview),
            (S::Complete, E::SentToReview, S::NeedsReview),
            (S::Queued, E::SentToReview, S::NeedsReview),
            (S::Complete, E::Queued, S::Queued),
            (S::NeedsReview, E::Queued, S::Queued),
            (S::Queued, E::PickedUp, S::PickedUp),
            (S::PickedUp, E::Disclosed, S::Disclosed),
            (S::NeedsReview, E::ReturnedToCitizen, S::Incomplete),
            (S::NeedsReview, E::Rejected, S::Rejected),
            (S::Incomplete, E::Expired, S::Expired),
            (S::Incomplete, E::Withdrawn, S::Withdrawn),
            (S::NeedsReview, E::Withdrawn, S::Withdrawn),
            (S::Complete, E::Withdrawn, S::Withdrawn),
            (S::Queued, E::Withdrawn, S::Withdrawn),
        ];
        let mut checked = 0;
        for from in S::ALL {
            for event in EVENTS {
                let expected = legal
                    .iter()
                    .find(|(f, e, _)| *f == from && *e == event)
                    .map(|(_, _, to)| *to);
                match expected {
                    Some(to) => assert_eq!(from.apply(event), Ok(to), "{from} {event}"),
                    None => assert_eq!(
                        from.apply(event),
                        Err(IllegalTransition { from, event }),
                        "{from} {event}"
                    ),
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 90);
    }

    #[test]
    fn closed_states_go_nowhere() {
        for from in S::ALL.into_iter().filter(|s| s.is_closed()) {
            for event in EVENTS {
                assert!(from.apply(event).is_err(), "{from} {event}");
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for s in S::ALL {
            assert_eq!(s.name().parse(), Ok(s));
        }
        assert_eq!("open".parse::<S>(), Err(UnknownState));
    }
}
