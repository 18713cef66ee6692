//! The Information requests section of CONTRACT.md: logging requests, their clock and extensions, and the
//! list the information officer works from, overdue first.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::calendar::WorkingDays;
use domain::request::{ClockReason, Extension, RequestCommand, RequestKind, Requester};
use projections::information_requests::{self, RequestView};

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, AuthUser};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    log,
    list,
    show,
    clock,
    extend,
    respond,
    response,
    withhold,
    annotate,
    issue,
    decide_erasure,
    decide_rectification,
    decide_restriction,
    decide_objection,
    refuse,
))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/information-requests", post(log).get(list))
        .route("/information-requests/{id}", get(show))
        .route("/information-requests/{id}/clock", post(clock))
        .route("/information-requests/{id}/extension", post(extend))
        .route("/information-requests/{id}/erasure", post(decide_erasure))
        .route(
            "/information-requests/{id}/rectification",
            post(decide_rectification),
        )
        .route(
            "/information-requests/{id}/restriction",
            post(decide_restriction),
        )
        .route(
            "/information-requests/{id}/objection",
            post(decide_objection),
        )
        .route("/information-requests/{id}/refusal", post(refuse))
        .route(
            "/information-requests/{id}/response",
            post(respond).get(response),
        )
        .route(
            "/information-requests/{id}/response/withheld",
            post(withhold),
        )
        .route("/information-requests/{id}/response/note", post(annotate))
        .route("/information-requests/{id}/response/issue", post(issue))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RequesterBody {
    name: String,
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LogBody {
    /// `foi`, `sar`, `rectification`, `erasure`, `restriction`, `objection` or `portability`.
    kind: String,
    /// YYYY-MM-DD, not in the future.
    #[schema(format = Date)]
    received_on: String,
    requester: RequesterBody,
    /// The data subject's email address, where the requester asks on their behalf or the request is
    /// about their records.
    subject_email: Option<String>,
    #[serde(default)]
    description: String,
}

/// What this module answers, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::NaiveDate;
    use serde_json::Value;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct Logged {
        id: String,
        due_on: NaiveDate,
        statutory_due_on: NaiveDate,
    }

    /// An information request, its deadlines counted in the calendar as it stands today.
    #[derive(ToSchema)]
    pub struct InformationRequest {
        id: String,
        kind: String,
        /// `open`, `answered`, ...
        status: String,
        received_on: NaiveDate,
        due_on: NaiveDate,
        statutory_due_on: NaiveDate,
        clock_stopped: bool,
        overdue: bool,
        requester: Value,
        subject_email: Option<String>,
        description: String,
        clock: Value,
        extension: Value,
        extension_reason: Value,
        responded_on: Option<NaiveDate>,
        /// The day the draft response was made, while there is one and nothing is issued.
        drafted_on: Option<NaiveDate>,
        erasure: Value,
        rectification: Value,
        restriction: Value,
        objection: Value,
        refusal: Value,
    }

    /// The response to a subject access request (for FOI and the other rights, their own answer).
    #[derive(ToSchema)]
    pub struct Response {
        #[schema(required = false)]
        subject: Value,
        #[schema(required = false)]
        purposes: Value,
        #[schema(required = false)]
        categories: Value,
        #[schema(required = false)]
        recipients: Value,
        #[schema(required = false)]
        retention: Value,
        #[schema(required = false)]
        source: Value,
        #[schema(required = false)]
        rights: Value,
        #[schema(required = false)]
        automated_decision_making: Value,
        #[schema(required = false)]
        records: Value,
    }
}

fn parse_day(field: &str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field(field, "must be a date written YYYY-MM-DD"))
}

/// The request as the contract shows it, with its deadlines counted now in the calendar as it stands.
pub fn render(view: &RequestView, calendar: &WorkingDays, today: NaiveDate) -> Value {
    let deadlines = view.deadlines(calendar, today);
    json!({
        "id": view.id,
        "kind": view.kind.as_str(),
        "status": view.status(),
        "received_on": view.received_on,
        "due_on": deadlines.due_on,
        "statutory_due_on": deadlines.statutory_due_on,
        "clock_stopped": view.clock_stopped(),
        "overdue": view.responded_on.is_none() && deadlines.due_on < today,
        "requester": view.requester,
        "subject_email": view.subject_email,
        "description": view.description,
        "clock": view.clock,
        "extension": view.extension,
        "extension_reason": view.extension_reason,
        "responded_on": view.responded_on,
        "drafted_on": view.drafted_on,
        "erasure": view.erasure,
        "rectification": view.rectification,
        "restriction": view.restriction,
        "objection": view.objection,
        "refusal": view.refusal,
    })
}

/// The request, or 404 where there is none and 410 `destroyed` where retention destroyed it.
pub(crate) async fn found(state: &AppState, id: &str) -> Result<RequestView, ApiError> {
    Ok(crate::rights::request(state, id).await?)
}

async fn current(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let view = found(state, id).await?;
    let calendar = projections::calendar::working_days(&state.db).await?;
    Ok(render(&view, &calendar, Utc::now().date_naive()))
}

#[utoipa::path(
    post,
    operation_id = "log_information_request",
    path = "/information-requests",
    tag = "information requests",
    request_body = LogBody,
    responses(
        (status = 201, description = "Logged, with its deadlines", body = schema::Logged),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 422, description = "invalid: an unknown kind, a date in the future", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn log(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<LogBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let kind = RequestKind::parse(body.kind.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "kind",
            "must be foi, sar, rectification, erasure, restriction, objection or portability",
        )
    })?;
    let received_on = parse_day("received_on", &body.received_on)?;
    // Everything the answer needs from the store is read before the command: a failure here is a 503 with
    // nothing committed, which a retry may safely repeat. Once the command is committed nothing more is
    // read, so the answer is the committed request's, whatever the store does next.
    let calendar = projections::calendar::working_days(&state.db).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let command = RequestCommand::LogRequest {
        kind,
        received_on,
        requester: Requester {
            name: body.requester.name,
            email: body.requester.email,
        },
        subject_email: body.subject_email,
        description: body.description,
    };
    state.execute_request(&id, actor, command).await?;
    // A request just logged has no clock stop and no extension: its deadlines follow from its kind and the
    // day it was received, as the view the command's event made counts them.
    let due = domain::request::deadlines(
        kind.is_foi(),
        received_on,
        &[],
        None,
        &calendar,
        Utc::now().date_naive(),
    );
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": id,
            "due_on": due.due_on,
            "statutory_due_on": due.statutory_due_on,
        })),
    ))
}

#[utoipa::path(
    get,
    operation_id = "show_information_request",
    path = "/information-requests/{id}",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    responses(
        (status = 200, description = "The request", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::InformationOfficer])?;
    Ok(Json(current(&state, &id).await?))
}

/// Every request, overdue first, then by the day it is due.
pub async fn ordered(state: &AppState) -> Result<Vec<Value>, ApiError> {
    let calendar = projections::calendar::working_days(&state.db).await?;
    let today = Utc::now().date_naive();
    let mut requests: Vec<Value> = information_requests::all(&state.db)
        .await?
        .iter()
        .map(|view| render(view, &calendar, today))
        .collect();
    requests.sort_by_key(|r| {
        (
            r["overdue"] != json!(true),
            r["due_on"].as_str().unwrap_or_default().to_string(),
            r["id"].as_str().unwrap_or_default().to_string(),
        )
    });
    Ok(requests)
}

#[utoipa::path(
    get,
    operation_id = "list_information_requests",
    path = "/information-requests",
    tag = "information requests",
    responses(
        (status = 200, description = "Every request, overdue first, then by due_on", body = Vec<schema::InformationRequest>),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::InformationOfficer])?;
    Ok(Json(json!(ordered(&state).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ClockBody {
    /// `stop` or `resume`.
    action: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    on: String,
    /// When stopping: `fee`, `clarification` or `identity`.
    reason: Option<String>,
    #[serde(default)]
    note: String,
}

#[utoipa::path(
    post,
    path = "/information-requests/{id}/clock",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = ClockBody,
    responses(
        (status = 200, description = "The request with its moved dates", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: the clock is already stopped, or not stopped; answered", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn clock(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ClockBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    found(&state, &id).await?;
    let on = parse_day("on", &body.on)?;
    let command = match body.action.trim() {
        "stop" => RequestCommand::StopClock {
            on,
            reason: body
                .reason
                .as_deref()
                .and_then(|r| ClockReason::parse(r.trim()))
                .ok_or_else(|| {
                    ApiError::invalid_field("reason", "must be fee, clarification or identity")
                })?,
            note: body.note,
        },
        "resume" => RequestCommand::ResumeClock {
            on,
            note: body.note,
        },
        _ => return Err(ApiError::invalid_field("action", "must be stop or resume")),
    };
    state.execute_request(&id, actor, command).await?;
    Ok(Json(current(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ExtensionBody {
    /// `public_interest_test` (FOI) or `complex` (SAR and the other rights).
    extension: String,
    /// For `complex`: one or two further months (two unless given).
    months: Option<u32>,
    #[serde(default)]
    reason: String,
}

/// FOI: the public interest test (a further 20 working days); SAR and other rights: a complex request (one
/// or two further months).
#[utoipa::path(
    post,
    path = "/information-requests/{id}/extension",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = ExtensionBody,
    responses(
        (status = 200, description = "Extended", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: already extended, or answered; the extension does not apply to this kind", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn extend(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ExtensionBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    found(&state, &id).await?;
    let extension = match body.extension.trim() {
        "public_interest_test" => Extension::PublicInterestTest,
        "complex" => Extension::Complex {
            months: body.months.unwrap_or(2),
        },
        _ => {
            return Err(ApiError::invalid_field(
                "extension",
                "must be public_interest_test or complex",
            ));
        }
    };
    let command = RequestCommand::ExtendDeadline {
        extension,
        reason: body.reason,
    };
    state.execute_request(&id, actor, command).await?;
    Ok(Json(current(&state, &id).await?))
}

/// The system produces the response from what it holds, and keeps it with the request; with `draft: true`
/// it keeps it as a draft instead, to be seen, redacted and then issued.
#[utoipa::path(
    post,
    operation_id = "produce_response",
    path = "/information-requests/{id}/response",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body(content = Option<crate::responses::FoiAnswerBody>, description = "Optional. `draft: true` makes a draft (any request answered by a response) instead of issuing at once; a new draft replaces the last. FOI only: the answer the information officer composed. Without a body the response is produced from what the system holds (for FOI, statistics by cycle and country) and issued."),
    responses(
        (status = 201, description = "The response, produced from what the system holds and kept with the request (issued, or with `draft: true` the draft, `drafted_on`)", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "already_answered: a response was issued, and it does not change", body = ErrorBody),
        (status = 422, description = "invalid: the FOI answer names the field that is wrong (an unknown section of a refused part, an unknown group_by key, no answer where the information is held); an answer for a request that is not FOI", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn respond(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    super::extract::OptionalApiJson(body): super::extract::OptionalApiJson<
        crate::responses::FoiAnswerBody,
    >,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let view = found(&state, &id).await?;
    let draft = body.as_ref().is_some_and(|body| body.draft);
    let response = match body.filter(|body| !body.is_empty()) {
        Some(body) if view.kind.is_foi() => crate::responses::answer_foi(&state, &body).await?,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "held",
                "is given only in the answer to an FOI request; send no body to produce this response",
            ));
        }
        None => {
            crate::responses::produce(&state, view.kind, view.subject_email.as_deref(), actor)
                .await?
        }
    };
    let command = if draft {
        RequestCommand::DraftResponse { response }
    } else {
        RequestCommand::IssueResponse { response }
    };
    state.execute_request(&id, actor, command).await?;
    Ok((StatusCode::CREATED, Json(current(&state, &id).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FormatQuery {
    /// `json` (the default), `html` (the letter) or `pdf` (the letter, for sending).
    format: Option<String>,
    /// `true`: the draft, as it would be issued now (the items withheld taken out and listed), instead of
    /// the response issued.
    draft: Option<bool>,
}

/// The response kept with the request, or its draft: JSON (machine-readable, for portability), the HTML
/// letter or the letter as a PDF.
#[utoipa::path(
    get,
    operation_id = "show_response",
    path = "/information-requests/{id}/response",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id"), FormatQuery),
    responses(
        (status = 200, description = "The response: JSON, with format=html the letter, with format=pdf the letter as a PDF", content((schema::Response = "application/json"), (String = "text/html"), (Vec<u8> = "application/pdf"))),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found: no such request, no response produced yet, or (draft=true) no draft", body = ErrorBody),
        (status = 422, description = "invalid: format is not json, html or pdf", body = ErrorBody),
        (status = 503, description = "pdf_unavailable: the PDF could not be printed here", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn response(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    super::extract::ApiQuery(query): super::extract::ApiQuery<FormatQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    user.require(&[Role::InformationOfficer])?;
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "html" | "pdf") {
        return Err(ApiError::invalid_field(
            "format",
            "must be json, html or pdf",
        ));
    }
    let view = found(&state, &id).await?;
    let response = if query.draft.unwrap_or(false) {
        crate::drafts::stored(&state, &id)
            .await?
            .map(|draft| crate::responses::resolve(draft.composed()))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "this request has no draft response",
                )
            })?
    } else {
        crate::responses::stored(&state, &id)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no response has been produced for this request yet",
                )
            })?
    };
    // The draft's letter is marked as a draft; the issued one is dated the day it was issued.
    let mut view = view;
    if query.draft.unwrap_or(false) {
        view.responded_on = None;
    }
    match format {
        "json" => Ok(Json(response).into_response()),
        "html" => {
            let html = crate::responses::letter(&view, &response).map_err(ApiError::internal)?;
            Ok(axum::response::Html(html).into_response())
        }
        _ => {
            let html = crate::responses::letter(&view, &response).map_err(ApiError::internal)?;
            let pdf = crate::pdf::print(&html).await.map_err(|error| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "pdf_unavailable",
                    error.to_string(),
                )
            })?;
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/pdf".to_string(),
                    ),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"{}.pdf\"",
                            crate::responses::reference(&id)
                        ),
                    ),
                ],
                pdf,
            )
                .into_response())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct WithholdBody {
    /// The item of the draft, by its JSON pointer into the draft's JSON (`GET …/response?draft=true`), such
    /// as `/records/applications/0/personal/phone` or `/records/applications/0` for a whole record.
    #[serde(default)]
    item: String,
    /// The exemption of the Data Protection Act 2018 relied on: `third_party` (Sch 2 Part 3 para 16),
    /// `confidential_reference` (Sch 2 Part 4 para 24), `legal_professional_privilege` (Sch 2 Part 4 para 19),
    /// `legal_proceedings` (Sch 2 Part 1 para 5(3)), `crime_and_taxation` (Sch 2 Part 1 para 2),
    /// `management_forecasts` (Sch 2 Part 4 para 22), `negotiations` (Sch 2 Part 4 para 23), `exam_scripts`
    /// (Sch 2 Part 4 para 25), `health_data` (Sch 3 Part 2), `social_work_data` (Sch 3 Part 3),
    /// `education_data` (Sch 3 Part 4).
    #[serde(default)]
    ground: String,
    /// Why it applies, in words for the subject.
    #[serde(default)]
    reason: String,
}

/// The draft as it would be issued now.
async fn preview(state: &AppState, id: &str) -> Result<Json<Value>, ApiError> {
    let draft = crate::drafts::stored(state, id)
        .await?
        .ok_or_else(|| ApiError::from(domain::request::RequestError::NoDraft))?;
    Ok(Json(crate::responses::resolve(draft.composed())))
}

/// An item of the draft response is withheld on a ground of the Data Protection Act 2018, with the reason:
/// the issued response leaves it out, and its letter lists it as withheld and why.
#[utoipa::path(
    post,
    operation_id = "withhold_from_draft",
    path = "/information-requests/{id}/response/withheld",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = WithholdBody,
    responses(
        (status = 200, description = "The draft as it would now be issued", body = schema::Response),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "no_draft: make a draft first; already_withheld: the item, or a record holding it, is withheld; already_answered: the response was issued", body = ErrorBody),
        (status = 422, description = "invalid: an unknown ground, an item not in the draft's records, no reason; or the request is not subject access", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn withhold(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<WithholdBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let view = found(&state, &id).await?;
    crate::drafts::withhold(&state, &view, actor, &body.item, &body.ground, &body.reason).await?;
    preview(&state, &id).await
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NoteBody {
    /// A note to the requester, given in the letter.
    #[serde(default)]
    note: String,
    /// Records of the subject held elsewhere than in this system, described for the letter.
    #[serde(default)]
    held_elsewhere: String,
}

/// The officer's note and the records held elsewhere are added to the draft (each replaces the last).
#[utoipa::path(
    post,
    operation_id = "annotate_draft",
    path = "/information-requests/{id}/response/note",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = NoteBody,
    responses(
        (status = 200, description = "The draft as it would now be issued", body = schema::Response),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "no_draft: make a draft first; already_answered: the response was issued", body = ErrorBody),
        (status = 422, description = "invalid: a text over 2000 characters", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn annotate(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let view = found(&state, &id).await?;
    crate::drafts::annotate(&state, &view, actor, &body.note, &body.held_elsewhere).await?;
    preview(&state, &id).await
}

/// The draft is issued as it stands: it becomes the response, dated today, and nothing changes it after.
#[utoipa::path(
    post,
    operation_id = "issue_draft",
    path = "/information-requests/{id}/response/issue",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    responses(
        (status = 201, description = "Issued; the request, with `responded_on`", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "no_draft: there is no draft to issue; already_answered: the response was issued", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn issue(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let view = found(&state, &id).await?;
    crate::drafts::issue(&state, &view, actor).await?;
    Ok((StatusCode::CREATED, Json(current(&state, &id).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ErasureBody {
    approve: bool,
    #[serde(default)]
    reason: String,
}

/// An information officer approves or refuses an erasure request, with the reason. Approved, the subject's
/// records are destroyed as retention destroys them, except where a ground to keep them applies; either way
/// the request is answered with what was done.
#[utoipa::path(
    post,
    path = "/information-requests/{id}/erasure",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = ErasureBody,
    responses(
        (status = 200, description = "Decided and answered", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not an erasure request, or answered", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn decide_erasure(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ErasureBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    crate::rights::decide_erasure(&state, actor, &id, body.approve, &body.reason).await?;
    Ok(Json(current(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RectificationBody {
    rectify: bool,
    application_id: Option<String>,
    /// Contract paths of personal fields and their corrected values.
    #[serde(default)]
    #[schema(value_type = HashMap<String, String>)]
    changes: serde_json::Map<String, Value>,
    #[serde(default)]
    reason: String,
    /// Refused: the subject's statement that the data is inaccurate, kept with each of their applications.
    #[serde(default)]
    statement: Option<String>,
}

/// Rectification: the subject's application is corrected through the amendment path and the recipients who
/// hold an old value are listed to be told; or the request is refused, with the reason.
#[utoipa::path(
    post,
    path = "/information-requests/{id}/rectification",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = RectificationBody,
    responses(
        (status = 200, description = "Decided and answered", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not a rectification request, or answered", body = ErrorBody),
        (status = 422, description = "invalid: no reason, no changes to make, a statement where the request names no subject, or a statement for a subject with no application to keep it with", body = ErrorBody),
    ),
    description = "Who: information_officer. Refused with the subject's `statement`, it is kept with each of their \
                   applications (`statements_of_dispute`), shown to staff and in every later subject access response.",
)]
async fn decide_rectification(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RectificationBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let mut changes = Vec::new();
    for (path, value) in body.changes {
        match value {
            Value::String(text) => changes.push((path, text)),
            _ => return Err(ApiError::invalid_field(&path, "must be text")),
        }
    }
    if body.rectify && changes.is_empty() {
        return Err(ApiError::invalid_field(
            "changes",
            "name at least one field to correct and its corrected value",
        ));
    }
    let decision = crate::rights::Rectification {
        rectify: body.rectify,
        application_id: body.application_id,
        changes,
        reason: body.reason,
        statement: body.statement,
    };
    crate::rights::decide_rectification(&state, actor, &id, decision).await?;
    Ok(Json(current(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RestrictionDecisionBody {
    restrict: bool,
    #[serde(default)]
    reason: String,
}

/// Restriction: every case of the subject is frozen until it is lifted; or the request is refused.
#[utoipa::path(
    post,
    path = "/information-requests/{id}/restriction",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = RestrictionDecisionBody,
    responses(
        (status = 200, description = "Decided and answered", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not a restriction request, or answered", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn decide_restriction(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RestrictionDecisionBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    crate::rights::decide_restriction(&state, actor, &id, body.restrict, &body.reason).await?;
    Ok(Json(current(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ObjectionBody {
    uphold: bool,
    /// `networking`, `alumni_email`, `alumni_book` or `images`.
    #[serde(default)]
    uses: Vec<String>,
    #[serde(default)]
    reason: String,
}

/// The uses an objection names, each one of the policy's opt-outs.
pub fn parse_uses<'a>(
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<domain::request::ObjectedUse>, ApiError> {
    names
        .into_iter()
        .map(|name| {
            domain::request::ObjectedUse::parse(name.trim()).ok_or_else(|| {
                ApiError::invalid_field(
                    "uses",
                    "must each be networking, alumni_email, alumni_book or images",
                )
            })
        })
        .collect()
}

/// Objection: upheld, the uses objected to stop on every case of the subject; not upheld, the reason gives
/// the compelling grounds to go on.
#[utoipa::path(
    post,
    path = "/information-requests/{id}/objection",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = ObjectionBody,
    responses(
        (status = 200, description = "Decided and answered", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not an objection, or answered", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn decide_objection(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ObjectionBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let uses = parse_uses(body.uses.iter().map(String::as_str))?;
    crate::rights::decide_objection(&state, actor, &id, body.uphold, uses, &body.reason).await?;
    Ok(Json(current(&state, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RefusalBody {
    /// `cost_limit`, `vexatious`, `accessible_elsewhere`, `future_publication`, `public_affairs`,
    /// `personal_data`, `confidence` or `commercial_interests`.
    ground: String,
    #[serde(default)]
    reason: String,
    public_interest: Option<String>,
}

/// The grounds an FOI request may be refused on, by name.
pub fn parse_ground(name: &str) -> Result<domain::request::FoiGround, ApiError> {
    domain::request::FoiGround::parse(name.trim()).ok_or_else(|| {
        ApiError::invalid_field(
            "ground",
            "must be cost_limit, vexatious, accessible_elsewhere, future_publication, public_affairs, personal_data, confidence or commercial_interests",
        )
    })
}

/// An FOI request is refused: the refusal notice naming the section, why it applies and, for a qualified
/// exemption, the public interest reasons, is the response.
#[utoipa::path(
    post,
    path = "/information-requests/{id}/refusal",
    tag = "information requests",
    params(("id" = String, Path, description = "The information request id")),
    request_body = RefusalBody,
    responses(
        (status = 200, description = "Refused; the refusal notice is the response", body = schema::InformationRequest),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not an FOI request, or answered", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn refuse(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RefusalBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::InformationOfficer])?;
    let ground = parse_ground(&body.ground)?;
    crate::rights::refuse_foi(
        &state,
        actor,
        &id,
        ground,
        &body.reason,
        body.public_interest,
    )
    .await?;
    Ok(Json(current(&state, &id).await?))
}
