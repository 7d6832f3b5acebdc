//! What a failed request shows: a short page in the three languages, never the internals
//! (those go to the log, by kind and reference only).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, fi, sv, en) = match &self {
            WebError::NotFound | WebError::Store(StoreError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "Sivua ei löydy.",
                "Sidan hittades inte.",
                "Page not found.",
            ),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Sinulla ei ole oikeutta tähän sivuun.",
                "Du har inte behörighet till den här sidan.",
                "You may not open this page.",
            ),
            WebError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Pyyntö oli virheellinen.",
                "Begäran var felaktig.",
                "The request was not valid.",
            ),
            WebError::Store(StoreError::Purged(_)) => (
                StatusCode::GONE,
                "Pyynnön tiedot on poistettu säilytysajan päätyttyä.",
                "Begärans uppgifter har raderats efter lagringstiden.",
                "The request's data was deleted after the retention time.",
            ),
            _ => {
                tracing::error!(error = %self, "web request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Palvelussa tapahtui virhe. Yritä uudelleen.",
                    "Ett fel inträffade. Försök igen.",
                    "Something went wrong. Please try again.",
                )
            }
        };
        let page = html! {
            (maud::DOCTYPE)
            html lang="fi" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "datareq – " (status.as_u16()) }
                    link rel="stylesheet" href="/style.css";
                }
                body {
                    main id="main" {
                        h1 { (status.as_u16()) }
                        p { (fi) }
                        p lang="sv" { (sv) }
                        p lang="en" { (en) }
                        p { a href="/" { "datareq" } }
                    }
                }
            }
        };
        (status, page).into_response()
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}
