//! `Idempotency-Key` on the API's creating requests: a client that sends the same key again within
//! [`KEPT_FOR`] (after a timeout, a dropped connection or a 503) is given the first answer, and nothing is
//! made twice.
//!
//! One middleware, on the routes of [`CREATING`], before the handler: the key is scoped to who sends it
//! (the token's account, or the network of a request without one), the method and the path, and kept with
//! a hash of the body (`idempotency_keys`, migration 0018). The first request with a key claims it; a
//! second one while the first is still being answered gets 409 `idempotency_key_in_use` (retry after a
//! second); once answered, the same request gets the stored answer with `Idempotent-Replayed: true`, and
//! the same key with another body 422 `idempotency_key_reused`. A 5xx answer is not kept (the key is
//! released so the retry runs), so a handler answers a 5xx only when nothing was committed. The answers
//! kept are those of the routes listed, which hold identifiers and deadlines, never personal data.

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use projections::{Db, on_pool};

use super::error::ApiError;
use crate::bus::AppState;

/// The header a client sends.
pub const HEADER: &str = "idempotency-key";
/// How long a key's answer is kept.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// A key claimed this long ago and still unanswered was abandoned (its request died): it may be claimed
/// again.
const ABANDONED_AFTER: Duration = Duration::minutes(2);
/// The longest answer kept; a longer one is answered but not kept.
const LONGEST_ANSWER: usize = 64 * 1024;

/// The creating routes (`POST`) under `/api` that take an `Idempotency-Key`.
pub const CREATING: [&str; 5] = [
    "/applications",
    "/information-requests",
    "/recipients",
    "/calendar/holidays",
    "/auth/register",
];

/// A key: 1 to 200 visible ASCII characters (a UUID, say).
fn plausible(key: &str) -> bool {
    (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The middleware; see the module's documentation.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string());
    let creating = request.method() == Method::POST
        && route
            .as_deref()
            .is_some_and(|route| CREATING.contains(&route.strip_prefix("/api").unwrap_or(route)));
    let Some(key) = request.headers().get(HEADER).filter(|_| creating) else {
        return next.run(request).await;
    };
    let Some(key) = key.to_str().ok().filter(|key| plausible(key)) else {
        return ApiError::invalid_field(
            "Idempotency-Key",
            "must be 1 to 200 visible ASCII characters, such as a UUID",
        )
        .into_response();
    };
    let who = who(&state, &request);
    let scope = hash(&[
        who.as_bytes(),
        request.method().as_str().as_bytes(),
        request.uri().path().as_bytes(),
        key.as_bytes(),
    ]);
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, super::BODY_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is too large",
        )
        .into_response();
    };
    let fingerprint = hash(&[&bytes]);
    match claim(&state.db, &scope, &fingerprint).await {
        Ok(Claim::Claimed) => {}
        Ok(Claim::Answered(kept)) if kept.fingerprint != fingerprint => {
            return reused();
        }
        Ok(Claim::Answered(kept)) => return kept.replay(),
        Ok(Claim::InProgress) => return in_use(),
        Err(error) => return ApiError::from(error).into_response(),
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() {
        release(&state.db, &scope).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(answer) = axum::body::to_bytes(body, LONGEST_ANSWER).await else {
        release(&state.db, &scope).await;
        return ApiError::internal("an answer too long to keep for its idempotency key")
            .into_response();
    };
    let header_text = |name| {
        parts
            .headers
            .get(name)
            .and_then(|value: &HeaderValue| value.to_str().ok())
            .map(str::to_string)
    };
    let kept = Kept {
        fingerprint,
        status: status.as_u16(),
        content_type: header_text(header::CONTENT_TYPE),
        location: header_text(header::LOCATION),
        body: answer.to_vec(),
    };
    if let Err(error) = keep(&state.db, &scope, &kept).await {
        // The record was made and its answer is sent; only a retry with the key would not find it.
        tracing::warn!(cause = %error, "an idempotency key's answer could not be kept");
    }
    Response::from_parts(parts, Body::from(answer))
}

/// Who sends the request: the account of a valid token, else the client's network.
fn who(state: &AppState, request: &Request) -> String {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .and_then(|token| state.tokens.verify(token.trim()));
    match token {
        Some(verified) => format!("account:{}", verified.actor.user_id),
        None => {
            let address = super::extract::client_address(
                &state.trusted_proxies,
                request.headers(),
                request.extensions(),
            );
            format!(
                "network:{}",
                address.map(crate::throttle::network_of).unwrap_or_default()
            )
        }
    }
}

fn hash(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

fn reused() -> Response {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was sent with another request; use a new key for a new request",
    )
    .into_response()
}

fn in_use() -> Response {
    ApiError::new(
        StatusCode::CONFLICT,
        "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being answered; try again in a moment",
    )
    .with("retry_after", 1)
    .into_response()
}

/// A kept answer.
struct Kept {
    fingerprint: String,
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    body: Vec<u8>,
}

impl Kept {
    fn replay(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CONTENT_TYPE, self.content_type),
            (header::LOCATION, self.location),
        ] {
            if let Some(value) = value.and_then(|value| HeaderValue::from_str(&value).ok()) {
                headers.insert(name, value);
            }
        }
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        response
    }
}

enum Claim {
    Claimed,
    InProgress,
    Answered(Kept),
}

type Row = (
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

/// Claims the key, or says who has it: the first claim inserts the row; a key older than [`KEPT_FOR`],
/// or claimed and never answered for [`ABANDONED_AFTER`], is claimed afresh.
async fn claim(db: &Db, scope: &str, fingerprint: &str) -> Result<Claim, sqlx::Error> {
    const EXPIRED: &str = "DELETE FROM idempotency_keys WHERE scope = $1 \
                           AND (created_at < $2 OR (status IS NULL AND created_at < $3))";
    const INSERT: &str = "INSERT INTO idempotency_keys (scope, fingerprint, created_at) \
                          VALUES ($1, $2, $3) ON CONFLICT (scope) DO NOTHING";
    const READ: &str = "SELECT fingerprint, status, content_type, location, body \
                        FROM idempotency_keys WHERE scope = $1";
    let now = Utc::now();
    on_pool!(db, p => {
        sqlx::query(EXPIRED).bind(scope).bind(now - KEPT_FOR).bind(now - ABANDONED_AFTER)
            .execute(p).await?;
        let inserted = sqlx::query(INSERT).bind(scope).bind(fingerprint).bind(now)
            .execute(p).await?.rows_affected();
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        let row: Option<Row> = sqlx::query_as(READ).bind(scope).fetch_optional(p).await?;
        Ok(match row {
            // Released between the insert and the read: the client may send it again.
            None => Claim::InProgress,
            Some((_, None, ..)) => Claim::InProgress,
            Some((fingerprint, Some(status), content_type, location, body)) => Claim::Answered(Kept {
                fingerprint,
                status: u16::try_from(status).unwrap_or(200),
                content_type,
                location,
                body: body.unwrap_or_default(),
            }),
        })
    })
}

async fn keep(db: &Db, scope: &str, kept: &Kept) -> Result<(), sqlx::Error> {
    const SQL: &str = "UPDATE idempotency_keys SET status = $2, content_type = $3, location = $4, \
                       body = $5 WHERE scope = $1";
    on_pool!(db, p => sqlx::query(SQL)
        .bind(scope)
        .bind(i64::from(kept.status))
        .bind(kept.content_type.as_deref())
        .bind(kept.location.as_deref())
        .bind(kept.body.as_slice())
        .execute(p).await?.rows_affected());
    Ok(())
}

/// Lets the key be claimed again: its request failed on our side and made nothing.
async fn release(db: &Db, scope: &str) {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE scope = $1 AND status IS NULL";
    let released = on_pool!(db, p => sqlx::query(SQL).bind(scope).execute(p).await.map(|done| done.rows_affected()));
    if let Err(error) = released {
        tracing::warn!(cause = %error, "an idempotency key could not be released");
    }
}

/// Forgets the answers kept longer than [`KEPT_FOR`].
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE created_at < $1";
    on_pool!(db, p => sqlx::query(SQL).bind(Utc::now() - KEPT_FOR)
        .execute(p).await.map(|done| done.rows_affected()))
}
