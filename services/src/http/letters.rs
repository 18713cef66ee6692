//! The letters issued to an applicant about the outcome of their application (`letters.rs`): read by the
//! applicant who owns it and by the staff who see whole cases.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use domain::Role;
use projections::access_log::Through;

use super::applications::{audience, load};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiPath, AuthUser};
use crate::bus::AppState;

/// Who may read the letters: the applicant (their own, else 404) and the staff who see whole cases. A
/// committee member is refused before the application is looked at.
const READERS: [Role; 3] = [
    Role::Applicant,
    Role::ProgrammeOfficer,
    Role::InformationOfficer,
];

#[derive(utoipa::OpenApi)]
#[openapi(paths(letters))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new().route("/applications/{id}/letters", get(letters))
}

pub use crate::letters::render_letter;

#[utoipa::path(
    get,
    path = "/applications/{id}/letters",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "The letters issued to the applicant, oldest first", body = Vec<schema::Letter>),
        (status = 403, description = "forbidden: only the owner, programme officers and information officers read letters", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or not one of yours", body = ErrorBody),
        (status = 410, description = "destroyed: its personal data was destroyed under the retention schedule", body = ErrorBody),
    ),
    description = "Who: the owner, programme officers and information officers. A letter is issued when a decision \
        (selected, reserve, unsuccessful) or an award is recorded, and emailed to the applicant where the \
        service has a mail server (`email`: `sent`, `pending`, `failed` with `email_failure`, or `not_sent` \
        where there is none).",
)]
async fn letters(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&READERS)?;
    let view = load(&state, &id).await?;
    if !audience(&state, actor, &view)
        .await?
        .view
        .shows(domain::access::Section::Letters)
    {
        return Err(ApiError::forbidden());
    }
    state
        .record_reads(&[view.id.as_str()], actor, Through::Api)
        .await?;
    Ok(Json(json!(
        view.letters.iter().map(render_letter).collect::<Vec<_>>()
    )))
}

/// The shapes of the answers, for the OpenAPI document only.
pub mod schema {
    #![allow(dead_code)]

    use chrono::{DateTime, Utc};
    use utoipa::ToSchema;

    /// Which outcome a letter tells of.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum LetterKindName {
        Selected,
        Reserve,
        Unsuccessful,
        Award,
    }

    /// Where a letter's email stands.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum LetterEmailName {
        /// The service has no mail server: the letter is shown here, not emailed.
        NotSent,
        Pending,
        Sent,
        Failed,
    }

    /// A letter to the applicant, as issued.
    #[derive(ToSchema)]
    pub struct Letter {
        id: String,
        kind: LetterKindName,
        subject: String,
        /// The letter, an HTML document.
        body: String,
        issued_at: DateTime<Utc>,
        email: LetterEmailName,
        emailed_at: Option<DateTime<Utc>>,
        /// Why the email failed, in words that name no one.
        email_failure: Option<String>,
    }
}
