//! Browser sessions and CSRF tokens for the pages.
//!
//! The session cookie (`etp_session`) holds a random 256-bit token, HttpOnly and SameSite=Lax; the store
//! keeps only its SHA-256, with the person, their role, a CSRF token of the session's own, and two clocks: a
//! session ends two hours after it was last used or twelve hours after it began, whichever is first, and at
//! once when its owner signs out. Forms shown before sign-in carry a token that must match a cookie of its
//! own (`etp_csrf`, SameSite=Strict).

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use sha2::{Digest, Sha256};
use sqlx::Row;

use domain::{Actor, Role};
use projections::{Db, on_pool};

use super::PageError;
use crate::bus::AppState;

pub const SESSION_COOKIE: &str = "etp_session";
pub const ANONYMOUS_CSRF_COOKIE: &str = "etp_csrf";
/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::hours(2);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// A signed-in browser.
#[derive(Clone, Debug)]
pub struct Session {
    pub actor: Actor,
    pub csrf_token: String,
    token_hash: String,
}

/// A new random token, as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for a person who has just signed in; answers the token for the cookie.
pub async fn start(db: &Db, actor: &Actor) -> Result<String, sqlx::Error> {
    const SQL: &str = "INSERT INTO sessions (token_hash, user_id, role, csrf_token, created_at, last_seen_at, expires_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let token = random_token();
    let now = Utc::now();
    on_pool!(db, p => sqlx::query(SQL)
        .bind(hash(&token))
        .bind(&actor.user_id)
        .bind(actor.role.as_str())
        .bind(random_token())
        .bind(now)
        .bind(now)
        .bind(now + ABSOLUTE_TIMEOUT)
        .execute(p)
        .await?
        .rows_affected());
    Ok(token)
}

/// user_id, role, csrf_token, last_seen_at, expires_at.
type SessionRow = (String, String, String, DateTime<Utc>, DateTime<Utc>);

/// The live session a token stands for; an expired one is removed and answers `None`.
pub async fn find(db: &Db, token: &str) -> Result<Option<Session>, sqlx::Error> {
    const SQL: &str = "SELECT user_id, role, csrf_token, last_seen_at, expires_at FROM sessions WHERE token_hash = $1";
    const TOUCH: &str = "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2";
    let token_hash = hash(token);
    let row: Option<SessionRow> = on_pool!(db, p => sqlx::query(SQL)
        .bind(&token_hash)
        .fetch_optional(p)
        .await?
        .map(|row| -> Result<_, sqlx::Error> {
            Ok((
                row.try_get("user_id")?,
                row.try_get("role")?,
                row.try_get("csrf_token")?,
                row.try_get("last_seen_at")?,
                row.try_get("expires_at")?,
            ))
        })
        .transpose()?);
    let Some((user_id, role, csrf_token, last_seen_at, expires_at)) = row else {
        return Ok(None);
    };
    let now = Utc::now();
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    if now >= expires_at || now >= last_seen_at + IDLE_TIMEOUT {
        end_by_hash(db, &token_hash).await?;
        return Ok(None);
    }
    if now - last_seen_at > Duration::minutes(1) {
        on_pool!(db, p => sqlx::query(TOUCH).bind(now).bind(&token_hash).execute(p).await?.rows_affected());
    }
    Ok(Some(Session {
        actor: Actor::new(user_id, role),
        csrf_token,
        token_hash,
    }))
}

/// Ends a session (sign out).
pub async fn end(db: &Db, session: &Session) -> Result<(), sqlx::Error> {
    end_by_hash(db, &session.token_hash).await
}

async fn end_by_hash(db: &Db, token_hash: &str) -> Result<(), sqlx::Error> {
    on_pool!(db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(p)
        .await?
        .rows_affected());
    Ok(())
}

/// Removes every session that has ended, by either clock. The server runs this every few minutes.
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2";
    let now = Utc::now();
    on_pool!(db, p => Ok(sqlx::query(SQL)
        .bind(now)
        .bind(now - IDLE_TIMEOUT)
        .execute(p)
        .await?
        .rows_affected()))
}

/// The value of a cookie the browser sent.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

/// The Set-Cookie value that gives the browser its session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        ABSOLUTE_TIMEOUT.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

/// The Set-Cookie value that takes the session cookie away.
pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The Set-Cookie value of the CSRF token of forms shown before sign-in.
pub fn anonymous_csrf_cookie(token: &str, secure: bool) -> String {
    format!(
        "{ANONYMOUS_CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of a field in a posted form.
pub fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

impl Session {
    /// Refuses a posted form whose CSRF token is not this session's.
    pub fn check_csrf(&self, form: &[(String, String)]) -> Result<(), PageError> {
        match field(form, CSRF_FIELD) {
            Some(token) if tokens_match(token, &self.csrf_token) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }

    /// Refuses unless the person has one of the roles.
    pub fn require(&self, roles: &[Role]) -> Result<&Actor, PageError> {
        if roles.contains(&self.actor.role) {
            Ok(&self.actor)
        } else {
            Err(PageError::Forbidden)
        }
    }
}

/// Refuses a form posted before sign-in whose token does not match its cookie.
pub fn check_anonymous_csrf(
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<(), PageError> {
    match (
        read_cookie(headers, ANONYMOUS_CSRF_COOKIE),
        field(form, CSRF_FIELD),
    ) {
        (Some(cookie), Some(token)) if tokens_match(&cookie, token) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

/// The path of the page a form was posted from, where the browser says it was a page of this site.
fn page_of_form(headers: &HeaderMap) -> Option<String> {
    let referer: axum::http::Uri = headers
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    let host = headers.get(axum::http::header::HOST)?.to_str().ok()?;
    if referer.authority()?.as_str() != host {
        return None;
    }
    super::safe_next(referer.path()).map(str::to_string)
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // After sign-in the browser comes back with a GET: to the page it asked for, but never to the
        // address a form was posted to, which is no page. A form goes back to the page it was on (the
        // `Referer` of this site), or else to the person's home page.
        let next = if parts.method == Method::GET || parts.method == Method::HEAD {
            parts.uri.path().to_string()
        } else {
            page_of_form(&parts.headers).unwrap_or_else(|| "/".to_string())
        };
        let Some(token) = read_cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        find(&state.db, &token)
            .await?
            .ok_or(PageError::SignIn { next })
    }
}

/// A session if there is one; pages anyone may see take this.
pub struct MaybeSession(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match read_cookie(&parts.headers, SESSION_COOKIE) {
            None => Ok(MaybeSession(None)),
            Some(token) => Ok(MaybeSession(find(&state.db, &token).await?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_read_by_name_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; etp_session=abc"));
        headers.append(COOKIE, HeaderValue::from_static("etp_csrf=xyz"));
        assert_eq!(
            read_cookie(&headers, SESSION_COOKIE).as_deref(),
            Some("abc")
        );
        assert_eq!(
            read_cookie(&headers, ANONYMOUS_CSRF_COOKIE).as_deref(),
            Some("xyz")
        );
        assert_eq!(read_cookie(&headers, "missing"), None);
    }

    #[test]
    fn the_session_cookie_is_http_only_and_same_site() {
        let cookie = session_cookie("t", false);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        assert!(!cookie.contains("Secure"));
        assert!(session_cookie("t", true).ends_with("; Secure"));
    }

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(tokens_match("abc", "abc"));
        assert!(!tokens_match("abc", "abd"));
        assert!(!tokens_match("abc", "abcd"));
    }
}
