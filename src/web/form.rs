//! Posted forms. Every form of a signed-in page is read through [`Posted`], which refuses
//! the post unless it carries the session's CSRF token: no handler can forget the check.
//! Repeated fields (checkboxes) are kept.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

use super::auth::{same_secret, Signed};
use super::error::WebError;
use super::Shared;

/// The largest form accepted (a clerk's text and a few fields).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A form's fields, in order.
pub struct Form {
    fields: Vec<(String, String)>,
}

impl Form {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, _: &S) -> Result<Self, Response> {
        let is_form = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::BadRequest("not a form").into_response());
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| WebError::BadRequest("form too large").into_response())?;
        Ok(Form {
            fields: form_urlencoded::parse(&bytes).into_owned().collect(),
        })
    }
}

/// A signed-in person's form, its CSRF token checked.
pub struct Posted {
    pub signed: Signed,
    pub form: Form,
}

impl FromRequest<Shared> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, web: &Shared) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, web).await?;
        let form = Form::from_request(Request::from_parts(parts, body), web).await?;
        let token = form.get("csrf").unwrap_or("");
        if !same_secret(token, &signed.session.csrf) {
            tracing::warn!(user = %signed.user().name, "form refused: missing or wrong CSRF token");
            return Err(WebError::Forbidden.into_response());
        }
        Ok(Posted { signed, form })
    }
}
