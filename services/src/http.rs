//! The HTTP service: the JSON API under `/api`, health, and the layers every request passes through.

pub mod applications;
pub mod auth_routes;
pub mod award;
pub mod calendar;
pub mod cycles;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod letters;
pub mod metrics;
pub mod openapi;
pub mod publishing;
pub mod requests;
pub mod retention;
pub mod sharing;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::bus::AppState;
use error::ApiError;

/// The largest request body accepted: a whole application form is well under this.
pub const BODY_LIMIT: usize = 256 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The whole service, ready to serve. Tests drive this same router.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(auth_routes::router())
        .merge(applications::router())
        .merge(award::router())
        .merge(letters::router())
        .merge(sharing::router())
        .merge(publishing::router())
        .merge(retention::router())
        .merge(calendar::router())
        .merge(cycles::router())
        .merge(requests::router())
        .route("/openapi.json", get(openapi::serve))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::layer,
        ))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::serve))
        .nest("/api", api)
        .merge(crate::pages::router())
        .fallback(page_not_found)
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Pages and answers hold personal data: nothing is kept in a shared computer's cache.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(axum::middleware::from_fn_with_state(state, metrics::record))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The span of one request: its method, the route it matched (the template, `/api/applications/{id}`,
/// never the address as sent: a query string may hold a name searched for, and the log holds no personal
/// data) and its request id, which the answer carries back as `x-request-id`.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("unmatched");
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|id| projections::db::is_plausible_id(id))
        .unwrap_or("");
    tracing::info_span!("request", method = %request.method(), route, request_id = id)
}

/// Scripts, styles and images only from this site; no framing, no plugins, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// An unknown address: JSON under `/api`, a page anywhere else.
async fn page_not_found(uri: axum::http::Uri) -> Response {
    if uri.path() == "/api" || uri.path().starts_with("/api/") {
        api_not_found().await.into_response()
    } else {
        crate::pages::PageError::NotFound.into_response()
    }
}

/// Liveness: the process is up and answering. It asks nothing of the store, so a load balancer or
/// supervisor that restarts on its failure does not restart every instance when the database is away.
async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for the store before it says the store cannot be reached.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// Readiness: 200 `{"status":"ready"}` when the store answers and has every migration this binary knows;
/// otherwise 503 `not_ready` saying which, with `Retry-After`. A load balancer sends traffic only to an
/// instance that is ready (docs/operations.md).
async fn readyz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let checked = tokio::time::timeout(
        READY_TIMEOUT,
        crate::store::open::migrations_current(&state.db),
    )
    .await;
    let problem = match checked {
        Ok(Ok(true)) => {
            return axum::Json(serde_json::json!({"status": "ready"})).into_response();
        }
        Ok(Ok(false)) => "the store's migrations are not current: run etp migrate",
        Ok(Err(error)) => {
            tracing::warn!(cause = %error, "not ready: the store cannot be reached");
            "the store cannot be reached"
        }
        Err(_) => {
            tracing::warn!("not ready: the store did not answer in time");
            "the store cannot be reached"
        }
    };
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", problem).into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

async fn api_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such route")
}

/// A panic is a bug of ours: the client gets our error shape, the log gets the fact (not the payload).
fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}
