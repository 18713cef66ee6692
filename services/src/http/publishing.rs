//! The section "Projections that publish" of CONTRACT.md: the lists the programme publishes or shares, each
//! without the people who opted out of it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use domain::application::Status;
use domain::{Actor, Role};
use projections::{application_view, publishing};

use super::error::ApiError;
use super::extract::AuthUser;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scholars/directory", get(directory))
        .route("/alumni/networking-scheme", get(networking_scheme))
        .route("/alumni/open-book", get(open_book))
        .route("/media/consents", get(media_consents))
}

/// Programme officers, and scholars whose award is current (the lists are for networking among scholars).
async fn officer_or_current_scholar(state: &AppState, actor: &Actor) -> Result<(), ApiError> {
    match actor.role {
        Role::ProgrammeOfficer => Ok(()),
        Role::Applicant => {
            let own = application_view::list_for_applicant(&state.db, &actor.user_id).await?;
            if own.iter().any(|view| view.status == Status::Awarded) {
                Ok(())
            } else {
                Err(ApiError::forbidden())
            }
        }
        _ => Err(ApiError::forbidden()),
    }
}

async fn directory(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Value>, ApiError> {
    officer_or_current_scholar(&state, &actor).await?;
    Ok(Json(json!(publishing::scholar_directory(&state.db).await?)))
}

async fn networking_scheme(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Value>, ApiError> {
    officer_or_current_scholar(&state, &actor).await?;
    Ok(Json(json!(publishing::networking_scheme(&state.db).await?)))
}

/// The Alumni Open Book is public.
async fn open_book(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(publishing::open_book(&state.db).await?)))
}

async fn media_consents(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer])?;
    Ok(Json(json!(publishing::media_consents(&state.db).await?)))
}
