//! Extractors whose refusals are our error shape: JSON bodies and the signed-in person.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use domain::{Actor, Role};

use super::error::ApiError;
use crate::bus::AppState;

/// A JSON body. A body that is not JSON, not of the expected shape, too large or not sent as JSON is
/// refused with our error shape, never axum's plain text.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request body as JSON, with Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    payload_too_large()
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        rejection.body_text(),
                    )
                }
            })?;
        if contains_nul(&bytes) {
            return Err(ApiError::invalid_field(
                "body",
                "text must not contain the NUL character",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out: no body at all (or only white space) is `None`; a body that is sent is
/// read as [`ApiJson`] reads it, and refused the same way.
pub struct OptionalApiJson<T>(pub Option<T>);

impl<T, S> FromRequest<S> for OptionalApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = is_json(req.headers());
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    payload_too_large()
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_request",
                        rejection.body_text(),
                    )
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalApiJson(None));
        }
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request body as JSON, with Content-Type: application/json",
            ));
        }
        if contains_nul(&bytes) {
            return Err(ApiError::invalid_field(
                "body",
                "text must not contain the NUL character",
            ));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(OptionalApiJson(Some(value))),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Whether the request says its body is JSON (`application/json`, or a `+json` type).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|mime| {
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// Whether a JSON text holds the escape of the NUL character (`\u0000`) inside a string: no database
/// column can store it, so it is refused at the door.
fn contains_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(i, window)| {
        window.eq_ignore_ascii_case(b"\\u0000") && {
            let backslashes = json[..=i].iter().rev().take_while(|b| **b == b'\\').count();
            backslashes % 2 == 1
        }
    })
}

/// A value from the path. One that cannot be read (not UTF-8, not the expected type) names nothing:
/// 404 `not_found`.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|_| ApiError::not_found())
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(error) => {
            // serde's sentence names the path and what was expected ("missing field `cycle`").
            let detail = error.body_text();
            let detail = detail
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&detail);
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("the request body does not have the expected fields: {detail}"),
            )
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "the request body is not valid JSON",
        ),
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the request body as JSON, with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(rejection)
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            payload_too_large()
        }
        other => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", other.body_text()),
    }
}

pub fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "the request body is too large",
    )
}

/// The person a valid bearer token stands for. Anything else is refused with 401 `unauthenticated`: no
/// token, a malformed, forged or expired one, one signed out, one issued before the account's password
/// changed, or one whose account is gone or has another role now.
pub struct AuthUser(pub Actor);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        BearerToken::from_request_parts(parts, state)
            .await
            .map(|token| AuthUser(token.0.actor))
    }
}

/// A current bearer token, with what it says (its id and expiry, for signing out).
pub struct BearerToken(pub crate::auth::Verified);

impl FromRequestParts<AppState> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(ApiError::unauthenticated)?;
        let (scheme, token) = header
            .split_once(' ')
            .ok_or_else(ApiError::unauthenticated)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(ApiError::unauthenticated());
        }
        let verified = state
            .tokens
            .verify(token.trim())
            .ok_or_else(ApiError::unauthenticated)?;
        let current = state
            .standings
            .is_current(
                &state.db,
                &verified.actor.user_id,
                verified.actor.role,
                verified.version,
                &verified.jti,
            )
            .await?;
        if current {
            Ok(BearerToken(verified))
        } else {
            Err(ApiError::unauthenticated())
        }
    }
}

/// The network address a request came from, where the server knows it.
pub fn peer_address(parts_extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    parts_extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The client a request comes from: the connection's peer, unless the peer is a trusted reverse proxy
/// (`ETP_TRUSTED_PROXIES`); then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy
/// (read from the right, as each proxy appends the address it was reached from; what is left of that is
/// the client's own say and not believed).
pub fn client_address(
    trusted: &[ipnet::IpNet],
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> Option<std::net::IpAddr> {
    let peer = peer_address(extensions)?;
    let is_trusted = |address: &std::net::IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map_while(|entry| entry.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|address| !is_trusted(address))
            .unwrap_or(peer),
    )
}

impl AuthUser {
    /// Refuses with 403 unless the person has one of the roles.
    pub fn require(&self, roles: &[Role]) -> Result<&Actor, ApiError> {
        if roles.contains(&self.0.role) {
            Ok(&self.0)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// A query string. One that does not parse (`?min_score=high`) is refused with 422 `invalid` in our shape.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| ApiQuery(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    format!("the query string is not valid: {}", rejection.body_text()),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::contains_nul;

    #[test]
    fn the_nul_escape_is_found_only_where_it_is_one() {
        assert!(contains_nul(br#"{"a": "x\u0000y"}"#));
        assert!(
            !contains_nul(br#"{"a": "\\u0000"}"#),
            "an escaped backslash followed by u0000 is text"
        );
        assert!(contains_nul(br#"{"a": "\\\u0000"}"#));
        assert!(!contains_nul(br#"{"a": "u0000"}"#));
    }
}

#[cfg(test)]
mod client_address_tests {
    use std::net::{IpAddr, SocketAddr};

    use axum::extract::ConnectInfo;
    use axum::http::{Extensions, HeaderMap, HeaderValue};

    use super::client_address;
    use crate::config::parse_trusted_proxies;

    fn from(peer: &str, forwarded: &[&str]) -> (HeaderMap, Extensions) {
        let mut extensions = Extensions::new();
        let peer: IpAddr = peer.parse().unwrap();
        extensions.insert(ConnectInfo(SocketAddr::new(peer, 40000)));
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        (headers, extensions)
    }

    fn client(trusted: &str, peer: &str, forwarded: &[&str]) -> String {
        let trusted = parse_trusted_proxies(trusted).unwrap();
        let (headers, extensions) = from(peer, forwarded);
        client_address(&trusted, &headers, &extensions)
            .unwrap()
            .to_string()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        assert_eq!(client("", "198.51.100.4", &["203.0.113.7"]), "198.51.100.4");
    }

    #[test]
    fn a_trusted_proxy_names_the_client_the_nearest_untrusted_address_from_the_right() {
        assert_eq!(
            client("10.0.0.5", "10.0.0.5", &["203.0.113.7"]),
            "203.0.113.7"
        );
        // What the client wrote itself, left of what the proxy saw, is not believed.
        assert_eq!(
            client("10.0.0.5", "10.0.0.5", &["192.0.2.1, 203.0.113.7"]),
            "203.0.113.7"
        );
        // Proxies behind proxies, in a trusted network; one header line per hop.
        assert_eq!(
            client("10.0.0.0/24", "10.0.0.5", &["203.0.113.7", "10.0.0.9"]),
            "203.0.113.7"
        );
        // No header, or nothing readable in it: the proxy itself.
        assert_eq!(client("10.0.0.5", "10.0.0.5", &[]), "10.0.0.5");
        assert_eq!(
            client("10.0.0.5", "10.0.0.5", &["not an address"]),
            "10.0.0.5"
        );
        // A peer that is not a trusted proxy is the client, even with the header.
        assert_eq!(client("10.0.0.5", "10.0.0.6", &["203.0.113.7"]), "10.0.0.6");
    }

    #[test]
    fn the_setting_takes_addresses_and_networks_and_refuses_anything_else() {
        assert_eq!(
            parse_trusted_proxies("10.0.0.5, 10.0.1.0/24 ,::1")
                .unwrap()
                .len(),
            3
        );
        assert!(parse_trusted_proxies("").unwrap().is_empty());
        assert!(parse_trusted_proxies("10.0.0.300").is_err());
        assert!(parse_trusted_proxies("proxy.example.test").is_err());
    }
}
