//! The page shell every page shares: language, skip link, navigation by role, the sign-out
//! form, and the style sheet (compiled in; no script anywhere).

use axum::extract::Query;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup, DOCTYPE};

use super::auth::Signed;
use super::text::{Texts, EN, FI, SV};
use crate::store::Role;

const LANG_COOKIE: &str = "datareq_lang";

/// The interface's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fi,
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    fn own_name(self) -> &'static str {
        match self {
            Lang::Fi => "Suomeksi",
            Lang::Sv => "På svenska",
            Lang::En => "In English",
        }
    }

    fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Fi => &FI,
            Lang::Sv => &SV,
            Lang::En => &EN,
        }
    }

    /// The chosen language (cookie), else the browser's first of ours, else Finnish.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) = super::auth::cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
            return lang;
        }
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|item| item.split(';').next())
            .filter_map(|tag| Lang::parse(&tag.trim().get(..2)?.to_ascii_lowercase()))
            .next()
            .unwrap_or(Lang::Fi)
    }
}

#[derive(serde::Deserialize)]
pub struct LanguageChoice {
    set: String,
    back: Option<String>,
}

/// `/language?set=sv&back=/review`: remembers the choice in a cookie and goes back.
pub async fn choose_language(Query(choice): Query<LanguageChoice>) -> Response {
    let back = choice
        .back
        .filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\'))
        .unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&back).into_response();
    if let Some(lang) = Lang::parse(&choice.set) {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Secure; SameSite=Strict; Max-Age=31536000",
            lang.code()
        );
        response.headers_mut().append(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).expect("a language code"),
        );
    }
    response
}

pub async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("style.css"),
    )
}

/// The navigation of `role`: (path, label).
fn navigation(role: Role, t: &Texts) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::KelaClerk => vec![("/dashboard", t.dashboard), ("/review", t.review_queue)],
        Role::CityStaff => vec![("/pickup", t.pickup)],
        Role::Admin => vec![("/users", t.users)],
    }
}

/// A whole page. `here` is the current path (for the language links and the navigation's
/// current item).
pub fn page(lang: Lang, title: &str, signed: Option<(&Signed, &str)>, body: Markup) -> Markup {
    let t = lang.texts();
    let here = signed.map_or("/login", |(_, here)| here);
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – datareq" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                a class="skip" href="#main" { (t.skip_to_content) }
                header class="top" {
                    p class="brand" { "datareq" span class="sub" { " · " (t.service_name) } }
                    @if let Some((signed, _)) = signed {
                        nav aria-label=(t.main_navigation) {
                            ul {
                                @for (path, label) in navigation(signed.user().role, t) {
                                    li {
                                        @if here.starts_with(path) {
                                            a href=(path) aria-current="page" { (label) }
                                        } @else {
                                            a href=(path) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        form method="post" action="/logout" class="signout" {
                            input type="hidden" name="csrf" value=(signed.session.csrf);
                            span { (t.signed_in_as) " " strong { (signed.user().name) } }
                            " "
                            button type="submit" class="link" { (t.sign_out) }
                        }
                    }
                    nav class="languages" aria-label=(t.language) {
                        ul {
                            @for other in Lang::ALL {
                                li {
                                    @if other == lang {
                                        span lang=(other.code()) aria-current="true" { (other.own_name()) }
                                    } @else {
                                        a lang=(other.code()) hreflang=(other.code())
                                            href={ "/language?set=" (other.code()) "&back=" (encode(here)) } {
                                            (other.own_name())
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

/// A whole page as the response to a form: 422 when it reports a problem, else 200.
pub fn answer(has_problem: bool, page: Markup) -> axum::response::Response {
    let status = if has_problem {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    (status, page).into_response()
}

/// `text` for a query string.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A date for people (YYYY-MM-DD, UTC).
pub fn date(unix: i64) -> String {
    crate::request::calendar::iso_date(unix)
}
