//! The section "Projections that publish" of CONTRACT.md: the lists the programme publishes or shares, each
//! without the people who opted out of it.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use domain::application::Status;
use domain::{Actor, Role};
use projections::{application_view, publishing};

use super::error::{ApiError, ErrorBody};
use super::extract::AuthUser;
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(directory, networking_scheme, open_book, media_consents,))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/scholars/directory", get(directory))
        .route("/alumni/networking-scheme", get(networking_scheme))
        .route("/alumni/open-book", get(open_book))
        .route("/media/consents", get(media_consents))
}

/// The lists, as the OpenAPI document gives them.
mod schema {
    #![allow(dead_code)]

    use utoipa::ToSchema;

    /// A current scholar who did not opt out of networking.
    #[derive(ToSchema)]
    pub struct Scholar {
        application_id: String,
        full_name: String,
        institution: String,
        course: String,
        country: String,
    }

    /// An alumnus who did not opt out of the alumni emails.
    #[derive(ToSchema)]
    pub struct NetworkingMember {
        application_id: String,
        full_name: String,
        email: String,
        institution: String,
        course: String,
        country: String,
    }

    /// An alumnus who did not opt out of the Alumni Open Book.
    #[derive(ToSchema)]
    pub struct OpenBookEntry {
        full_name: String,
        subject: String,
        institution: String,
        level: String,
        outcome: String,
        year: i64,
        country: String,
    }

    /// An award holder or alumnus who did not opt out of images.
    #[derive(ToSchema)]
    pub struct Consent {
        application_id: String,
        full_name: String,
    }
}

/// Programme officers, and scholars whose award is current (the lists are for networking among scholars).
async fn officer_or_current_scholar(state: &AppState, actor: &Actor) -> Result<(), ApiError> {
    match actor.role {
        Role::ProgrammeOfficer => Ok(()),
        Role::Applicant => {
            let own = application_view::list_for_applicant(&state.db, &state.repo, &actor.user_id)
                .await?;
            if own.iter().any(|view| view.status == Status::Awarded) {
                Ok(())
            } else {
                Err(ApiError::forbidden())
            }
        }
        _ => Err(ApiError::forbidden()),
    }
}

#[utoipa::path(
    get,
    path = "/scholars/directory",
    tag = "publishing",
    responses(
        (status = 200, description = "Current scholars, without those who opted out of networking", body = Vec<schema::Scholar>),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: programme_officer; applicants whose award is current.",
)]
async fn directory(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Value>, ApiError> {
    officer_or_current_scholar(&state, &actor).await?;
    Ok(Json(json!(publishing::scholar_directory(&state.db).await?)))
}

#[utoipa::path(
    get,
    path = "/alumni/networking-scheme",
    tag = "publishing",
    responses(
        (status = 200, description = "Alumni, without those who opted out of alumni emails", body = Vec<schema::NetworkingMember>),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: programme_officer; applicants whose award is current.",
)]
async fn networking_scheme(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Value>, ApiError> {
    officer_or_current_scholar(&state, &actor).await?;
    Ok(Json(json!(publishing::networking_scheme(&state.db).await?)))
}

/// The Alumni Open Book is public.
#[utoipa::path(
    get,
    path = "/alumni/open-book",
    tag = "publishing",
    security(()),
    responses(
        (status = 200, description = "Alumni, without those who opted out of the book", body = Vec<schema::OpenBookEntry>),
    ),
    description = "Who: anyone, without a token.",
)]
async fn open_book(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(publishing::open_book(&state.db).await?)))
}

#[utoipa::path(
    get,
    path = "/media/consents",
    tag = "publishing",
    responses(
        (status = 200, description = "Award holders and alumni, without those who opted out of images", body = Vec<schema::Consent>),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn media_consents(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer])?;
    Ok(Json(json!(publishing::media_consents(&state.db).await?)))
}
