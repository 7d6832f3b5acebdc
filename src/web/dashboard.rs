//! The clerks' dashboard: requests per state, the overdue ones, the outbox and the mailbox,
//! and requests received and completed per day over 60 days as an SVG chart drawn on the
//! server (bars and a line with markers, so colour is never the only difference; the same
//! numbers follow as a table).

use axum::extract::State;
use maud::{html, Markup};

use super::auth::Signed;
use super::error::WebError;
use super::layout::{date, page as layout_page, Lang};
use super::text::state_name;
use super::{now, Shared};
use crate::request::calendar::DAY;
use crate::store::{DayCount, Role};

const CHART_DAYS: u32 = 60;

pub async fn page(State(web): State<Shared>, signed: Signed) -> Result<Markup, WebError> {
    signed.require(Role::KelaClerk)?;
    let t = signed.lang.texts();
    let at = now();
    let status = web.store.status(at).await?;
    let first_day = (at.div_euclid(DAY) - i64::from(CHART_DAYS) + 1) * DAY;
    let days = web.store.daily_counts(first_day, CHART_DAYS).await?;
    let received: i64 = days.iter().map(|d| d.received).sum();
    let completed: i64 = days.iter().map(|d| d.completed).sum();
    let body = html! {
        h1 { (t.dashboard) }
        div class="cards" {
            section class="card" aria-labelledby="states-title" {
                h2 id="states-title" { (t.requests_by_state) }
                @if status.states.is_empty() {
                    p { (t.no_requests) }
                } @else {
                    table {
                        thead { tr { th scope="col" { (t.state) } th scope="col" class="num" { (t.count) } } }
                        tbody {
                            @for (state, n) in &status.states {
                                tr { th scope="row" { (state_name(signed.lang, *state)) } td class="num" { (n) } }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="overdue-title" {
                h2 id="overdue-title" { (t.overdue) }
                p class="big" { (status.overdue.len()) }
                @if !status.overdue.is_empty() {
                    ul {
                        @for r in status.overdue.iter().take(5) {
                            li {
                                a href={ "/requests/" (r.reference) } { (r.reference) }
                                " – " (state_name(signed.lang, r.state)) ", " (t.due) " " (date(r.due_at))
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="mail-title" {
                h2 id="mail-title" { (t.mail) }
                dl {
                    dt { (t.mailbox_last_read) }
                    dd {
                        @match status.mailbox_checked_at {
                            Some(checked) => { (crate::request::calendar::iso_time(checked)) " UTC (" ((at - checked).max(0) / 60) " min)" }
                            None => { (t.never) }
                        }
                    }
                    dt { (t.outbox_waiting) } dd { (status.outbox_waiting) }
                    dt { (t.outbox_deferred) } dd { (status.outbox_deferred) }
                    dt { (t.outbox_parked) } dd { (status.outbox_parked) }
                }
            }
        }
        section aria-labelledby="chart-title" {
            h2 id="chart-title" { (t.chart_title) }
            p id="chart-summary" {
                (t.chart_summary.replace("{received}", &received.to_string()).replace("{completed}", &completed.to_string()))
            }
            (chart(&days, signed.lang))
            details {
                summary { (t.chart_as_table) }
                table {
                    thead { tr { th scope="col" { (t.day) } th scope="col" class="num" { (t.received) } th scope="col" class="num" { (t.completed) } } }
                    tbody {
                        @for d in days.iter().rev() {
                            tr { th scope="row" { (date(d.day)) } td class="num" { (d.received) } td class="num" { (d.completed) } }
                        }
                    }
                }
            }
        }
    };
    Ok(layout_page(
        signed.lang,
        t.dashboard,
        Some((&signed, "/dashboard")),
        body,
    ))
}

/// Bars for received, a line with square markers for completed, with axes and a legend.
fn chart(days: &[DayCount], lang: Lang) -> Markup {
    let t = lang.texts();
    let (width, height, left, bottom, top) = (720.0, 240.0, 44.0, 28.0, 12.0);
    let max = days
        .iter()
        .map(|d| d.received.max(d.completed))
        .max()
        .unwrap_or(0)
        .max(1);
    // A round scale: 1, 2 or 5 times a power of ten, at least the largest count.
    let mut scale = 1i64;
    while scale < max {
        scale = match scale.to_string().chars().next() {
            Some('1') => scale * 2,
            Some('2') => scale / 2 * 5,
            _ => scale * 2,
        };
    }
    let plot_w = width - left - 8.0;
    let plot_h = height - bottom - top;
    let step = plot_w / days.len().max(1) as f64;
    let y = |n: i64| top + plot_h - plot_h * n as f64 / scale as f64;
    let line: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(
                "{:.1},{:.1}",
                left + step * (i as f64 + 0.5),
                y(d.completed)
            )
        })
        .collect();
    html! {
        svg class="chart" viewBox={ "0 0 " (width) " " (height + 24.0) } role="img"
            aria-labelledby="chart-title" aria-describedby="chart-summary"
            xmlns="http://www.w3.org/2000/svg" {
            @for k in 0..=4 {
                @let value = scale * k / 4;
                line x1=(left) x2=(width - 8.0) y1=(y(value)) y2=(y(value)) class="grid" {}
                text x=(left - 6.0) y=(y(value) + 4.0) text-anchor="end" class="axis" { (value) }
            }
            @for (i, d) in days.iter().enumerate() {
                @if d.received > 0 {
                    rect x=(format!("{:.1}", left + step * i as f64 + step * 0.15))
                        y=(format!("{:.1}", y(d.received)))
                        width=(format!("{:.1}", step * 0.7))
                        height=(format!("{:.1}", top + plot_h - y(d.received)))
                        class="bar" {
                        title { (date(d.day)) ": " (d.received) " " (t.received) ", " (d.completed) " " (t.completed) }
                    }
                }
                @if i % 10 == 0 {
                    text x=(format!("{:.1}", left + step * (i as f64 + 0.5))) y=(height - 10.0)
                        text-anchor="middle" class="axis" { (date(d.day).get(5..).unwrap_or("")) }
                }
            }
            polyline points=(line.join(" ")) class="line" {}
            @for point in &line {
                @let (x, yy) = point.split_once(',').unwrap_or(("0", "0"));
                rect x=(x.parse::<f64>().unwrap_or(0.0) - 2.5) y=(yy.parse::<f64>().unwrap_or(0.0) - 2.5) width="5" height="5" class="marker" {}
            }
            g transform={ "translate(" (left) "," (height + 8.0) ")" } {
                rect x="0" y="0" width="14" height="10" class="bar" {}
                text x="20" y="9" class="axis" { (t.received) }
                line x1="130" x2="150" y1="5" y2="5" class="line" {}
                rect x="137.5" y="2.5" width="5" height="5" class="marker" {}
                text x="156" y="9" class="axis" { (t.completed) }
            }
        }
    }
}
