//! The pick-up page for a disclosing organisation's staff: their organisation's queued
//! requests (references and due dates only), taken as one download of encrypted bundles, and
//! the picked-up ones to confirm as disclosed. Staff see and take only their own
//! organisation's requests: the organisation comes from the account, never from the form.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::auth::Signed;
use super::error::WebError;
use super::form::Posted;
use super::layout::{answer, date, page as layout_page};
use super::{now, Shared, Web};
use crate::crypto::recipients::Recipients;
use crate::disclosure::archive::PickupArchive;
use crate::disclosure::bundle::bundle;
use crate::request::lifecycle::RequestState;
use crate::request::reference::Reference;
use crate::store::{ReplyContent, Role, Selection};

/// At most this many requests are listed per state, and taken per download.
const LISTED: u32 = 200;
const PER_DOWNLOAD: usize = 50;

/// The signed-in staff member's organisation id.
fn organisation(signed: &Signed) -> Result<String, WebError> {
    signed.require(Role::CityStaff)?;
    signed
        .user()
        .organisation
        .clone()
        .ok_or(WebError::Forbidden)
}

pub async fn page_response(
    web: &Web,
    signed: &Signed,
    problem: Option<String>,
    notice: Option<String>,
) -> Result<Response, WebError> {
    let org = organisation(signed)?;
    let t = signed.lang.texts();
    let org_name = web
        .config
        .organisations
        .get(&org)
        .map_or(org.as_str(), |o| o.name.as_str());
    let (queued, queued_total) = web
        .store
        .organisation_queue(&org, RequestState::Queued, LISTED)
        .await?;
    let (picked, picked_total) = web
        .store
        .organisation_queue(&org, RequestState::PickedUp, LISTED)
        .await?;
    let at = now();
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (t.pickup) ": " (org_name) }
        @if let Some(problem) = &problem {
            p class="problem" role="alert" { (problem) }
        }
        @if let Some(notice) = &notice {
            p class="notice" role="status" { (notice) }
        }
        section aria-labelledby="queued-title" {
            h2 id="queued-title" { (t.waiting_for_pickup) " (" (queued_total) ")" }
            @if queued.is_empty() {
                p { (t.nothing_waiting) }
            } @else {
                form method="post" action="/pickup" {
                    input type="hidden" name="csrf" value=(csrf);
                    p class="hint" { (t.pickup_hint.replace("{n}", &PER_DOWNLOAD.to_string())) }
                    table {
                        caption class="visually-hidden" { (t.waiting_for_pickup) }
                        thead { tr {
                            th scope="col" { (t.select) }
                            th scope="col" { (t.reference) }
                            th scope="col" { (t.received) }
                            th scope="col" { (t.due) }
                        } }
                        tbody {
                            @for (i, r) in queued.iter().enumerate() {
                                tr {
                                    td {
                                        input type="checkbox" name="ref" value=(r.reference) id={ "q-" (r.reference) }
                                            checked[i < PER_DOWNLOAD];
                                    }
                                    td { label for={ "q-" (r.reference) } { (r.reference) } }
                                    td { (date(r.received_at)) }
                                    td {
                                        (date(r.due_at))
                                        @if r.due_at < at { " " strong class="overdue" { "(" (t.overdue_marker) ")" } }
                                    }
                                }
                            }
                        }
                    }
                    button type="submit" { (t.download_bundles) }
                }
            }
        }
        section aria-labelledby="picked-title" {
            h2 id="picked-title" { (t.awaiting_disclosure) " (" (picked_total) ")" }
            @if picked.is_empty() {
                p { (t.nothing_picked_up) }
            } @else {
                form method="post" action="/pickup/disclosed" {
                    input type="hidden" name="csrf" value=(csrf);
                    table {
                        caption class="visually-hidden" { (t.awaiting_disclosure) }
                        thead { tr {
                            th scope="col" { (t.select) }
                            th scope="col" { (t.reference) }
                            th scope="col" { (t.picked_up_on) }
                            th scope="col" { (t.due) }
                        } }
                        tbody {
                            @for r in &picked {
                                tr {
                                    td { input type="checkbox" name="ref" value=(r.reference) id={ "p-" (r.reference) }; }
                                    td { label for={ "p-" (r.reference) } { (r.reference) } }
                                    td { (date(r.updated_at)) }
                                    td { (date(r.due_at)) }
                                }
                            }
                        }
                    }
                    button type="submit" { (t.mark_disclosed) }
                }
            }
        }
    };
    Ok(answer(
        problem.is_some(),
        layout_page(signed.lang, t.pickup, Some((signed, "/pickup")), body),
    ))
}

pub async fn page(State(web): State<Shared>, signed: Signed) -> Result<Response, WebError> {
    page_response(&web, &signed, None, None).await
}

/// The selected references, checked and de-duplicated.
fn selected(posted: &Posted) -> Result<Vec<String>, WebError> {
    let mut refs = posted
        .form
        .all("ref")
        .map(|r| r.parse::<Reference>().map(|r| r.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| WebError::BadRequest("not a reference"))?;
    refs.sort();
    refs.dedup();
    Ok(refs)
}

/// Claims the selected requests and answers with the archive of their bundles. The claim
/// commits only after every bundle was encrypted and the archive built; a failure claims
/// nothing.
pub async fn download(State(web): State<Shared>, posted: Posted) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let org_id = organisation(signed)?;
    let t = signed.lang.texts();
    let refs = selected(&posted)?;
    if refs.is_empty() || refs.len() > PER_DOWNLOAD {
        let why = t.pickup_hint.replace("{n}", &PER_DOWNLOAD.to_string());
        return page_response(&web, signed, Some(why), None).await;
    }
    let org = web
        .config
        .organisations
        .get(&org_id)
        .ok_or(WebError::Forbidden)?;
    if org.certificates.is_empty() {
        return page_response(&web, signed, Some(t.no_certificates.into()), None).await;
    }
    let recipients = Recipients::load(&org.certificates)
        .map_err(|e| WebError::Internal(format!("organisation certificates: {e}")))?;
    let at = now();
    let archive = std::sync::Mutex::new(Some(PickupArchive::default()));
    let bytes = std::sync::Mutex::new(None);
    let picked = web
        .store
        .pick_up(
            &org_id,
            Selection::These(&refs),
            &signed.user().actor(),
            at,
            |d| -> Result<Option<ReplyContent>, WebError> {
                let sealed = recipients
                    .encrypt(&bundle(&d, &org.name, at))
                    .map_err(|e| WebError::Internal(format!("encryption: {e}")))?;
                archive
                    .lock()
                    .expect("one pick-up at a time")
                    .as_mut()
                    .expect("the archive is open until finished")
                    .add(&d.summary.reference, &date(d.summary.due_at), &sealed)
                    .map_err(|e| WebError::Internal(format!("archive: {e}")))?;
                Ok(None)
            },
            || {
                let done = archive
                    .lock()
                    .expect("one pick-up at a time")
                    .take()
                    .expect("finished once")
                    .finish()
                    .map_err(|e| WebError::Internal(format!("archive: {e}")))?;
                *bytes.lock().expect("one pick-up at a time") = Some(done);
                Ok(())
            },
        )
        .await?;
    if picked.is_empty() {
        return page_response(&web, signed, Some(t.none_taken.into()), None).await;
    }
    let bytes = bytes
        .into_inner()
        .expect("not poisoned")
        .expect("finished before the commit");
    let name = format!(
        "datareq-{org_id}-{}.zip",
        crate::request::calendar::iso_time(at)
            .replace([':', ' '], "")
            .replace('-', "")
    );
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
            .map_err(|_| WebError::Internal("file name".into()))?,
    );
    Ok(response)
}

pub async fn disclosed(State(web): State<Shared>, posted: Posted) -> Result<Response, WebError> {
    let signed = &posted.signed;
    let org_id = organisation(signed)?;
    let t = signed.lang.texts();
    let refs = selected(&posted)?;
    if refs.is_empty() {
        return page_response(&web, signed, Some(t.select_some.into()), None).await;
    }
    let result = web
        .store
        .mark_disclosed(&refs, Some(&org_id), &signed.user().actor(), now())
        .await;
    match result {
        Ok(()) => {
            let notice = t.marked_disclosed.replace("{n}", &refs.len().to_string());
            page_response(&web, signed, None, Some(notice)).await
        }
        Err(crate::store::StoreError::NotFound(_) | crate::store::StoreError::Transition(_)) => {
            page_response(&web, signed, Some(t.not_all_disclosable.into()), None).await
        }
        Err(e) => Err(e.into()),
    }
}
