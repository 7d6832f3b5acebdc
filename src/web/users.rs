//! Accounts, for administrators: the list, a new account, disabling and enabling. Every
//! change is audited under the administrator's account; a disabled account's sessions end at
//! once.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::auth::Signed;
use super::error::WebError;
use super::form::Posted;
use super::layout::{answer, page as layout_page};
use super::{now, Shared, Web};
use crate::crypto::password::hash_password;
use crate::store::{Role, StoreError};

async fn render(web: &Web, signed: &Signed, problem: Option<String>) -> Result<Response, WebError> {
    signed.require(Role::Admin)?;
    let t = signed.lang.texts();
    let users = web.store.list_users().await?;
    let csrf = &signed.session.csrf;
    let body = html! {
        h1 { (t.users) }
        @if let Some(problem) = &problem {
            p class="problem" role="alert" { (problem) }
        }
        table {
            caption class="visually-hidden" { (t.users) }
            thead { tr {
                th scope="col" { (t.account_name) }
                th scope="col" { (t.role) }
                th scope="col" { (t.organisation) }
                th scope="col" { (t.state) }
                th scope="col" { (t.action) }
            } }
            tbody {
                @for u in &users {
                    tr {
                        td { (u.name) }
                        td { (u.role.name()) }
                        td { (u.organisation.as_deref().unwrap_or("–")) }
                        td { (if u.disabled { t.disabled } else { t.active }) }
                        td {
                            @if u.name != signed.user().name {
                                form method="post" action={ "/users/" (u.name) "/disabled" } class="inline" {
                                    input type="hidden" name="csrf" value=(csrf);
                                    input type="hidden" name="disabled" value=(if u.disabled { "0" } else { "1" });
                                    button type="submit" { (if u.disabled { t.enable } else { t.disable }) " " span class="visually-hidden" { (u.name) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t.add_user) }
        form method="post" action="/users" class="narrow" {
            input type="hidden" name="csrf" value=(csrf);
            label for="new-name" { (t.account_name) }
            input id="new-name" name="name" type="text" required maxlength="64" autocomplete="off"
                pattern="[a-z0-9._\\-]+" aria-describedby="new-name-hint";
            p id="new-name-hint" class="hint" { (t.account_name_hint) }
            label for="new-role" { (t.role) }
            select id="new-role" name="role" {
                @for role in Role::ALL { option value=(role.name()) { (role.name()) } }
            }
            label for="new-org" { (t.organisation) }
            select id="new-org" name="organisation" {
                option value="" { "–" }
                @for (id, org) in &web.config.organisations { option value=(id) { (org.name) } }
            }
            label for="new-password" { (t.password) }
            input id="new-password" name="password" type="password" required minlength="12"
                autocomplete="new-password" aria-describedby="new-password-hint";
            p id="new-password-hint" class="hint" { (t.password_hint) }
            button type="submit" { (t.add_user) }
        }
    };
    Ok(answer(
        problem.is_some(),
        layout_page(signed.lang, t.users, Some((signed, "/users")), body),
    ))
}

pub async fn page(State(web): State<Shared>, signed: Signed) -> Result<Response, WebError> {
    render(&web, &signed, None).await
}

pub async fn add(State(web): State<Shared>, posted: Posted) -> Result<Response, WebError> {
    let signed = &posted.signed;
    signed.require(Role::Admin)?;
    let f = &posted.form;
    let name = f.get("name").unwrap_or("").trim().to_string();
    let Ok(role) = f.get("role").unwrap_or("").parse::<Role>() else {
        return Err(WebError::BadRequest("unknown role"));
    };
    let org = f.get("organisation").filter(|o| !o.is_empty());
    if org.is_some_and(|o| !web.config.organisations.contains_key(o)) {
        return Err(WebError::BadRequest("unknown organisation"));
    }
    let password = f.get("password").unwrap_or("").to_string();
    let hash = match tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
    {
        Ok(hash) => hash,
        Err(e) => return render(&web, signed, Some(e.to_string())).await,
    };
    match web
        .store
        .add_user(&name, role, org, &hash, &signed.user().actor(), now())
        .await
    {
        Ok(()) => Ok(Redirect::to("/users").into_response()),
        Err(StoreError::Refused(why)) => render(&web, signed, Some(why)).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn set_disabled(
    State(web): State<Shared>,
    Path(name): Path<String>,
    posted: Posted,
) -> Result<Response, WebError> {
    let signed = &posted.signed;
    signed.require(Role::Admin)?;
    if name == signed.user().name {
        return Err(WebError::BadRequest("one's own account"));
    }
    let disabled = posted.form.get("disabled") == Some("1");
    web.store
        .set_user_disabled(&name, disabled, &signed.user().actor(), now())
        .await?;
    Ok(Redirect::to("/users").into_response())
}
