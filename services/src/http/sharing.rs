//! The Sharing section of CONTRACT.md: the register of recipients, disclosures and their log, and the
//! corrections owed to recipients who hold data that has since been amended.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::application::ApplicationCommand;
use domain::country::Country;
use domain::recipient::{RecipientCommand, RecipientKind};
use projections::application_view::{self, ApplicationView};
use projections::recipients;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, AuthUser};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(register, list, disclose, disclosures, refusals, mark_notice_sent,))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recipients", post(register).get(list))
        .route(
            "/applications/{id}/disclosures",
            post(disclose).get(disclosures),
        )
        .route("/applications/{id}/disclosure-refusals", get(refusals))
        .route(
            "/applications/{id}/rectification-notices/{recipient_id}",
            post(mark_notice_sent),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RecipientBody {
    name: String,
    /// `british_mission`, `study_country_embassy`, `home_country_mission` or `joint_sponsor`.
    kind: String,
    /// Where the mission stands, or the nation it represents (a home country mission), by its English short
    /// name.
    country: String,
    /// The nation whose embassy it is; required of a `study_country_embassy`.
    represents: Option<String>,
    /// Where it stands; required of a `home_country_mission`.
    located_in: Option<String>,
}

/// An optional country of a registration: absent or blank is none, anything else must be a country.
fn optional_country(field: &str, raw: Option<&str>) -> Result<Option<Country>, ApiError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(None),
        Some(raw) => Country::parse(raw).map(Some).ok_or_else(|| {
            ApiError::invalid_field(field, "must be a country by its English short name")
        }),
    }
}

#[utoipa::path(
    post,
    operation_id = "register_recipient",
    path = "/recipients",
    tag = "sharing",
    request_body = RecipientBody,
    responses(
        (status = 201, description = "Registered", body = schema::RecipientRegistered),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 422, description = "invalid: an unknown kind or country; a study_country_embassy without `represents`, a home_country_mission without `located_in`", body = ErrorBody),
    ),
    description = "Who: admin.",
)]
async fn register(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<RecipientBody>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = user.require(&[Role::Admin])?;
    let kind = RecipientKind::parse(body.kind.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "kind",
            "must be british_mission, study_country_embassy, home_country_mission or joint_sponsor",
        )
    })?;
    let country = Country::parse(&body.country).ok_or_else(|| {
        ApiError::invalid_field("country", "must be a country by its English short name")
    })?;
    let represents = optional_country("represents", body.represents.as_deref())?;
    let located_in = optional_country("located_in", body.located_in.as_deref())?;
    let id = uuid::Uuid::now_v7().to_string();
    let command = RecipientCommand::RegisterRecipient {
        name: body.name,
        kind,
        country,
        represents,
        located_in,
    };
    state.execute_recipient(&id, actor, command).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

#[utoipa::path(
    get,
    operation_id = "list_recipients",
    path = "/recipients",
    tag = "sharing",
    responses(
        (status = 200, description = "The register of recipients", body = Vec<Object>),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: admin, programme_officer, information_officer.",
)]
async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    user.require(&[
        Role::Admin,
        Role::ProgrammeOfficer,
        Role::InformationOfficer,
    ])?;
    Ok(Json(json!(recipients::list(&state.db).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct DisclosureBody {
    recipient_id: String,
    purpose: String,
    /// Contract paths of the fields to disclose: `personal.full_name`, ...
    fields: Vec<String>,
}

async fn load(state: &AppState, id: &str) -> Result<ApplicationView, ApiError> {
    application_view::find(&state.db, &state.repo, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// A programme officer discloses chosen fields to a registered recipient. The sharing rule decides; a
/// refusal is recorded on the application and answered 403 `sharing_not_permitted` with the reason.
#[utoipa::path(
    post,
    path = "/applications/{id}/disclosures",
    tag = "sharing",
    params(("id" = String, Path, description = "The application id")),
    request_body = DisclosureBody,
    responses(
        (status = 201, description = "Disclosed and logged", body = schema::Disclosed),
        (status = 403, description = "forbidden; sharing_not_permitted: `reason` says why; the refusal is recorded", body = ErrorBody),
        (status = 404, description = "not_found: no such application or recipient", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn disclose(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DisclosureBody>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?;
    load(&state, &id).await?;
    let recipient = recipients::find(&state.db, body.recipient_id.trim())
        .await?
        .and_then(|recipient| recipient.facts())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "there is no such recipient in the register",
            )
        })?;
    let disclosure_id = uuid::Uuid::now_v7().to_string();
    let command = ApplicationCommand::DiscloseData {
        disclosure_id: disclosure_id.clone(),
        recipient,
        purpose: body.purpose,
        fields: body.fields,
    };
    state.execute_application(&id, actor, command).await?;
    let view = load(&state, &id).await?;
    if let Some(refused) = view
        .refused_disclosures
        .iter()
        .find(|r| r.disclosure_id == disclosure_id)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sharing_not_permitted",
            format!("sharing is not permitted: {}", refused.reason),
        )
        .with("reason", refused.reason.clone()));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "disclosure_id": disclosure_id })),
    ))
}

/// The disclosure log of one application.
#[utoipa::path(
    get,
    path = "/applications/{id}/disclosures",
    tag = "sharing",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "The disclosure log", body = Vec<schema::Disclosure>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    ),
    description = "Who: programme_officer, information_officer.",
)]
async fn disclosures(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer, Role::InformationOfficer])?;
    let view = load(&state, &id).await?;
    let log: Vec<Value> = view
        .disclosures
        .iter()
        .map(|d| {
            json!({
                "disclosure_id": d.disclosure_id,
                "recipient_id": d.recipient_id,
                "recipient_name": d.recipient_name,
                "kind": d.kind,
                "purpose": d.purpose,
                "fields": d.fields,
                "at": d.at,
                "disclosed_by": d.disclosed_by,
            })
        })
        .collect();
    Ok(Json(json!(log)))
}

/// The disclosures asked for and refused on one application, with the reason of each.
#[utoipa::path(
    get,
    path = "/applications/{id}/disclosure-refusals",
    tag = "sharing",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "The disclosures refused, each with its reason", body = Vec<Object>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    ),
    description = "Who: programme_officer, information_officer.",
)]
async fn refusals(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer, Role::InformationOfficer])?;
    let view = load(&state, &id).await?;
    Ok(Json(json!(view.refused_disclosures)))
}

/// A programme officer has told the recipient of the corrections they were owed.
#[utoipa::path(
    post,
    path = "/applications/{id}/rectification-notices/{recipient_id}",
    tag = "sharing",
    params(("id" = String, Path, description = "The application id"), ("recipient_id" = String, Path, description = "The recipient told")),
    responses(
        (status = 200, description = "Marked sent", body = schema::Notices),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or no notice owed to that recipient", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn mark_notice_sent(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath((id, recipient_id)): ApiPath<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let command = ApplicationCommand::MarkRectificationNoticeSent { recipient_id };
    state.execute_application(&id, &actor, command).await?;
    let view = load(&state, &id).await?;
    Ok(Json(
        json!({ "rectification_notices": view.rectification_notices }),
    ))
}

/// What this module answers, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::{DateTime, Utc};
    use serde_json::Value;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct RecipientRegistered {
        id: String,
    }

    #[derive(ToSchema)]
    pub struct Disclosed {
        disclosure_id: String,
    }

    /// A disclosure made: to whom, what, why and when.
    #[derive(ToSchema)]
    pub struct Disclosure {
        disclosure_id: String,
        recipient_id: String,
        recipient_name: String,
        kind: String,
        purpose: String,
        fields: Vec<String>,
        at: DateTime<Utc>,
        disclosed_by: String,
    }

    #[derive(ToSchema)]
    pub struct Notices {
        /// The corrections owed to each recipient, and whether they were sent.
        rectification_notices: Vec<Value>,
    }
}

/// An award's joint sponsor is chosen from the register: an id that is not a registered joint sponsor is
/// refused (422 `invalid`, naming `joint_sponsor_id`).
pub async fn check_joint_sponsor(state: &AppState, id: Option<&str>) -> Result<(), ApiError> {
    let Some(id) = id else {
        return Ok(());
    };
    match recipients::find(&state.db, id).await? {
        Some(recipient) if recipient.kind == RecipientKind::JointSponsor => Ok(()),
        _ => Err(ApiError::invalid_field(
            "joint_sponsor_id",
            "must be a joint sponsor in the register of recipients",
        )),
    }
}

/// The recipients of the register the sharing rule allows for this person now: the rule of
/// `domain::sharing`, asked of the application as it stands.
pub fn permitted_recipients<'a>(
    view: &ApplicationView,
    register: &'a [recipients::RecipientView],
) -> Vec<&'a recipients::RecipientView> {
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let study_countries = domain::sharing::study_countries(terms, &view.form.courses);
    let subject = domain::sharing::SubjectFacts {
        country_of_residence: view.form.personal.country_of_residence.as_deref(),
        nationality: view.form.personal.nationality.as_deref(),
        joint_sponsor_id: view
            .award
            .as_ref()
            .and_then(|award| award.joint_sponsor_id.as_deref()),
        study_countries: &study_countries,
    };
    register
        .iter()
        .filter(|recipient| {
            recipient
                .facts()
                .is_some_and(|facts| domain::sharing::may_disclose(&facts, subject).is_ok())
        })
        .collect()
}

pub use crate::rights::recipients_to_notify;
