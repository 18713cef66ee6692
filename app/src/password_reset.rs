//! A forgotten password, reset by a link: emailed to the account's address when asked for by email, or
//! issued by the Help Desk to read out where no mail server is configured.
//!
//! The link carries a random 256-bit token; the `password_resets` table keeps only its SHA-256, the account
//! and when it expires ([`LINK_LIFETIME`]). It is used once: the new password is set and the link removed in
//! one transaction, with every other link, session and token of the account. Asking for a link answers the
//! same whether or not the email has an account, and is throttled by email and by network
//! (docs/decisions/0010-password-reset-tokens.md). Neither the token nor the address is ever logged.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use projections::{Db, on_pool};

use crate::accounts;
use crate::auth;
use crate::bus::AppState;

/// How long a link sets a new password.
pub const LINK_LIFETIME: Duration = Duration::hours(1);
/// Links asked for one email address in an hour before each further request waits a doubling time.
pub const REQUESTS_PER_EMAIL: i64 = 3;
/// Links asked for from one network address in an hour before the back-off.
pub const REQUESTS_PER_ADDRESS: i64 = 20;
/// The subject of the email that carries a link.
pub const SUBJECT: &str = "EtP Scholarships: reset your password";

/// A random token, as 64 hex digits.
fn new_token() -> String {
    use rand::RngExt;
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    hex::encode(bytes)
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The path of the page a token opens.
pub fn path_of(token: &str) -> String {
    format!("/password-reset/{token}")
}

/// A new link for the account: its token, which only the link holds.
pub async fn issue(db: &Db, user_id: &str) -> Result<String, sqlx::Error> {
    const SQL: &str = "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
                       VALUES ($1, $2, $3, $4)";
    let token = new_token();
    let now = Utc::now();
    on_pool!(db, p => sqlx::query(SQL)
        .bind(hash(&token))
        .bind(user_id)
        .bind(now)
        .bind(now + LINK_LIFETIME)
        .execute(p)
        .await?
        .rows_affected());
    Ok(token)
}

/// The account a token still opens: `None` when the link was used, has expired or never was.
pub async fn account_of(db: &Db, token: &str) -> Result<Option<String>, sqlx::Error> {
    if !is_plausible(token) {
        return Ok(None);
    }
    const SQL: &str = "SELECT user_id, expires_at FROM password_resets WHERE token_hash = $1";
    let row: Option<(String, DateTime<Utc>)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(hash(token)).fetch_optional(p).await?);
    Ok(row
        .filter(|(_, expires_at)| Utc::now() < *expires_at)
        .map(|(user_id, _)| user_id))
}

/// 64 hex digits, as every token is made.
fn is_plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a link did not set a password.
#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Used already, expired, or never issued.
    #[error("the link has expired or was used already")]
    Expired,
    /// The new password breaks the rule (`accounts::new_password_problem`).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Busy(#[from] auth::Busy),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Sets the account's new password with a link, once: the link is taken out of the table in the
/// transaction that sets the password (of two uses at once, one finds it gone), and with it every other link,
/// session and token of the account. Answers the account's id.
pub async fn reset(db: &Db, token: &str, new_password: &str) -> Result<String, ResetError> {
    if account_of(db, token).await?.is_none() {
        return Err(ResetError::Expired);
    }
    if let Some(problem) = accounts::new_password_problem(new_password) {
        return Err(ResetError::Invalid(problem));
    }
    let password_hash = auth::hashed(new_password.to_string()).await?;
    const TAKE: &str =
        "DELETE FROM password_resets WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id";
    const ACCOUNT: &str = "UPDATE accounts SET password_hash = $1, \
                           credentials_version = credentials_version + 1 WHERE id = $2";
    const SESSIONS: &str = "DELETE FROM sessions WHERE user_id = $1";
    const OTHERS: &str = "DELETE FROM password_resets WHERE user_id = $1";
    let user_id: Option<String> = on_pool!(db, p => {
        let mut tx = p.begin().await?;
        let user_id: Option<String> = sqlx::query_scalar(TAKE)
            .bind(hash(token))
            .bind(Utc::now())
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(user_id) = &user_id {
            sqlx::query(ACCOUNT).bind(&password_hash).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(SESSIONS).bind(user_id).execute(&mut *tx).await?;
            sqlx::query(OTHERS).bind(user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        user_id
    });
    user_id.ok_or(ResetError::Expired)
}

/// Removes the links that have expired. The server runs this every few minutes.
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM password_resets WHERE expires_at <= $1";
    on_pool!(db, p => sqlx::query(SQL).bind(Utc::now()).execute(p).await.map(|done| done.rows_affected()))
}

/// What became of a request for a link, as far as the asker may know.
#[derive(Debug, PartialEq, Eq)]
pub enum Requested {
    /// Heard: a link was emailed if the address has an account and a mail server is configured. The
    /// answer is the same either way.
    Heard,
    /// Too many requests for this email or from this network: wait this many seconds.
    Throttled { retry_after: u64 },
}

/// Hears a request for a link to the account of `email`. Counted against the email and the network
/// first (an unknown email exactly as a known one); then, if the email has an account and mail is
/// configured, a link is issued and emailed off the request path, so the answer takes as long either way.
pub async fn request(
    state: &AppState,
    email: &str,
    address: Option<IpAddr>,
) -> Result<Requested, sqlx::Error> {
    let email_key = accounts::normalise_email(email)
        .unwrap_or_else(|_| projections::db::clean_text(email).trim().to_lowercase());
    let network = address.map(crate::throttle::network_of);
    let mut counts = vec![("password_reset", email_key.as_str(), REQUESTS_PER_EMAIL)];
    if let Some(network) = &network {
        counts.push((
            "password_reset_address",
            network.as_str(),
            REQUESTS_PER_ADDRESS,
        ));
    }
    if let Err(retry_after) = state.throttle.limit(&state.db, &counts).await? {
        return Ok(Requested::Throttled { retry_after });
    }
    let Some(mailer) = state.mailer.clone() else {
        return Ok(Requested::Heard);
    };
    let Some(account) = accounts::find_by_email(&state.db, &email_key).await? else {
        return Ok(Requested::Heard);
    };
    let token = issue(&state.db, &account.id).await?;
    send_link(mailer, account.email, link_of(state, &token));
    Ok(Requested::Heard)
}

/// The whole address of the page a token opens, for an email or the Help Desk to give.
pub fn link_of(state: &AppState, token: &str) -> String {
    format!("{}{}", state.public_url, path_of(token))
}

/// Emails a link to the account's address, off the request path; a failure is logged with its reason,
/// which names no one.
pub fn send_link(mailer: std::sync::Arc<crate::letters::Mailer>, to: String, link: String) {
    tokio::spawn(async move {
        if let Err(reason) = mailer.send_text(&to, SUBJECT, &email_text(&link)).await {
            tracing::warn!(reason = %reason, "a password reset link could not be emailed");
        }
    });
}

/// The email that carries a link.
pub fn email_text(link: &str) -> String {
    format!(
        "Someone asked to reset the password of the EtP Scholarships account that uses this email address.\n\
         \n\
         To choose a new password, open this link within {} hour:\n\
         \n\
         {link}\n\
         \n\
         The link works once. If you did not ask for it, you can ignore this email: your password has not \
         changed.\n",
        LINK_LIFETIME.num_hours()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_only_their_hash_is_kept() {
        let token = new_token();
        assert!(is_plausible(&token));
        assert_ne!(token, new_token());
        assert_ne!(hash(&token), token);
        assert!(!is_plausible("not a token"));
    }

    #[test]
    fn the_email_carries_the_link_and_how_long_it_works() {
        let text = email_text("https://apply.example.test/password-reset/abc");
        assert!(text.contains("https://apply.example.test/password-reset/abc"));
        assert!(text.contains("within 1 hour"));
    }
}
