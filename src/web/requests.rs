//! The clerks' pages: the exception queue (sorted by due date, filtered by reason, a page at a
//! time), a request (fields, reasons, attachments to download, each message as escaped plain
//! text, history), and the forms that resolve and correct it. Every view of personal data is
//! an audited read under the clerk's account; message content is never rendered as HTML, and
//! attachments are only ever downloaded.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};

use super::auth::Signed;
use super::error::WebError;
use super::form::Posted;
use super::layout::{answer, date, encode, page as layout_page};
use super::text::{field_label, reason_name, state_name};
use super::{now, Shared, Web};
use crate::mail::templates::names_the_care;
use crate::request::calendar::DAY;
use crate::request::display::{mixes_scripts, visible};
use crate::request::edit::{value_text, Edit};
use crate::request::lifecycle::RequestState;
use crate::request::message::{attachment_files, read_message};
use crate::request::model::Field;
use crate::request::reference::Reference;
use crate::store::{Resolution, ReviewQuery, Role, StoreError};

/// Requests per page of the queue.
const PER_PAGE: u32 = 50;
/// A message body is shown up to this many characters; the whole message can be downloaded.
const SHOWN_CHARS: usize = 200_000;

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    reason: Option<String>,
    sort: Option<String>,
    page: Option<u32>,
}

pub async fn queue(
    State(web): State<Shared>,
    signed: Signed,
    Query(q): Query<QueueQuery>,
) -> Result<Markup, WebError> {
    signed.require(Role::KelaClerk)?;
    let t = signed.lang.texts();
    let reason = q.reason.filter(|r| !r.is_empty());
    let latest_first = q.sort.as_deref() == Some("-due");
    let page_no = q.page.unwrap_or(1).max(1);
    let at = now();
    let counts = web.review_counts().await?;
    let total = counts.total(reason.as_deref());
    // A reason no request has (now) needs no search through the queue.
    let items = if total == 0 {
        Vec::new()
    } else {
        web.store
            .review_items(&ReviewQuery {
                reason: reason.clone(),
                latest_due_first: latest_first,
                offset: (page_no - 1).saturating_mul(PER_PAGE),
                limit: Some(PER_PAGE),
            })
            .await?
    };
    let pages = ((total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE)).max(1);
    let link = |sort: &str, page: i64| {
        let mut l = format!("/review?sort={sort}&page={page}");
        if let Some(r) = &reason {
            l.push_str(&format!("&reason={}", encode(r)));
        }
        l
    };
    let sort_now = if latest_first { "-due" } else { "due" };
    let body = html! {
        h1 { (t.review_queue) }
        form method="get" action="/review" class="filter" {
            label for="reason" { (t.filter_by_reason) }
            select id="reason" name="reason" {
                option value="" { (t.all_reasons) }
                @for (name, n) in &counts.per_reason() {
                    option value=(name) selected[reason.as_deref() == Some(name.as_str())] {
                        (reason_name(signed.lang, name)) " (" (n) ")"
                    }
                }
            }
            input type="hidden" name="sort" value=(sort_now);
            button type="submit" { (t.filter) }
        }
        p role="status" { (t.in_queue.replace("{n}", &total.to_string())) }
        @if items.is_empty() {
            p { (t.queue_empty) }
        } @else {
            table class="queue" {
                caption class="visually-hidden" { (t.review_queue) }
                thead {
                    tr {
                        th scope="col" { (t.reference) }
                        th scope="col" { (t.reasons) }
                        th scope="col" { (t.received) }
                        th scope="col" aria-sort=(if latest_first { "descending" } else { "ascending" }) {
                            a href=(link(if latest_first { "due" } else { "-due" }, 1)) {
                                (t.due) " " (if latest_first { t.sorted_descending } else { t.sorted_ascending })
                            }
                        }
                        th scope="col" class="num" { (t.age_days) }
                    }
                }
                tbody {
                    @for item in &items {
                        @let s = &item.summary;
                        tr {
                            td { a href={ "/requests/" (s.reference) } { (s.reference) } }
                            td {
                                @for (i, r) in item.reasons.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (reason_name(signed.lang, r))
                                }
                            }
                            td { (date(s.received_at)) }
                            td {
                                (date(s.due_at))
                                @if s.due_at < at { " " strong class="overdue" { "(" (t.overdue_marker) ")" } }
                            }
                            td class="num" { ((at - s.received_at).max(0) / DAY) }
                        }
                    }
                }
            }
            nav aria-label=(t.pages) class="pages" {
                @if page_no > 1 {
                    a href=(link(sort_now, i64::from(page_no) - 1)) rel="prev" { (t.previous_page) }
                }
                span { (t.page_of.replace("{page}", &page_no.to_string()).replace("{pages}", &pages.to_string())) }
                @if i64::from(page_no) < pages {
                    a href=(link(sort_now, i64::from(page_no) + 1)) rel="next" { (t.next_page) }
                }
            }
        }
    };
    Ok(layout_page(
        signed.lang,
        t.review_queue,
        Some((&signed, "/review")),
        body,
    ))
}

fn reference_of(text: &str) -> Result<String, WebError> {
    text.parse::<Reference>()
        .map(|r| r.to_string())
        .map_err(|_| WebError::NotFound)
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

pub async fn page(
    State(web): State<Shared>,
    signed: Signed,
    Path(reference): Path<String>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    signed.require(Role::KelaClerk)?;
    let reference = reference_of(&reference)?;
    let notice = done.done.is_some().then_some(signed.lang.texts().saved);
    render(&web, &signed, &reference, None, notice).await
}

/// The request page, with a problem (a refused form) or a notice (a saved one).
async fn render(
    web: &Web,
    signed: &Signed,
    reference: &str,
    problem: Option<String>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let t = signed.lang.texts();
    let lang = signed.lang;
    let actor = signed.user().actor();
    let at = now();
    let request = web.store.show_request(reference, &actor, at).await?;
    let messages = web.store.request_messages(reference, &actor, at).await?;
    let c = &request.content;
    let s = &request.summary;
    let in_review = s.state == RequestState::NeedsReview;
    let csrf = &signed.session.csrf;
    let max = web.config.limits.max_message_bytes;
    let reasons = web.store.review_reasons(reference).await?;
    let body = html! {
        h1 { (t.request) " " (s.reference) }
        @if let Some(problem) = &problem {
            p class="problem" role="alert" { (problem) }
        }
        @if let Some(notice) = notice {
            p class="notice" role="status" { (notice) }
        }
        dl class="summary" {
            dt { (t.state) } dd { (state_name(lang, s.state)) }
            dt { (t.received) } dd { (date(s.received_at)) }
            dt { (t.due) } dd {
                (date(s.due_at))
                @if s.due_at < at && !s.state.is_closed() { " " strong class="overdue" { "(" (t.overdue_marker) ")" } }
            }
            dt { (t.reasons) } dd {
                @if reasons.is_empty() { "–" }
                @for (i, r) in reasons.iter().enumerate() {
                    @if i > 0 { ", " }
                    (reason_name(lang, r))
                }
            }
        }
        h2 { (t.fields) }
        table class="fields" {
            thead { tr {
                th scope="col" { (t.field) }
                th scope="col" { (t.value) }
                th scope="col" { (t.check) }
                @if in_review { th scope="col" { (t.correct) } }
            } }
            tbody {
                @for field in Field::ALL {
                    @let value = value_text(&c.fields, field);
                    @let invalid = c.invalid.iter().find(|i| i.field == field);
                    tr {
                        th scope="row" { (field_label(lang, field)) }
                        td class="value" {
                            @if value.is_empty() { "–" } @else { (visible(&value)) }
                            @if mixes_scripts(&value) {
                                " " strong class="warning" { "(" (t.mixed_scripts) ")" }
                            }
                        }
                        td {
                            @if let Some(invalid) = invalid {
                                strong class="warning" { (t.invalid) } ": " (invalid.reason)
                            } @else if c.missing.contains(&field) {
                                strong class="warning" { (t.missing) }
                            } @else if value.is_empty() { "–" } @else { (t.ok) }
                        }
                        @if in_review {
                            td {
                                form method="post" action={ "/requests/" (s.reference) "/edit" } class="inline" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="field" value=(field.name());
                                    label for={ "edit-" (field.name()) } class="visually-hidden" {
                                        (t.new_value_for) " " (field_label(lang, field))
                                    }
                                    // As shown beside it: a bidi override or a control character
                                    // is never obeyed or hidden in the input either.
                                    input id={ "edit-" (field.name()) } name="value" type="text" value=(visible(&value))
                                        autocomplete="off" spellcheck="false";
                                    button type="submit" { (t.save) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if in_review {
            p class="hint" { (t.edit_hint) }
            h2 { (t.resolve) }
            form method="post" action={ "/requests/" (s.reference) "/resolve" } class="resolve" {
                input type="hidden" name="csrf" value=(csrf);
                fieldset {
                    legend { (t.resolution) }
                    @for (value, label) in [("queue", t.resolve_queue), ("reply_missing", t.resolve_reply_missing), ("reply_text", t.resolve_reply_text), ("reject", t.resolve_reject)] {
                        div class="choice" {
                            input type="radio" name="action" id={ "action-" (value) } value=(value) required;
                            label for={ "action-" (value) } { (label) }
                        }
                    }
                }
                label for="text" { (t.text_to_citizen) }
                textarea id="text" name="text" rows="5" maxlength="10000" aria-describedby="text-hint" {}
                p id="text-hint" class="hint" { (t.text_hint) }
                button type="submit" { (t.resolve) }
            }
        }
        h2 { (t.messages) }
        @for (m, raw) in messages.iter().enumerate() {
            @let view = read_message(raw, max);
            @let files = attachment_files(raw);
            section class="message" aria-labelledby={ "message-" (m) } {
                h3 id={ "message-" (m) } { (t.message) " " (m + 1) " / " (messages.len()) }
                p {
                    a href={ "/requests/" (s.reference) "/messages/" (m) } download { (t.download_message) }
                }
                @if let Some(from) = &view.from_address {
                    p { strong { (t.sender) ": " } (visible(from)) }
                }
                @if let Some(subject) = &view.subject {
                    p { strong { (t.subject) ": " } (visible(subject)) }
                }
                @if !files.is_empty() {
                    h4 { (t.attachments) }
                    ul {
                        @for (a, file) in files.iter().enumerate() {
                            li {
                                a href={ "/requests/" (s.reference) "/messages/" (m) "/attachments/" (a) } download {
                                    (t.download) " " (a + 1) ": "
                                    (file.name.as_deref().map(visible).unwrap_or_else(|| t.unnamed.to_string()))
                                }
                                " (" (visible(&file.content_type)) ", " (file.bytes.len()) " B)"
                            }
                        }
                    }
                }
                @let shown: String = view.body.chars().take(SHOWN_CHARS).collect();
                // Mail's lines end in CRLF: only a lone CR is a control character to show.
                pre class="body" tabindex="0" aria-label={ (t.message) " " (m + 1) } { (visible(&shown.replace("\r\n", "\n"))) }
                @if shown.len() < view.body.len() {
                    p class="hint" { (t.body_truncated) }
                }
            }
        }
        h2 { (t.history) }
        table class="history" {
            thead { tr { th scope="col" { (t.time) } th scope="col" { (t.who) } th scope="col" { (t.event) } th scope="col" { (t.detail) } } }
            tbody {
                @for e in &request.history {
                    tr {
                        td { (crate::request::calendar::iso_time(e.at)) }
                        td { (e.actor) }
                        td { (e.action) }
                        td { (e.detail) }
                    }
                }
            }
        }
    };
    let title = format!("{} {}", t.request, s.reference);
    let here = format!("/requests/{}", s.reference);
    Ok(answer(
        problem.is_some(),
        layout_page(lang, &title, Some((signed, &here)), body),
    ))
}

/// A refused action shows its reason on the request page; other errors are errors.
async fn refused_or(
    web: &Web,
    signed: &Signed,
    reference: &str,
    result: Result<(), StoreError>,
) -> Result<Response, WebError> {
    web.queue_changed();
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/requests/{reference}?done=1")).into_response()),
        Err(StoreError::Refused(why)) => render(web, signed, reference, Some(why), None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn resolve(
    State(web): State<Shared>,
    Path(reference): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    signed.require(Role::KelaClerk)?;
    let reference = reference_of(&reference)?;
    let t = signed.lang.texts();
    let text = posted.form.get("text").unwrap_or("").trim().to_string();
    let action = posted.form.get("action").unwrap_or("");
    let needs_text = matches!(action, "reply_text" | "reject");
    if needs_text && text.is_empty() {
        return render(&web, signed, &reference, Some(t.text_needed.into()), None).await;
    }
    if needs_text {
        if let Some(word) = names_the_care(&text, &web.config.provider_names()) {
            let why = t.text_names_care.replace("{word}", &word);
            return render(&web, signed, &reference, Some(why), None).await;
        }
    }
    let resolution = match action {
        "queue" => Resolution::Queue,
        "reply_missing" => Resolution::ReplyMissing,
        "reply_text" => Resolution::ReplyText(&text),
        "reject" => Resolution::Reject(&text),
        _ => return Err(WebError::BadRequest("unknown action")),
    };
    let result = web
        .store
        .resolve_review(
            &reference,
            resolution,
            &web.config.rules(),
            &signed.user().actor(),
            now(),
        )
        .await
        .map(drop);
    refused_or(&web, signed, &reference, result).await
}

pub async fn edit(
    State(web): State<Shared>,
    Path(reference): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    signed.require(Role::KelaClerk)?;
    let reference = reference_of(&reference)?;
    let field = posted.form.get("field").unwrap_or("");
    let value = posted.form.get("value").unwrap_or("");
    if value.contains(['\r', '\n']) {
        return Err(WebError::BadRequest("a value is one line"));
    }
    let edit: Edit = match format!("{field}={value}").parse() {
        Ok(edit) => edit,
        Err(e) => return render(&web, signed, &reference, Some(e.to_string()), None).await,
    };
    let result = web
        .store
        .edit_request(
            &reference,
            &[edit],
            &web.config.rules(),
            crate::cli::current_year(),
            &signed.user().actor(),
            now(),
        )
        .await
        .map(drop);
    refused_or(&web, signed, &reference, result).await
}

/// A download that the browser saves and never shows: a neutral type and a file name of our
/// own making (an attachment's own name may be personal or hostile).
fn download(bytes: Vec<u8>, file_name: &str) -> Response {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            .expect("file names are ASCII"),
    );
    response
}

/// An attachment's file extension, when it is a short run of ASCII letters and digits.
fn extension(name: Option<&str>) -> String {
    name.and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|e| (1..=5).contains(&e.len()) && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "bin".to_string())
}

async fn message_of(
    web: &Web,
    signed: &Signed,
    reference: &str,
    index: usize,
) -> Result<Vec<u8>, WebError> {
    signed.require(Role::KelaClerk)?;
    let mut messages = web
        .store
        .request_messages(reference, &signed.user().actor(), now())
        .await?;
    if index >= messages.len() {
        return Err(WebError::NotFound);
    }
    Ok(messages.swap_remove(index))
}

pub async fn message_download(
    State(web): State<Shared>,
    signed: Signed,
    Path((reference, message)): Path<(String, usize)>,
) -> Result<Response, WebError> {
    let reference = reference_of(&reference)?;
    let raw = message_of(&web, &signed, &reference, message).await?;
    Ok(download(raw, &format!("{reference}-{}.eml", message + 1)))
}

pub async fn attachment_download(
    State(web): State<Shared>,
    signed: Signed,
    Path((reference, message, attachment)): Path<(String, usize, usize)>,
) -> Result<Response, WebError> {
    let reference = reference_of(&reference)?;
    let raw = message_of(&web, &signed, &reference, message).await?;
    let file = attachment_files(&raw)
        .into_iter()
        .nth(attachment)
        .ok_or(WebError::NotFound)?;
    let name = format!(
        "{reference}-{}-{}.{}",
        message + 1,
        attachment + 1,
        extension(file.name.as_deref())
    );
    Ok(download(file.bytes, &name))
}

#[cfg(test)]
mod tests {
    use super::extension;

    #[test]
    fn download_names_keep_only_a_plain_extension() {
        assert_eq!(extension(Some("lomake.PDF")), "pdf");
        assert_eq!(extension(Some("x.tar.gz")), "gz");
        assert_eq!(extension(Some("evil.\"; rm")), "bin");
        assert_eq!(extension(Some("noext")), "bin");
        assert_eq!(extension(None), "bin");
    }
}
