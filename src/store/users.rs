//! Staff accounts and web sessions. An account has one role (and, for City staff, one
//! organisation); a session is stored by the keyed hash of its cookie with its CSRF token, and
//! ends when idle too long, when it reaches its maximum age, or when its account changes.
//! Account changes and sign-ins are audited; passwords arrive already hashed (crate::crypto).

use std::fmt;
use std::str::FromStr;

use sqlx::Row;

use super::audit::{append, Actor};
use super::{Store, StoreError};
use crate::crypto::HashDomain;

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Kela: the exception queue and the status.
    KelaClerk,
    /// A disclosing organisation: the pick-up of its own requests.
    CityStaff,
    /// Accounts.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::KelaClerk, Role::CityStaff, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::KelaClerk => "kela_clerk",
            Role::CityStaff => "city_staff",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role (expected kela_clerk, city_staff or admin)")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or(UnknownRole)
    }
}

/// A member of staff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    #[serde(skip)]
    pub id: i64,
    pub name: String,
    #[serde(serialize_with = "as_name")]
    pub role: Role,
    pub organisation: Option<String>,
    pub disabled: bool,
}

fn as_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.name())
}

impl User {
    /// How the audit trail names this person.
    pub fn actor(&self) -> Actor {
        Actor::WebUser(self.name.clone())
    }
}

/// A signed-in session.
#[derive(Clone)]
pub struct Session {
    pub user: User,
    /// The token every form of this session carries.
    pub csrf: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.name)
            .finish_non_exhaustive()
    }
}

/// How long sessions last, in seconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: i64,
    pub max: i64,
}

/// A session's last-seen time is written at most this often (seconds): a page view is then
/// usually a read only.
const TOUCH_EVERY: i64 = 30;

/// Whether `name` can be an account name: 1–64 of a–z, 0–9, '.', '_', '-' (it appears in
/// the audit trail as `web:NAME`).
pub fn is_valid_user_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_".contains(&b))
}

const USER_COLUMNS: &str = "id, name, role, organisation, disabled";

fn user_of_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get(2)?;
    Ok(User {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        role: role
            .parse()
            .map_err(|_| StoreError::Corrupt("unknown role".into()))?,
        organisation: row.try_get(3)?,
        disabled: row.try_get::<i64, _>(4)? != 0,
    })
}

impl Store {
    /// Adds an account. Refused when the name is taken or not a valid name, or when City
    /// staff have no organisation (others never have one).
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        organisation: Option<&str>,
        password_hash: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        if !is_valid_user_name(name) {
            return Err(StoreError::Refused(
                "an account name is 1 to 64 of a-z, 0-9, '.', '_' and '-'".into(),
            ));
        }
        match (role, organisation) {
            (Role::CityStaff, None) => {
                return Err(StoreError::Refused(
                    "City staff need an organisation (--org)".into(),
                ))
            }
            (Role::KelaClerk | Role::Admin, Some(_)) => {
                return Err(StoreError::Refused(format!(
                    "only city_staff belong to an organisation, not {role}"
                )))
            }
            _ => {}
        }
        let mut tx = self.begin_write().await?;
        let taken = sqlx::query("SELECT 1 FROM users WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if taken {
            return Err(StoreError::Refused(format!(
                "there is already an account {name}"
            )));
        }
        sqlx::query(
            "INSERT INTO users (name, role, organisation, password_hash, disabled, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5)",
        )
        .bind(name.to_string())
        .bind(role.name())
        .bind(organisation.map(str::to_string))
        .bind(password_hash.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "user={name}; role={role}; organisation={}",
            organisation.unwrap_or("-")
        );
        append(
            &mut tx,
            &self.hasher,
            now,
            actor,
            "user_added",
            None,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every account, by name.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY name"
        )))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(user_of_row)
        .collect()
    }

    /// An account and its password hash, for signing in.
    pub async fn user_credentials(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE name = $1"
        )))
        .bind(name.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_of_row(&row)?, row.try_get(5)?)))
            .transpose()
    }

    /// Sets a new password; the account's sessions end.
    pub async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        self.change_user(
            name,
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE name = $3",
            password_hash.to_string(),
            "password_changed",
            actor,
            now,
        )
        .await
    }

    /// Disables or enables an account; its sessions end either way.
    pub async fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let (value, action) = if disabled {
            ("1", "user_disabled")
        } else {
            ("0", "user_enabled")
        };
        self.change_user(
            name,
            "UPDATE users SET disabled = CAST($1 AS INTEGER), updated_at = $2 WHERE name = $3",
            value.to_string(),
            action,
            actor,
            now,
        )
        .await
    }

    async fn change_user(
        &self,
        name: &str,
        update: &'static str,
        value: String,
        action: &str,
        actor: &Actor,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(update)
            .bind(value)
            .bind(now)
            .bind(name.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(StoreError::NotFound(format!("account {name}")));
        }
        sqlx::query(
            "DELETE FROM web_sessions WHERE user_id = (SELECT id FROM users WHERE name = $1)",
        )
        .bind(name.to_string())
        .execute(&mut *tx)
        .await?;
        let detail = format!("user={name}");
        append(&mut tx, &self.hasher, now, actor, action, None, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a sign-in (or a refused one, for an existing account) in the audit trail.
    pub async fn record_sign_in(
        &self,
        user: &User,
        accepted: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let action = if accepted {
            "signed_in"
        } else {
            "sign_in_refused"
        };
        let mut tx = self.begin_write().await?;
        append(&mut tx, &self.hasher, now, &user.actor(), action, None, "").await?;
        tx.commit().await?;
        Ok(())
    }

    fn session_key(&self, token: &str) -> Vec<u8> {
        self.hasher
            .hash(HashDomain::Session, &[token.as_bytes()])
            .to_vec()
    }

    /// Starts a session for `user` under the cookie value `token`.
    pub async fn open_session(
        &self,
        token: &str,
        user: &User,
        csrf: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, seen_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(self.session_key(token))
        .bind(user.id)
        .bind(csrf.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session under `token`, if any: an idle, too old or disabled account's
    /// session is ended instead.
    pub async fn session(
        &self,
        token: &str,
        limits: SessionLimits,
        now: i64,
    ) -> Result<Option<Session>, StoreError> {
        let key = self.session_key(token);
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.organisation, u.disabled, s.csrf, s.created_at, \
             s.seen_at FROM web_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(key.clone())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = user_of_row(&row)?;
        let created_at: i64 = row.try_get(6)?;
        let seen_at: i64 = row.try_get(7)?;
        let live = !user.disabled && now - seen_at <= limits.idle && now - created_at <= limits.max;
        if !live {
            self.close_session(token).await?;
            return Ok(None);
        }
        // Written often enough that a session in use never looks idle.
        if now - seen_at >= TOUCH_EVERY.min(limits.idle / 2) {
            let mut tx = self.begin_write().await?;
            sqlx::query("UPDATE web_sessions SET seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(key)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(Some(Session {
            user,
            csrf: row.try_get(5)?,
        }))
    }

    /// Ends the session under `token` (signing out).
    pub async fn close_session(&self, token: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(self.session_key(token))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes sessions past their limits (the daily housekeeping).
    pub async fn purge_sessions(&self, limits: SessionLimits, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM web_sessions WHERE seen_at < $1 OR created_at < $2")
            .bind(now - limits.idle)
            .bind(now - limits.max)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_by_name() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        assert!("clerk".parse::<Role>().is_err());
    }

    #[test]
    fn account_names_are_plain_tokens() {
        assert!(is_valid_user_name("clerk-anna.k_1"));
        for bad in [
            "",
            "Anna",
            "anna smith",
            "anna@kela",
            "web:anna",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_user_name(bad), "{bad}");
        }
    }
}
