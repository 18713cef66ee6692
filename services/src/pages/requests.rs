//! The information officer's desk: FOI, subject access and other rights requests, ordered by due date with
//! overdue ones first, and one request with its clock.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

use domain::Role;
use projections::information_requests;

use super::{Page, PageError, PagePath, Session};
use crate::app::AppState;
use crate::http::requests::{ordered, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(requests))
        .route("/requests/{id}", get(request))
}

async fn requests(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    let requests = ordered(&state).await?;
    Ok(
        Page::new("requests", "Information requests", Some(&session))
            .data(json!({ "requests": requests }))
            .into_response(),
    )
}

async fn request(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    let view = information_requests::find(&state.db, &id)
        .await?
        .ok_or(PageError::NotFound)?;
    let calendar = projections::calendar::working_days(&state.db).await?;
    let request = render(&view, &calendar, Utc::now().date_naive());
    Ok(Page::new("request", "Information request", Some(&session))
        .data(json!({ "request": request }))
        .into_response())
}
