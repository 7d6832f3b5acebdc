//! Signing in and out, and who is signed in. A session is a random cookie
//! (`__Host-datareq_session`: HttpOnly, Secure, SameSite=Strict, path /) whose keyed hash
//! finds the session row; it ends when idle, at its maximum age, or when the account changes.
//! The sign-in form carries a token of its own (a pre-session cookie), and failed attempts
//! are limited per account and per client address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use subtle::ConstantTimeEq;

use super::error::WebError;
use super::form::Form;
use super::layout::{page, Lang};
use super::{now, Shared};
use crate::crypto::password::{random_token, verify_password};
use crate::store::{Role, Session, User};

pub const SESSION_COOKIE: &str = "__Host-datareq_session";
const LOGIN_COOKIE: &str = "__Host-datareq_login";

/// The signed-in person on a page that needs one. Without a live session, the browser is
/// sent to the sign-in page (and back here after it).
pub struct Signed {
    pub session: Session,
    pub lang: Lang,
}

impl Signed {
    pub fn user(&self) -> &User {
        &self.session.user
    }

    /// Refused unless the person has `role`.
    pub fn require(&self, role: Role) -> Result<(), WebError> {
        if self.session.user.role == role {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }
}

/// A cookie's value from the request's Cookie headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn set_cookie(name: &str, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict"
    ))
    .expect("cookie values are hex")
}

fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"
    ))
    .expect("a constant cookie")
}

/// Where to go after signing in: a path on this site only.
fn local_path(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

impl FromRequestParts<Shared> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Shared) -> Result<Self, Response> {
        let lang = Lang::of(&parts.headers);
        let to_login = || {
            let here = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_string();
            let target = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
            );
            let mut response = Redirect::to(&target).into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
            response
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        match web.store.session(token, web.session_limits(), now()).await {
            Ok(Some(session)) => Ok(Signed { session, lang }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(WebError::from(e).into_response()),
        }
    }
}

/// Single sign-on at the reverse proxy: a request from a trusted proxy that names an account
/// in the configured header is signed in as that account. The session is an ordinary one
/// (so forms carry its CSRF token and it ends like any other); it is made when the request
/// has no live session of that account, and its cookie is set on the response. From any
/// other address the header is ignored, and a header naming no (or a disabled) account signs
/// nobody in.
pub async fn proxy_sign_in(
    State(web): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(header_name) = web.config.web.user_header.as_deref() else {
        return next.run(request).await;
    };
    if !web.config.web.trusted_proxies.contains(&peer.ip()) {
        request.headers_mut().remove(header_name);
        return next.run(request).await;
    }
    let Some(name) = request
        .headers()
        .get(header_name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|n| crate::store::is_valid_user_name(n))
    else {
        return next.run(request).await;
    };
    let at = now();
    let current = match cookie(request.headers(), SESSION_COOKIE) {
        Some(token) => web
            .store
            .session(token, web.session_limits(), at)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if current.is_some_and(|s| s.user.name == name) {
        return next.run(request).await;
    }
    let user = match web.store.user_credentials(&name).await {
        Ok(Some((user, _))) if !user.disabled => user,
        Ok(_) => return next.run(request).await,
        Err(e) => return WebError::from(e).into_response(),
    };
    let token = random_token();
    if let Err(e) = web
        .store
        .open_session(&token, &user, &random_token(), at)
        .await
    {
        return WebError::from(e).into_response();
    }
    if let Err(e) = web.store.record_sign_in(&user, true, at).await {
        return WebError::from(e).into_response();
    }
    // The handlers find the new session as if the browser had sent it.
    let others: Vec<String> = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|c| !c.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_string)
        .collect();
    let mut jar = others;
    jar.push(format!("{SESSION_COOKIE}={token}"));
    request.headers_mut().remove(header::COOKIE);
    request.headers_mut().insert(
        header::COOKIE,
        HeaderValue::from_str(&jar.join("; ")).unwrap_or(HeaderValue::from_static("")),
    );
    let mut response = next.run(request).await;
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token));
    response
}

/// The first page of each role.
fn home_of(role: Role) -> &'static str {
    match role {
        Role::KelaClerk => "/dashboard",
        Role::CityStaff => "/pickup",
        Role::Admin => "/users",
    }
}

pub async fn home(signed: Signed) -> Redirect {
    Redirect::to(home_of(signed.user().role))
}

#[derive(serde::Deserialize)]
pub struct Next {
    next: Option<String>,
}

pub async fn login_page(headers: HeaderMap, Query(next): Query<Next>) -> Response {
    login_form(
        Lang::of(&headers),
        next.next.as_deref(),
        None,
        StatusCode::OK,
    )
}

fn login_form(
    lang: Lang,
    next: Option<&str>,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let t = lang.texts();
    let token = random_token();
    let body = html! {
        h1 { (t.sign_in) }
        @if let Some(problem) = &problem {
            p class="problem" role="alert" id="login-problem" { (problem) }
        }
        form method="post" action="/login" class="narrow" {
            input type="hidden" name="csrf" value=(token);
            @if let Some(next) = local_path(next) {
                input type="hidden" name="next" value=(next);
            }
            label for="name" { (t.account_name) }
            input id="name" name="name" type="text" autocomplete="username" required
                autocapitalize="none" spellcheck="false" maxlength="64"
                aria-describedby=[problem.as_ref().map(|_| "login-problem")];
            label for="password" { (t.password) }
            input id="password" name="password" type="password"
                autocomplete="current-password" required maxlength="1024";
            button type="submit" { (t.sign_in) }
        }
    };
    let mut response = (status, page(lang, t.sign_in, None, body)).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &token));
    response
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
/// address in X-Forwarded-For that is not one.
fn client_address(web: &Shared, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    let trusted = &web.config.web.trusted_proxies;
    if !trusted.contains(&peer.ip()) {
        return peer.ip();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer.ip())
}

pub async fn login(
    State(web): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Form,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let t = lang.texts();
    let next = form.get("next").map(str::to_string);
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(expected, form.get("csrf").unwrap_or("")) {
        return Ok(login_form(
            lang,
            next.as_deref(),
            Some(t.form_expired.to_string()),
            StatusCode::FORBIDDEN,
        ));
    }
    let name = form.get("name").unwrap_or("").trim().to_string();
    let password = form.get("password").unwrap_or("").to_string();
    let address = client_address(&web, peer, &headers).to_string();
    let at = now();
    let locked = web
        .limiter
        .lock()
        .expect("limiter")
        .check(&name, &address, at);
    if let Err(wait) = locked {
        tracing::warn!("sign-in refused: too many failed attempts");
        let minutes = (wait + 59) / 60;
        return Ok(login_form(
            lang,
            next.as_deref(),
            Some(
                t.too_many_attempts
                    .replace("{minutes}", &minutes.to_string()),
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let account = if crate::store::is_valid_user_name(&name) {
        web.store.user_credentials(&name).await?
    } else {
        None
    };
    let stored = account.as_ref().map(|(_, hash)| hash.clone());
    let matches =
        tokio::task::spawn_blocking(move || verify_password(&password, stored.as_deref()))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
    let user = match account {
        Some((user, _)) if matches && !user.disabled => user,
        other => {
            web.limiter
                .lock()
                .expect("limiter")
                .failed(&name, &address, at);
            if let Some((user, _)) = other {
                web.store.record_sign_in(&user, false, at).await?;
            }
            return Ok(login_form(
                lang,
                next.as_deref(),
                Some(t.wrong_credentials.to_string()),
                StatusCode::UNAUTHORIZED,
            ));
        }
    };
    web.limiter.lock().expect("limiter").succeeded(&name);
    let token = random_token();
    web.store
        .open_session(&token, &user, &random_token(), at)
        .await?;
    web.store.record_sign_in(&user, true, at).await?;
    let target = local_path(next.as_deref()).unwrap_or(home_of(user.role));
    let mut response = Redirect::to(target).into_response();
    let h = response.headers_mut();
    h.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &token));
    h.append(header::SET_COOKIE, clear_cookie(LOGIN_COOKIE));
    Ok(response)
}

pub async fn logout(
    State(web): State<Shared>,
    headers: HeaderMap,
    posted: super::form::Posted,
) -> Result<Response, WebError> {
    drop(posted);
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        web.store.close_session(token).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, clear_cookie(SESSION_COOKIE));
    Ok(response)
}
