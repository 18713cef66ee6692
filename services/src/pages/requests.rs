//! The information officer's desk: FOI, subject access and other rights requests, ordered by due date with
//! overdue ones first, each with its clock and its response.
//!
//! Requests are not yet recorded by the system, so the list is empty and no request can be opened; the
//! page says so and points to what the officer can already do.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use domain::Role;

use super::{Page, PageError, PagePath, Session};
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(requests))
        .route("/requests/{id}", get(request))
}

async fn requests(State(_state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    let requests: Vec<serde_json::Value> = Vec::new();
    Ok(
        Page::new("requests", "Information requests", Some(&session))
            .data(json!({ "requests": requests }))
            .into_response(),
    )
}

async fn request(session: Session, PagePath(_id): PagePath<String>) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    Err(PageError::NotFound)
}
