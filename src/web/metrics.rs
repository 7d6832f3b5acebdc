//! `/metrics` (Prometheus text format) and `/healthz`, on their own listener. Both hold only
//! counts, ages and states: nothing personal, no references.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;

use super::{now, Shared};
use crate::health::Part;
use crate::store::QUEUES;

/// The mailbox counts as stale (unhealthy) after this many seconds without a successful read
/// (IDLE is renewed every minute, and each renewal is a read).
pub const MAILBOX_STALE_SECONDS: i64 = 600;

pub async fn metrics(State(web): State<Shared>) -> impl IntoResponse {
    let at = now();
    let status = match web.store.status(at).await {
        Ok(status) => status,
        Err(e) => {
            tracing::error!(error = %e, "metrics: the store cannot be read");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                "datareq_up 0\n".to_string(),
            );
        }
    };
    let mut out = String::new();
    out.push_str("# HELP datareq_up Whether the store could be read.\n# TYPE datareq_up gauge\ndatareq_up 1\n");
    out.push_str("# HELP datareq_requests Requests per state.\n# TYPE datareq_requests gauge\n");
    for state in crate::request::lifecycle::RequestState::ALL {
        let n = status
            .states
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n);
        out.push_str(&format!(
            "datareq_requests{{state=\"{}\"}} {n}\n",
            state.name()
        ));
    }
    out.push_str("# HELP datareq_queue_oldest_age_seconds Age of the oldest request waiting in each queue.\n# TYPE datareq_queue_oldest_age_seconds gauge\n");
    for queue in QUEUES {
        let age = status
            .oldest
            .iter()
            .find(|r| r.state == queue)
            .map_or(0, |r| (at - r.received_at).max(0));
        out.push_str(&format!(
            "datareq_queue_oldest_age_seconds{{queue=\"{}\"}} {age}\n",
            queue.name()
        ));
    }
    out.push_str(&format!(
        "# HELP datareq_overdue_requests Open requests past their due date.\n# TYPE datareq_overdue_requests gauge\ndatareq_overdue_requests {}\n",
        status.overdue.len()
    ));
    let lag = status.mailbox_checked_at.map_or(-1, |c| (at - c).max(0));
    out.push_str(&format!(
        "# HELP datareq_mailbox_lag_seconds Seconds since the mailbox was last read successfully (-1: never).\n# TYPE datareq_mailbox_lag_seconds gauge\ndatareq_mailbox_lag_seconds {lag}\n"
    ));
    out.push_str("# HELP datareq_outbox Unsent replies: waiting, deferred after a failure, parked after a permanent failure.\n# TYPE datareq_outbox gauge\n");
    for (state, n) in [
        ("waiting", status.outbox_waiting),
        ("deferred", status.outbox_deferred),
        ("parked", status.outbox_parked),
    ] {
        out.push_str(&format!("datareq_outbox{{state=\"{state}\"}} {n}\n"));
    }
    out.push_str("# HELP datareq_part_failing_seconds How long each part of the daemon has been failing (0: it works).\n# TYPE datareq_part_failing_seconds gauge\n");
    let failing = web.failing(&status.failing);
    for part in Part::ALL {
        let seconds = failing
            .iter()
            .find(|(p, _)| *p == part)
            .map_or(0, |(_, f)| (at - f.since).max(1));
        out.push_str(&format!(
            "datareq_part_failing_seconds{{part=\"{}\"}} {seconds}\n",
            part.name()
        ));
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        out,
    )
}

/// 200 when the store answers, no part of the daemon is failing, and the mailbox was read
/// recently (or never yet: a web-only process or a fresh installation); 503 with the reasons
/// otherwise.
pub async fn healthz(State(web): State<Shared>) -> impl IntoResponse {
    let at = now();
    let status = match web.store.status(at).await {
        Ok(status) => status,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "store: unavailable\n".to_string(),
            )
        }
    };
    let failing = web.failing(&status.failing);
    let mut body = String::new();
    let mut healthy = true;
    if !failing.iter().any(|(p, _)| *p == Part::Store) {
        body.push_str("store: ok\n");
    }
    for (part, f) in &failing {
        healthy = false;
        body.push_str(&format!(
            "{}: failing for {} s ({})\n",
            part.name(),
            (at - f.since).max(0),
            f.reason
        ));
    }
    if !failing.iter().any(|(p, _)| *p == Part::Mailbox) {
        match status.mailbox_checked_at {
            Some(checked) if at - checked > MAILBOX_STALE_SECONDS => {
                healthy = false;
                body.push_str(&format!("mailbox: not read for {} s\n", at - checked));
            }
            Some(checked) => {
                body.push_str(&format!("mailbox: read {} s ago\n", (at - checked).max(0)))
            }
            None => body.push_str("mailbox: never read\n"),
        }
    }
    let code = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, body)
}
