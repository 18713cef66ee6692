//! Administering an award (CONTRACT.md, Applications): the offer and its reply, the supervisor, the report
//! schedule, progress reports, the institution's result, and the desk's list of reports due.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::application::ApplicationCommand;
use domain::application::award::{
    ProgressRating, ProgressReport, QualificationResult, ReportSource, Supervisor,
};
use domain::application::rules::FieldProblem;
use domain::{Actor, Role};
use projections::application_view::ApplicationView;

use super::applications::load;
use super::applications::wire::parse_date;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser, OptionalApiJson};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    make_offer,
    accept_offer,
    decline_offer,
    record_report,
    list_reports,
    record_supervisor,
    set_schedule,
    record_result,
    administration,
    reports_due,
))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/applications/{id}/offer", post(make_offer))
        .route("/applications/{id}/offer/accept", post(accept_offer))
        .route("/applications/{id}/offer/decline", post(decline_offer))
        .route(
            "/applications/{id}/progress-reports",
            post(record_report).get(list_reports),
        )
        .route("/applications/{id}/supervisor", put(record_supervisor))
        .route("/applications/{id}/report-schedule", put(set_schedule))
        .route("/applications/{id}/result", post(record_result))
        .route("/applications/{id}/administration", get(administration))
        .route("/progress-reports/due", get(reports_due))
}

fn officer_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.role == Role::ProgrammeOfficer {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct OfferBody {
    /// YYYY-MM-DD; by default the tenth UK working day after today.
    #[schema(format = Date)]
    #[serde(default)]
    pub reply_by: Option<String>,
}

#[utoipa::path(
    post,
    path = "/applications/{id}/offer",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body(content = Option<OfferBody>, description = "Optional: the reply-by date"),
    responses(
        (status = 201, description = "The offer made, with its reply-by date", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_selected: the application is not selected; offer_already_made; cycle_concluded; restricted", body = ErrorBody),
        (status = 422, description = "invalid: `reply_by` not a date, or not after today", body = ErrorBody),
    ),
    description = "Who: programme_officer. Offers the scholarship to a selected applicant, who accepts or declines by \
                   the reply-by date; an offer not answered lapses the day after it (the daily sweep), and the \
                   application becomes unsuccessful. Once an offer is made, the award waits for its acceptance.",
)]
async fn make_offer(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    OptionalApiJson(body): OptionalApiJson<OfferBody>,
) -> Result<impl IntoResponse, ApiError> {
    let body = body.unwrap_or_default();
    let today = Utc::now().date_naive();
    let reply_by = match body.reply_by.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => {
            let mut problems = Vec::new();
            match parse_date("reply_by", raw, &mut problems) {
                Some(date) => date,
                None => return Err(ApiError::invalid("some values are not valid", problems)),
            }
        }
        _ => crate::awards::default_reply_by(&state, today).await?,
    };
    state
        .execute_application(&id, &actor, ApplicationCommand::MakeOffer { reply_by })
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "reply_by": reply_by }))))
}

async fn answer(
    state: &AppState,
    actor: &Actor,
    id: &str,
    command: ApplicationCommand,
) -> Result<Json<Value>, ApiError> {
    state.execute_application(id, actor, command).await?;
    let view = load(state, id).await?;
    Ok(Json(json!({
        "status": view.status.as_str(),
        "offer": view.administration.offer.as_ref().map(|offer| offer.state.as_str()),
    })))
}

#[utoipa::path(
    post,
    path = "/applications/{id}/offer/accept",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Accepted: `{status, offer}`", body = Value),
        (status = 403, description = "forbidden: not an applicant", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or another applicant's", body = ErrorBody),
        (status = 409, description = "no_open_offer: none made, already answered, or lapsed", body = ErrorBody),
    ),
    description = "Who: the owner.",
)]
async fn accept_offer(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &actor, &id, ApplicationCommand::AcceptOffer).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/offer/decline",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Declined: the application is unsuccessful, `{status, offer}`", body = Value),
        (status = 403, description = "forbidden: not an applicant", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or another applicant's", body = ErrorBody),
        (status = 409, description = "no_open_offer: none made, already answered, or lapsed", body = ErrorBody),
    ),
    description = "Who: the owner. A declined offer makes the application unsuccessful; it is destroyed two years later.",
)]
async fn decline_offer(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    answer(&state, &actor, &id, ApplicationCommand::DeclineOffer).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProgressReportBody {
    /// The period the report covers, such as `Autumn term 2027`.
    pub period: String,
    /// `supervisor` or `scholar`.
    pub source: String,
    /// One of `excellent`, `good`, `satisfactory`, `concern`.
    pub rating: String,
    pub text: String,
}

#[utoipa::path(
    post,
    path = "/applications/{id}/progress-reports",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = ProgressReportBody,
    responses(
        (status = 201, description = "Recorded: `{report_id, due_on}`, the due date it answers", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_awarded; restricted", body = ErrorBody),
        (status = 422, description = "invalid: an unknown source or rating, no period or text", body = ErrorBody),
    ),
    description = "Who: programme_officer. A progress report from the supervisor or the scholar; it answers the \
                   earliest report still outstanding on the award's schedule.",
)]
async fn record_report(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ProgressReportBody>,
) -> Result<impl IntoResponse, ApiError> {
    officer_only(&actor)?;
    let mut problems = Vec::new();
    let source = ReportSource::parse(body.source.trim());
    if source.is_none() {
        problems.push(FieldProblem::new("source", "must be supervisor or scholar"));
    }
    let rating = ProgressRating::parse(body.rating.trim());
    if rating.is_none() {
        problems.push(FieldProblem::new(
            "rating",
            "must be one of excellent, good, satisfactory, concern",
        ));
    }
    let (Some(source), Some(rating)) = (source, rating) else {
        return Err(ApiError::invalid("some values are not valid", problems));
    };
    let report_id = uuid::Uuid::now_v7().to_string();
    let command = ApplicationCommand::RecordProgressReport {
        report_id: report_id.clone(),
        source,
        report: ProgressReport {
            period: body.period,
            rating,
            text: body.text,
        },
    };
    state.execute_application(&id, &actor, command).await?;
    let view = load(&state, &id).await?;
    let due_on = view
        .administration
        .reports
        .iter()
        .find(|report| report.report_id == report_id)
        .and_then(|report| report.due_on);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "report_id": report_id, "due_on": due_on })),
    ))
}

fn reports_of(view: &ApplicationView) -> Vec<Value> {
    view.administration
        .reports
        .iter()
        .map(|recorded| {
            let report = recorded.report.as_ref();
            json!({
                "report_id": recorded.report_id,
                "period": report.map(|r| r.period.as_str()),
                "source": recorded.source.as_str(),
                "rating": report.map(|r| r.rating.as_str()),
                "text": report.map(|r| r.text.as_str()),
                "due_on": recorded.due_on,
                "recorded_at": recorded.recorded_at,
            })
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/applications/{id}/progress-reports",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "`[{report_id, period, source, rating, text, due_on, recorded_at}]`, oldest first", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn list_reports(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    officer_only(&actor)?;
    let view = load(&state, &id).await?;
    Ok(Json(Value::Array(reports_of(&view))))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SupervisorBody {
    pub name: String,
    pub email: String,
    pub institution: String,
    pub department: String,
}

#[utoipa::path(
    put,
    path = "/applications/{id}/supervisor",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = SupervisorBody,
    responses(
        (status = 200, description = "The award's administration, with the supervisor and their history", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_awarded; restricted", body = ErrorBody),
        (status = 422, description = "invalid: a detail missing, or not an email address", body = ErrorBody),
    ),
    description = "Who: programme_officer. Records (or changes) the scholar's academic supervisor; every change is kept.",
)]
async fn record_supervisor(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<SupervisorBody>,
) -> Result<Json<Value>, ApiError> {
    officer_only(&actor)?;
    let command = ApplicationCommand::RecordSupervisor {
        supervisor: Supervisor {
            name: body.name,
            email: body.email,
            institution: body.institution,
            department: body.department,
        },
    };
    state.execute_application(&id, &actor, command).await?;
    let view = load(&state, &id).await?;
    Ok(Json(administration_of(&view, true)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScheduleBody {
    /// The dates reports fall due, YYYY-MM-DD.
    pub due: Vec<String>,
}

#[utoipa::path(
    put,
    path = "/applications/{id}/report-schedule",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = ScheduleBody,
    responses(
        (status = 200, description = "The award's administration, with the schedule as set", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_awarded; restricted", body = ErrorBody),
        (status = 422, description = "invalid: no date, a date that is not one, or before the study starts", body = ErrorBody),
    ),
    description = "Who: programme_officer. Replaces the default schedule (a report at the end of each term: every \
                   four months from the start of study to the end of the course).",
)]
async fn set_schedule(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> Result<Json<Value>, ApiError> {
    officer_only(&actor)?;
    let mut problems = Vec::new();
    let due: Vec<NaiveDate> = body
        .due
        .iter()
        .enumerate()
        .filter_map(|(i, raw)| parse_date(&format!("due[{i}]"), raw, &mut problems))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::invalid("some values are not valid", problems));
    }
    state
        .execute_application(&id, &actor, ApplicationCommand::SetReportSchedule { due })
        .await?;
    let view = load(&state, &id).await?;
    Ok(Json(administration_of(&view, true)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ResultBody {
    /// The qualification, such as `MSc Public Health`.
    pub qualification: String,
    /// The result, such as `Distinction`.
    pub result: String,
    /// YYYY-MM-DD; not after today.
    #[schema(format = Date)]
    pub released_on: String,
    /// Who released it, such as the university's registry.
    pub released_by: String,
}

#[utoipa::path(
    post,
    path = "/applications/{id}/result",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = ResultBody,
    responses(
        (status = 201, description = "Recorded: the award's administration", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_awarded; restricted", body = ErrorBody),
        (status = 422, description = "invalid: a detail missing, or a release date after today", body = ErrorBody),
    ),
    description = "Who: programme_officer. The institution's release of the qualification's result; a completion \
                   recorded without an outcome takes it from here.",
)]
async fn record_result(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ResultBody>,
) -> Result<impl IntoResponse, ApiError> {
    officer_only(&actor)?;
    let mut problems = Vec::new();
    let released_on = parse_date("released_on", &body.released_on, &mut problems);
    let Some(released_on) = released_on else {
        return Err(ApiError::invalid("some values are not valid", problems));
    };
    let command = ApplicationCommand::RecordResult {
        result: QualificationResult {
            qualification: body.qualification,
            result: body.result,
            released_on,
            released_by: body.released_by,
        },
    };
    state.execute_application(&id, &actor, command).await?;
    let view = load(&state, &id).await?;
    Ok((StatusCode::CREATED, Json(administration_of(&view, true))))
}

/// The award's administration as this reader may see it: the officer everything; the scholar the offer and
/// the dates their reports fall due, not what the reports say.
fn administration_of(view: &ApplicationView, officer: bool) -> Value {
    let administration = &view.administration;
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let today = Utc::now().date_naive();
    let outstanding = administration.outstanding(terms);
    let offer = administration.offer.as_ref().map(|offer| {
        json!({
            "reply_by": offer.reply_by,
            "state": offer.state.as_str(),
            "answered_on": offer.answered_on,
        })
    });
    let mut shown = json!({
        "status": view.status.as_str(),
        "offer": offer,
        "schedule": administration.schedule(terms),
        "reports_due": outstanding.iter().filter(|due| **due >= today).collect::<Vec<_>>(),
        "reports_overdue": outstanding.iter().filter(|due| **due < today).collect::<Vec<_>>(),
    });
    if officer && let Value::Object(map) = &mut shown {
        map.insert("supervisor".into(), json!(administration.supervisor));
        map.insert(
            "supervisor_history".into(),
            json!(administration.supervisor_history),
        );
        map.insert("reports".into(), Value::Array(reports_of(view)));
        map.insert(
            "result".into(),
            json!(
                administration
                    .result
                    .as_ref()
                    .and_then(|r| r.result.as_ref())
            ),
        );
    }
    shown
}

#[utoipa::path(
    get,
    path = "/applications/{id}/administration",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "`{status, offer, schedule, reports_due, reports_overdue}`; for the officer also `supervisor`, `supervisor_history`, `reports`, `result`", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or another applicant's", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer; the owner (the offer and the dates reports fall due, not their content).",
)]
async fn administration(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let officer = match actor.role {
        Role::ProgrammeOfficer => true,
        Role::Applicant => false,
        _ => return Err(ApiError::forbidden()),
    };
    let view = load(&state, &id).await?;
    if !officer && view.applicant_id != actor.user_id {
        return Err(ApiError::not_found());
    }
    Ok(Json(administration_of(&view, officer)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DueQuery {
    /// How many days ahead to list reports falling due (default 30, at most 366).
    #[serde(default)]
    pub within_days: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/progress-reports/due",
    tag = "applications",
    params(DueQuery),
    responses(
        (status = 200, description = "`{overdue: [{application_id, due_on}], due: [...]}`: reports past their date, and those falling due within the days asked", body = Value),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 422, description = "invalid: `within_days` over 366", body = ErrorBody),
    ),
    description = "Who: programme_officer. The desk's list of progress reports overdue and falling due, earliest first.",
)]
async fn reports_due(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(query): ApiQuery<DueQuery>,
) -> Result<Json<Value>, ApiError> {
    officer_only(&actor)?;
    let within = query.within_days.unwrap_or(30);
    if within > 366 {
        return Err(ApiError::invalid(
            "some values are not valid",
            vec![FieldProblem::new("within_days", "must be at most 366")],
        ));
    }
    let today = Utc::now().date_naive();
    let until = today + chrono::Days::new(u64::from(within));
    let listed = projections::awards::reports_due_by(&state.db, until).await?;
    let (overdue, due): (Vec<_>, Vec<_>) = listed.into_iter().partition(|r| r.due_on < today);
    Ok(Json(json!({ "overdue": overdue, "due": due })))
}
