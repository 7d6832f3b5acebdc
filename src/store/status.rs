//! What `datareq status` shows people: counts per state, the oldest waiting item of each
//! queue, overdue requests, the outbox, and when the mailbox was last read. Nothing personal,
//! so nothing here is an audited read.

use sqlx::Row;

use super::records::RequestSummary;
use super::requests::summary_of_row;
use super::{parse_state, Store, StoreError};
use crate::health::{Change, Failing, Part};
use crate::request::lifecycle::RequestState;

/// The queues people work from, in the order `status` shows them.
pub const QUEUES: [RequestState; 4] = [
    RequestState::NeedsReview,
    RequestState::Queued,
    RequestState::PickedUp,
    RequestState::Incomplete,
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoreStatus {
    /// Requests per state (states with none are left out).
    pub states: Vec<(RequestState, i64)>,
    /// The oldest request waiting in each queue.
    pub oldest: Vec<RequestSummary>,
    /// Open requests past their due date, most overdue first.
    pub overdue: Vec<RequestSummary>,
    /// Unsent replies: due or being sent, deferred after a failure, parked for the clerks.
    pub outbox_waiting: usize,
    pub outbox_deferred: usize,
    pub outbox_parked: usize,
    /// When the daemon last read the mailbox successfully.
    pub mailbox_checked_at: Option<i64>,
    /// The daemon's parts that were failing when it last recorded them.
    pub failing: Vec<(Part, Failing)>,
}

impl Store {
    pub async fn status(&self, now: i64) -> Result<StoreStatus, StoreError> {
        let states = sqlx::query("SELECT state, COUNT(*) FROM requests GROUP BY state")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                let state: String = row.try_get(0)?;
                Ok((parse_state(&state)?, row.try_get::<i64, _>(1)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut states = states;
        states.sort();
        let mut oldest = Vec::new();
        for state in QUEUES {
            let row = sqlx::query(
                "SELECT reference, state, received_at, due_at, updated_at, purged_at \
                 FROM requests WHERE state = $1 ORDER BY received_at, id LIMIT 1",
            )
            .bind(state.name())
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = row {
                oldest.push(summary_of_row(&row)?);
            }
        }
        let overdue = self.list_overdue(now).await?;
        let [waiting, deferred, parked] = self.outbox_state_counts(now).await?;
        let checked = sqlx::query("SELECT checked_at FROM mailbox_checks WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.try_get::<i64, _>(0))
            .transpose()?;
        Ok(StoreStatus {
            states,
            oldest,
            overdue,
            outbox_waiting: waiting,
            outbox_deferred: deferred,
            outbox_parked: parked,
            mailbox_checked_at: checked,
            failing: self.failing_parts().await?,
        })
    }

    /// The daemon's parts recorded as failing, in [`Part::ALL`]'s order. A row with a part
    /// this version does not know is left out.
    pub async fn failing_parts(&self) -> Result<Vec<(Part, Failing)>, StoreError> {
        let mut failing = Vec::new();
        for row in sqlx::query("SELECT part, failing_since, reason FROM health")
            .fetch_all(&self.pool)
            .await?
        {
            let name: String = row.try_get(0)?;
            if let Some(part) = Part::from_name(&name) {
                failing.push((
                    part,
                    Failing {
                        since: row.try_get(1)?,
                        reason: row.try_get(2)?,
                    },
                ));
            }
        }
        failing.sort_by_key(|(p, _)| *p);
        Ok(failing)
    }

    /// Records a change in the daemon's health.
    pub async fn record_health(&self, change: &Change) -> Result<(), StoreError> {
        let query = match change {
            Change::Failing(part, failing) => sqlx::query(
                "INSERT INTO health (part, failing_since, reason) VALUES ($1, $2, $3) \
                 ON CONFLICT (part) DO UPDATE SET failing_since = excluded.failing_since, \
                 reason = excluded.reason",
            )
            .bind(part.name())
            .bind(failing.since)
            .bind(failing.reason.clone()),
            Change::Recovered(part) => {
                sqlx::query("DELETE FROM health WHERE part = $1").bind(part.name())
            }
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Forgets the recorded health: a daemon that starts knows nothing yet of its parts, and
    /// what one that stopped recorded is no longer true.
    pub async fn clear_health(&self) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM health")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records a successful look at the mailbox.
    pub async fn record_mailbox_check(&self, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mailbox_checks (id, checked_at) VALUES (1, $1) \
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Requests received and requests queued for their organisation (complete) on each of
    /// the `days` days from `first_day` (a Unix time at midnight UTC), oldest first.
    pub async fn daily_counts(
        &self,
        first_day: i64,
        days: u32,
    ) -> Result<Vec<DayCount>, StoreError> {
        use crate::request::calendar::DAY;
        let mut out: Vec<DayCount> = (0..i64::from(days))
            .map(|d| DayCount {
                day: first_day + d * DAY,
                received: 0,
                completed: 0,
            })
            .collect();
        let end = first_day + i64::from(days) * DAY;
        let received = sqlx::query(
            "SELECT (received_at - $1) / 86400, COUNT(*) FROM requests \
             WHERE received_at >= $1 AND received_at < $2 GROUP BY 1",
        );
        let completed = sqlx::query(
            "SELECT (at - $1) / 86400, COUNT(*) FROM audit_events \
             WHERE action = 'queued' AND at >= $1 AND at < $2 GROUP BY 1",
        );
        for (which, query) in [(0, received), (1, completed)] {
            for row in query
                .bind(first_day)
                .bind(end)
                .fetch_all(&self.pool)
                .await?
            {
                let day: i64 = row.try_get(0)?;
                let n: i64 = row.try_get(1)?;
                if let Some(slot) = out.get_mut(day as usize) {
                    if which == 0 {
                        slot.received = n;
                    } else {
                        slot.completed = n;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// One day's numbers for the dashboard's chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DayCount {
    /// Midnight UTC, Unix seconds.
    pub day: i64,
    pub received: i64,
    pub completed: i64,
}
