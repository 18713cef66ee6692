//! Retention for the information officer: what falls due when, what was destroyed, what is held; and the
//! legal holds that keep a record from being destroyed.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use projections::retention;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, AuthUser};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(overview, place_hold, lift_hold, restrict, lift_restriction,))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/retention", get(overview))
        .route(
            "/applications/{id}/hold",
            post(place_hold).delete(lift_hold),
        )
        .route("/applications/{id}/restriction", post(restrict))
        .route(
            "/applications/{id}/restriction/lift",
            post(lift_restriction),
        )
}

/// What this module answers, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::NaiveDate;
    use serde_json::Value;
    use utoipa::ToSchema;

    /// The retention schedule as of today.
    #[derive(ToSchema)]
    pub struct Overview {
        as_of: NaiveDate,
        /// Records past their date, to be destroyed by the next sweep (unless held).
        overdue: Vec<Value>,
        /// The next records to fall due, soonest first.
        upcoming: Vec<Value>,
        /// Every hold that stands: legal holds (`kind` `legal_hold`, with `placed_by` and `placed_at`) and
        /// the holds of open information requests about the person (`kind` `information_request`, with
        /// `request`: its id, kind, `received_on`, `statutory_due_on`, `past_statutory_date` and the number
        /// of `records` it holds). Each has `aggregate_type`, `aggregate_id`, `reason`, `since` (the day it
        /// was placed, or the request received) and `age_days`.
        held: Vec<Value>,
        /// The open requests past their statutory date that still hold records, each with `id`, `kind`,
        /// `received_on`, `statutory_due_on`, `days_past` and `records`: a request forgotten open would keep
        /// data for ever.
        requests_past_statutory_date: Vec<Value>,
        /// The records the sweeps could not destroy and are trying again: `aggregate_type`, `aggregate_id`,
        /// `rule`, `source` (`schedule`, `ledger`, `account`), `cause`, `first_failed_at`,
        /// `last_failed_at`, `attempts`.
        failures: Vec<Value>,
        /// The latest records destroyed, from the ledger.
        destroyed: Vec<Value>,
        /// Every cycle with applications, the latest first: `cycle`, `concluded_on` and
        /// `concluded_automatically` (`null` while not concluded), and `automatic_conclusion_on`, the day the
        /// sweep concludes it if nobody has (31 December of its second year).
        cycles: Vec<Value>,
    }

    #[derive(ToSchema)]
    pub struct Hold {
        application_id: String,
        held: bool,
    }

    #[derive(ToSchema)]
    pub struct Restriction {
        application_id: String,
        restricted: bool,
    }
}

#[utoipa::path(
    get,
    path = "/retention",
    tag = "retention",
    responses(
        (status = 200, description = "The schedule", body = schema::Overview),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn overview(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::InformationOfficer])?;
    let today = Utc::now().date_naive();
    let held = crate::retention::standing_holds(&state, today)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(json!({
        "as_of": today,
        "overdue": retention::due_by(&state.db, today).await?,
        "upcoming": retention::upcoming(&state.db, today, 200).await?,
        "requests_past_statutory_date": crate::retention::requests_past_statutory_date(&held, today),
        "held": held,
        "failures": retention::failures(&state.db).await?,
        "destroyed": retention::destroyed(&state.db, 200).await?,
        "cycles": crate::conclusion::cycles(&state).await?,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct HoldBody {
    reason: String,
}

/// A legal hold: the application is not destroyed, whatever the schedule says, until the hold is lifted.
#[utoipa::path(
    post,
    path = "/applications/{id}/hold",
    tag = "retention",
    params(("id" = String, Path, description = "The application id")),
    request_body = HoldBody,
    responses(
        (status = 201, description = "Held", body = schema::Hold),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn place_hold(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<HoldBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::invalid_field(
            "reason",
            "say why, in at most 500 characters",
        ));
    }
    if projections::application_view::find(&state.db, &state.repo, &id)
        .await?
        .is_none()
    {
        return Err(
            if retention::is_destroyed(&state.db, "Application", &id).await? {
                ApiError::destroyed()
            } else {
                ApiError::not_found()
            },
        );
    }
    retention::place_hold(&state.db, "Application", &id, reason, &actor.user_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "application_id": id, "held": true })),
    ))
}

#[utoipa::path(
    delete,
    path = "/applications/{id}/hold",
    tag = "retention",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Lifted", body = schema::Hold),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found: no hold on it", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn lift_hold(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::InformationOfficer])?;
    if !retention::lift_hold(&state.db, "Application", &id).await? {
        return Err(ApiError::not_found());
    }
    Ok(Json(json!({ "application_id": id, "held": false })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RestrictionBody {
    reason: String,
    /// The restriction request this answers, if any.
    request_id: Option<String>,
}

/// Processing is restricted at the applicant's request: the case does not move until it is lifted.
#[utoipa::path(
    post,
    path = "/applications/{id}/restriction",
    tag = "retention",
    params(("id" = String, Path, description = "The application id")),
    request_body = RestrictionBody,
    responses(
        (status = 200, description = "Restricted: the case does not move until lifted", body = schema::Restriction),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: already restricted", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn restrict(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RestrictionBody>,
) -> Result<Json<Value>, ApiError> {
    let command = domain::application::ApplicationCommand::RestrictProcessing {
        request_id: body.request_id,
        reason: body.reason,
    };
    state.execute_application(&id, &actor, command).await?;
    Ok(Json(json!({ "application_id": id, "restricted": true })))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LiftBody {
    #[serde(default)]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/applications/{id}/restriction/lift",
    tag = "retention",
    params(("id" = String, Path, description = "The application id")),
    request_body = LiftBody,
    responses(
        (status = 200, description = "Lifted", body = schema::Restriction),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not restricted", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn lift_restriction(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<LiftBody>,
) -> Result<Json<Value>, ApiError> {
    let command = domain::application::ApplicationCommand::LiftRestriction {
        reason: body.reason,
    };
    state.execute_application(&id, &actor, command).await?;
    Ok(Json(json!({ "application_id": id, "restricted": false })))
}
