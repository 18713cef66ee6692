//! The metrics' HTTP side: the layer that counts and times every request by its route template, and
//! `GET /metrics`, guarded by `ETP_METRICS_TOKEN` where one is set. The figures are `crate::metrics`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::bus::AppState;
use crate::config::Secret;
use crate::metrics::UNMATCHED;

/// The method as a label: the methods the service answers, and `other` for any other token a client
/// sends (so a client cannot make new series at will).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route template a request matched, or [`UNMATCHED`]. A nested router's fallback matches axum's own
/// catch-all template, which names no route of ours: that is unmatched too.
fn route_label(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(path) if !path.as_str().contains("__private__") => path.as_str().to_string(),
        _ => UNMATCHED.to_string(),
    }
}

/// The layer's function: counts every request by route template and status and times it.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = route_label(&request);
    let response = next.run(request).await;
    state
        .metrics
        .request_answered(method, route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics.token
        && !bearer_matches(&headers, token)
    {
        let refusal = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "send the metrics token (ETP_METRICS_TOKEN) as Authorization: Bearer <token>",
        );
        let mut response = refusal.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let text = match crate::metrics::exposition(&state.metrics, &state.db, &state.repo).await {
        Ok(text) => text,
        Err(error) => return ApiError::from(error).into_response(),
    };
    if accepts_openmetrics(&headers) {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            crate::metrics::prometheus_text(&text),
        )
            .into_response()
    }
}

/// Whether the request carries `Authorization: Bearer <token>`. The two are compared by their SHA-256, so
/// the time taken says nothing about how much of the token was right.
fn bearer_matches(headers: &HeaderMap, token: &Secret) -> bool {
    let Some(sent) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    Sha256::digest(sent.trim().as_bytes()) == Sha256::digest(token.expose().as_bytes())
}

/// Whether the scraper asks for OpenMetrics (Prometheus does); anything else gets Prometheus's own text
/// format, version 0.0.4.
fn accepts_openmetrics(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/openmetrics-text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_from_fixed_lists() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"MKQNAME").unwrap()),
            "other"
        );
    }

    #[test]
    fn the_token_is_checked_exactly() {
        let token = Secret::new("a metrics token for the unit test");
        let mut headers = HeaderMap::new();
        assert!(!bearer_matches(&headers, &token));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer a metrics token for the unit tes"),
        );
        assert!(!bearer_matches(&headers, &token));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer a metrics token for the unit test"),
        );
        assert!(bearer_matches(&headers, &token));
    }
}
