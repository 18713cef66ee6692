//! The Applications section of CONTRACT.md: every route of the lifecycle.

pub mod wire;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::view_of;
use domain::application::aggregate::Outcome;
use domain::application::{ApplicationCommand, Status};
use domain::cycle::CycleName;
use domain::immigration::ImmigrationCommand;
use domain::{Actor, Role};
use projections::access_log::{self, Through};
use projections::application_view::{self, ApplicationView};
use projections::case_list::{self, CaseFilter};
use projections::immigration_records;

use super::error::{ApiError, ErrorBody, duplicate_application};
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::bus::AppState;
use wire::{
    AmendmentBody, ApplicationPatch, AssignmentBody, Audience, AwardBody, AwardCorrectionBody,
    CompletionBody, CompletionCorrectionBody, ConflictBody, CreateBody, DecisionBody,
    EligibilityBody, ImmigrationBody, PreferencesBody, RecheckBody, ScoresBody,
    ScreeningOverrideBody, Shown, render, schema,
};

/// Staff who see whole cases: everyone but applicants and committee members.
const CASE_STAFF: [Role; 4] = [
    Role::Helpdesk,
    Role::ProgrammeOfficer,
    Role::InformationOfficer,
    Role::Admin,
];

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    show,
    edit,
    submit,
    withdraw,
    set_preferences,
    amend,
    eligibility,
    recheck,
    override_screening,
    assign,
    declare_conflict,
    score,
    decide,
    award,
    complete_award,
    correct_award,
    correct_completion,
    record_immigration,
    list_immigration,
    history,
    reads,
))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/applications", post(create).get(list))
        .route("/applications/{id}", get(show).patch(edit))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/applications/{id}/preferences", put(set_preferences))
        .route("/applications/{id}/amendments", post(amend))
        .route("/applications/{id}/eligibility", post(eligibility))
        .route("/applications/{id}/recheck", post(recheck))
        .route(
            "/applications/{id}/screening-override",
            post(override_screening),
        )
        .route("/applications/{id}/assignments", post(assign))
        .route("/applications/{id}/conflicts", post(declare_conflict))
        .route("/applications/{id}/scores", post(score))
        .route("/applications/{id}/decision", post(decide))
        .route("/applications/{id}/award", post(award))
        .route("/applications/{id}/award/complete", post(complete_award))
        .route("/applications/{id}/award/correction", post(correct_award))
        .route(
            "/applications/{id}/award/complete/correction",
            post(correct_completion),
        )
        .route(
            "/applications/{id}/immigration-records",
            post(record_immigration).get(list_immigration),
        )
        .route("/applications/{id}/history", get(history))
        .route("/applications/{id}/reads", get(reads))
}

/// What of an application this person may see (the role table, `domain::access::view_of`): 403 for a
/// role that reads no application, 404 where they may not know of it (another's application; for a
/// committee member, one not assigned to them, conflicted, or of a concluded cycle).
pub(super) async fn audience(
    state: &AppState,
    actor: &Actor,
    view: &ApplicationView,
) -> Result<Audience, ApiError> {
    match actor.role {
        Role::Applicant if view.applicant_id == actor.user_id => Ok(Audience::owner()),
        Role::Applicant => Err(ApiError::not_found()),
        Role::CommitteeMember => {
            let assigned = view
                .committee
                .iter()
                .any(|member| member.member_id == actor.user_id && member.conflict.is_none());
            if !assigned
                || projections::cycles::conclusion(&state.db, &view.cycle)
                    .await?
                    .is_some()
            {
                return Err(ApiError::not_found());
            }
            let blind = projections::cycles::is_blind(&state.db, &view.cycle).await?;
            Ok(Audience::committee(&actor.user_id, blind))
        }
        role => {
            let audience = Audience::staff(role);
            if audience.view.is_nothing() {
                return Err(ApiError::forbidden());
            }
            Ok(audience)
        }
    }
}

/// The application's view; 410 `destroyed` where its personal data was destroyed, 404 where there is none.
pub(super) async fn load(state: &AppState, id: &str) -> Result<ApplicationView, ApiError> {
    if let Some(view) = application_view::find(&state.db, &state.repo, id).await? {
        return Ok(view);
    }
    if projections::retention::is_destroyed(&state.db, "Application", id).await? {
        return Err(ApiError::destroyed());
    }
    Err(ApiError::not_found())
}

/// The application as it now stands, as this person may see it.
async fn current(state: &AppState, id: &str, actor: &Actor) -> Result<Response, ApiError> {
    let view = load(state, id).await?;
    shown(state, &view, actor).await
}

/// The application as this person may see it; a read by staff is recorded first (`access_log`), and
/// nothing is shown when it cannot be.
async fn shown(
    state: &AppState,
    view: &ApplicationView,
    actor: &Actor,
) -> Result<Response, ApiError> {
    let audience = audience(state, actor, view).await?;
    state
        .record_reads(&[view.id.as_str()], actor, Through::Api)
        .await?;
    Ok(Json(Shown {
        view,
        audience: &audience,
    })
    .into_response())
}

/// Carries out a command and answers with the application as it now stands.
async fn run(
    state: &AppState,
    id: &str,
    actor: &Actor,
    command: ApplicationCommand,
) -> Result<Response, ApiError> {
    let (done, views) =
        crate::store::with_projected(state.execute_application(id, actor, command)).await;
    done?;
    // The view the command's own events left, as committed; a command that recorded nothing reads it.
    match views.into_iter().find(|view| view.id == id) {
        Some(view) => shown(state, &view, actor).await,
        None => current(state, id, actor).await,
    }
}

#[utoipa::path(
    post,
    path = "/applications",
    tag = "applications",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Started, as a draft", body = schema::Started),
        (status = 403, description = "forbidden: only applicants start applications", body = ErrorBody),
        (status = 409, description = "duplicate_application: one per applicant per cycle; cycle_closed: the cycle is not open", body = ErrorBody),
    ),
    description = "Who: applicant.",
)]
async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = user.require(&[Role::Applicant])?;
    let cycle = CycleName::parse(body.cycle.trim())
        .map_err(|problem| ApiError::invalid_field("cycle", &problem))?;
    if application_view::find_for_applicant(&state.db, &actor.user_id, cycle.as_str())
        .await?
        .is_some()
    {
        return Err(duplicate_application());
    }
    let id = uuid::Uuid::now_v7().to_string();
    state
        .execute_application(&id, actor, ApplicationCommand::StartApplication { cycle })
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/applications/{id}"))],
        Json(json!({ "id": id, "status": Status::Draft.as_str() })),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this cycle: `2026-27`.
    cycle: Option<String>,
    /// Only this status: `submitted`, `under_review`, ...
    status: Option<String>,
    /// The nationality or the country of residence.
    country: Option<String>,
    /// The lowest mean committee score, 0–40.
    min_score: Option<f64>,
    /// An application id, or any part of a name or an email address (each word of it, accents and case
    /// ignored).
    q: Option<String>,
    /// At most this many, 1–500 (50 unless given).
    limit: Option<i64>,
    /// Rows to skip from the start, where no `cursor` is given. A deep offset costs what it skips: page
    /// with `cursor` instead.
    offset: Option<i64>,
    /// The page after or before another: a `next_cursor` or `previous_cursor` of an earlier answer, as it
    /// was given.
    cursor: Option<String>,
}

/// Applicants get their own applications; committee members the ones assigned to them; other staff the
/// case list, filtered by cycle, status, country and lowest mean score.
#[utoipa::path(
    get,
    operation_id = "list_applications",
    path = "/applications",
    tag = "applications",
    params(ListQuery),
    responses(
        (status = 200, description = "The applications; each item holds only what the role sees of it", body = schema::ApplicationList),
        (status = 403, description = "forbidden: an administrator reads no application", body = ErrorBody),
        (status = 422, description = "invalid: `q` and `country` are not filters of a committee member's list; `min_score` is only for those who see the marks; `cursor` is not one this list gave, or is given with `offset`", body = ErrorBody),
    ),
    description = "Who: applicants (their own), committee members (assigned to them, without `q` and `country`; \
        under blind review items name no applicant), programme officers, information officers and the Help Desk \
        (the case list). Each application an answer shows with personal data is recorded as read by staff.",
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    if actor.role == Role::Applicant {
        let views =
            application_view::list_for_applicant(&state.db, &state.repo, &actor.user_id).await?;
        let items: Vec<Value> = views
            .iter()
            .map(|view| render(view, &Audience::owner()))
            .collect();
        return Ok(Json(json!({ "items": items, "total": items.len() })));
    }
    let committee = actor.role == Role::CommitteeMember;
    if !committee && view_of(actor.role, false).is_nothing() {
        return Err(ApiError::forbidden());
    }
    let given = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    // A member's list answers nothing about who applied: searching it by name, email or country would tell
    // whether a named person is among their applicants. Nor does a list filter by what the reader may not
    // see (the committee's marks, for the Help Desk and the members).
    let mut problems = Vec::new();
    if committee {
        for (name, value) in [("q", &query.q), ("country", &query.country)] {
            if given(value) {
                problems.push(domain::application::rules::FieldProblem::new(
                    name,
                    "is not a filter of a committee member's list",
                ));
            }
        }
    }
    if query.min_score.is_some()
        && !view_of(actor.role, false).shows(domain::access::Section::MeanScore)
    {
        problems.push(domain::application::rules::FieldProblem::new(
            "min_score",
            "is a filter for those who see the committee's marks",
        ));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid(
            "this list may not be filtered so by your role",
            problems,
        ));
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let offset = query.offset.unwrap_or(0).max(0);
    let cursor = match query.cursor.as_deref().filter(|c| !c.trim().is_empty()) {
        None => None,
        Some(_) if offset > 0 => {
            return Err(ApiError::invalid_field(
                "cursor",
                "cannot be given with offset: page either from a cursor or by offset",
            ));
        }
        Some(raw) => Some(case_list::Cursor::decode(raw).ok_or_else(|| {
            ApiError::invalid_field(
                "cursor",
                "is not a cursor this list gave: start again from the first page, without cursor",
            )
        })?),
    };
    let filter = CaseFilter {
        cycle: query.cycle.filter(|c| !c.is_empty()),
        status: query.status.filter(|s| !s.is_empty()),
        country: query.country.filter(|c| !c.is_empty()),
        min_score: query.min_score,
        text: query.q,
        assigned_to: committee.then(|| actor.user_id.clone()),
        limit,
        offset,
        cursor,
    };
    let page = case_list::search(&state.db, &filter).await?;
    let items = shown_cases(&state, &actor, &page.cases).await?;
    let read: Vec<&str> = items
        .iter()
        .filter(|(_, personal)| *personal)
        .map(|(case, _)| case["id"].as_str().unwrap_or_default())
        .collect();
    state.record_reads(&read, &actor, Through::CaseList).await?;
    let items: Vec<Value> = items.into_iter().map(|(case, _)| case).collect();
    Ok(Json(json!({
        "items": items,
        "total": page.total.count,
        "total_exact": page.total.exact,
        "limit": limit,
        "offset": offset,
        "next_cursor": page.next.as_ref().map(case_list::Cursor::encode),
        "previous_cursor": page.previous.as_ref().map(case_list::Cursor::encode),
    })))
}

/// The case list's rows as this member of staff may see them (a committee member's, under blind review,
/// name no applicant), each with whether it carries personal data.
pub(crate) async fn shown_cases(
    state: &AppState,
    actor: &Actor,
    cases: &[case_list::CaseSummary],
) -> Result<Vec<(Value, bool)>, ApiError> {
    let mut shown = Vec::with_capacity(cases.len());
    for case in cases {
        let blind = actor.role == Role::CommitteeMember
            && projections::cycles::is_blind(&state.db, &case.cycle).await?;
        shown.push(case.shown(&view_of(actor.role, blind)));
    }
    Ok(shown)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ShowQuery {
    /// An RFC 3339 time (`2026-05-01T12:00:00Z`): the application as it stood at that moment, replayed
    /// from the log. Staff but committee members only.
    #[param(value_type = Option<String>, format = DateTime)]
    as_of: Option<String>,
}

#[utoipa::path(
    get,
    operation_id = "show_application",
    path = "/applications/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "The application id"), ShowQuery),
    responses(
        (status = 200, description = "The application (with as_of: as it stood then, and `as_of` in the body)", body = schema::Application),
        (status = 403, description = "forbidden: an administrator reads no application; as_of is not for committee members", body = ErrorBody),
        (status = 404, description = "not_found: no such application, or not one of yours; with as_of, not yet started then", body = ErrorBody),
        (status = 410, description = "destroyed: its personal data was destroyed under the retention schedule", body = ErrorBody),
    ),
    description = "Who: the owner, an assigned committee member, other staff.",
)]
async fn show(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ShowQuery>,
) -> Result<Response, ApiError> {
    match query.as_of {
        None => current(&state, &id, &actor).await,
        Some(raw) => Ok(as_it_stood(&state, &id, &actor, &raw)
            .await?
            .into_response()),
    }
}

/// Time travel: the application as it stood at a moment, folded from its events up to then (never the
/// view of today with parts hidden). For staff who see whole cases; the read is recorded like any other.
async fn as_it_stood(
    state: &AppState,
    id: &str,
    actor: &Actor,
    raw: &str,
) -> Result<Json<Value>, ApiError> {
    let audience = Audience::staff(actor.role);
    if !CASE_STAFF.contains(&actor.role) || audience.view.is_nothing() {
        return Err(ApiError::forbidden());
    }
    let as_of = chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            ApiError::invalid_field("as_of", "must be a time written like 2026-05-01T12:00:00Z")
        })?
        .with_timezone(&chrono::Utc);
    // Today's standing first: an application that is gone (or never was) is answered as such.
    load(state, id).await?;
    let view = state
        .repo
        .application_as_of(id, as_of)
        .await?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "the application had not been started at that time",
            )
        })?;
    state
        .record_reads(&[view.id.as_str()], actor, Through::Api)
        .await?;
    let mut body = render(&view, &audience);
    if let Value::Object(map) = &mut body {
        map.insert("as_of".into(), json!(as_of));
    }
    Ok(Json(body))
}

#[utoipa::path(
    patch,
    path = "/applications/{id}",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = ApplicationPatch,
    responses(
        (status = 200, description = "The application, saved", body = schema::Application),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "application_submitted: only the Help Desk can change it now; conflict: changed at the same moment, reload", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: the owner, while a draft.",
)]
async fn edit(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(patch): ApiJson<ApplicationPatch>,
) -> Result<Response, ApiError> {
    let changes = patch
        .into_changes()
        .map_err(|problems| ApiError::invalid("some values are not valid", problems))?;
    run(
        &state,
        &id,
        &actor,
        ApplicationCommand::SaveDraft { changes },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/submit",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Submitted", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not a draft; cycle_closed", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "incomplete: `missing` lists the paths still to fill in; not_eligible: `reasons` lists the screening rules not met", body = ErrorBody),
    ),
    description = "Who: the owner.",
)]
async fn submit(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    // Submitting is accepting the privacy notice the service shows now.
    let notice = Some(crate::notice::current());
    run(
        &state,
        &id,
        &actor,
        ApplicationCommand::SubmitApplication { notice },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/withdraw",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Withdrawn", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "decision_made: too late to withdraw", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: the owner.",
)]
async fn withdraw(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    run(&state, &id, &actor, ApplicationCommand::WithdrawApplication).await
}

#[utoipa::path(
    put,
    path = "/applications/{id}/preferences",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = PreferencesBody,
    responses(
        (status = 200, description = "The preferences, recorded", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "application_submitted: ask a programme officer", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: the owner while a draft; a programme officer at any time.",
)]
async fn set_preferences(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> Result<Response, ApiError> {
    let command = ApplicationCommand::SetPreferences {
        preferences: body.preferences(),
        reason: body.reason,
    };
    run(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/amendments",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = AmendmentBody,
    responses(
        (status = 200, description = "Amended; `notify_recipients` names who was sent a value that changed", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_submitted: a draft is changed by its applicant", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "not_amendable: `fields` lists the paths that are not personal data", body = ErrorBody),
    ),
    description = "Who: helpdesk.",
)]
async fn amend(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AmendmentBody>,
) -> Result<Json<Value>, ApiError> {
    let changes = body
        .changes()
        .map_err(|problems| ApiError::invalid("some values are not valid", problems))?;
    let command = ApplicationCommand::AmendPersonalData {
        changes,
        reason: body.reason,
        requested_by: body.requested_by,
    };
    let before = load(&state, &id).await?.version;
    state.execute_application(&id, &actor, command).await?;
    let view = load(&state, &id).await?;
    let mut application = render(&view, &audience(&state, &actor, &view).await?);
    if let Value::Object(map) = &mut application {
        map.insert(
            "notify_recipients".into(),
            super::sharing::recipients_to_notify(&view, before),
        );
    }
    Ok(Json(application))
}

#[utoipa::path(
    post,
    path = "/applications/{id}/eligibility",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = EligibilityBody,
    responses(
        (status = 200, description = "Recorded", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn eligibility(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<EligibilityBody>,
) -> Result<Response, ApiError> {
    let command = ApplicationCommand::DetermineEligibility {
        eligible: body.eligible,
        reason: body.reason,
    };
    run(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/recheck",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = RecheckBody,
    responses(
        (status = 200, description = "Recorded: the case is no longer flagged for a check", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "no_recheck_due: no nationality or residence was amended since eligibility was decided or last checked", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "invalid: no note", body = ErrorBody),
    ),
    description = "Who: programme_officer. Records that eligibility and the recipients were checked again after \
                   an amendment of nationality or residence flagged the case (`recheck`), and what was found.",
)]
async fn recheck(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<RecheckBody>,
) -> Result<Response, ApiError> {
    run(
        &state,
        &id,
        &actor,
        ApplicationCommand::RecordRecheck { note: body.note },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/screening-override",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = ScreeningOverrideBody,
    responses(
        (status = 200, description = "Recorded: submission no longer checks the rules named", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: only a draft is screened", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "invalid: no rule or an unknown one named, or no reason given", body = ErrorBody),
    ),
    description = "Who: programme_officer. Waives rules of the cycle's screening (`eligible_nationality`, \
                   `undergraduate_degree`, `work_experience`, `return_home_commitment`) for this draft, with the reason; \
                   recorded as an event.",
)]
async fn override_screening(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ScreeningOverrideBody>,
) -> Result<Response, ApiError> {
    let rules = body.rules()?;
    let command = ApplicationCommand::OverrideScreening {
        rules,
        reason: body.reason,
    };
    run(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/assignments",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = AssignmentBody,
    responses(
        (status = 200, description = "Assigned", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state; member_conflicted: the member declared a conflict", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "not_a_committee_member", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn assign(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AssignmentBody>,
) -> Result<Response, ApiError> {
    let command = ApplicationCommand::AssignCommitteeMember {
        member_id: body.committee_member_id.trim().to_string(),
    };
    run(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/conflicts",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = ConflictBody,
    responses(
        (status = 200, description = "Declared: the member no longer sees the application", body = schema::ConflictDeclared),
        (status = 403, description = "forbidden; not_assigned", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: the assigned committee member.",
)]
async fn declare_conflict(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ConflictBody>,
) -> Result<Json<Value>, ApiError> {
    let command = ApplicationCommand::DeclareConflict {
        reason: body.reason,
    };
    state.execute_application(&id, &actor, command).await?;
    Ok(Json(
        json!({ "application_id": id, "conflict_declared": true }),
    ))
}

#[utoipa::path(
    post,
    path = "/applications/{id}/scores",
    tag = "committee",
    params(("id" = String, Path, description = "The application id")),
    request_body = ScoresBody,
    responses(
        (status = 200, description = "Recorded", body = schema::Scored),
        (status = 403, description = "forbidden; not_assigned; conflict_of_interest", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "invalid: a mark outside 0–10", body = ErrorBody),
    ),
    description = "Who: the assigned committee member, without a conflict.",
)]
async fn score(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ScoresBody>,
) -> Result<Json<Value>, ApiError> {
    let scores = body.scores();
    let total = scores.total();
    state
        .execute_application(
            &id,
            &actor,
            ApplicationCommand::ScoreApplication {
                scores: scores.clone(),
            },
        )
        .await?;
    Ok(Json(
        json!({ "application_id": id, "scores": scores, "total": total }),
    ))
}

#[utoipa::path(
    post,
    path = "/applications/{id}/decision",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "Decided", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn decide(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Response, ApiError> {
    let outcome = Outcome::parse(body.outcome.trim()).ok_or_else(|| {
        ApiError::invalid_field("outcome", "must be selected, reserve or unsuccessful")
    })?;
    run(
        &state,
        &id,
        &actor,
        ApplicationCommand::RecordDecision {
            outcome,
            reserve_position: None,
        },
    )
    .await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/award",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = AwardBody,
    responses(
        (status = 200, description = "Awarded", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 422, description = "invalid: a value of the terms, an unknown `country`, or a `joint_sponsor_id` that is not a joint sponsor of the register", body = ErrorBody),
        (status = 409, description = "invalid_state: not selected", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn award(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AwardBody>,
) -> Result<Response, ApiError> {
    let terms = body
        .terms()
        .map_err(|problems| ApiError::invalid("some values are not valid", problems))?;
    let joint_sponsor_id = body
        .joint_sponsor_id
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty());
    super::sharing::check_joint_sponsor(&state, joint_sponsor_id.as_deref()).await?;
    let command = ApplicationCommand::MakeAward {
        terms,
        joint_sponsor_id,
    };
    run(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/award/complete",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = CompletionBody,
    responses(
        (status = 200, description = "Completed: an alumnus", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not awarded", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn complete_award(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CompletionBody>,
) -> Result<Response, ApiError> {
    let (outcome, completed_on) = body
        .parse()
        .map_err(|problems| ApiError::invalid("some values are not valid", problems))?;
    let command = ApplicationCommand::CompleteAward {
        outcome,
        completed_on,
    };
    run(&state, &id, &actor, command).await
}

/// Runs a correction, and answers with the application and the recipients who were sent an old value, to
/// be told (`notify_recipients`).
async fn corrected(
    state: &AppState,
    id: &str,
    actor: &Actor,
    command: ApplicationCommand,
) -> Result<Json<Value>, ApiError> {
    let before = load(state, id).await?.version;
    state.execute_application(id, actor, command).await?;
    let view = load(state, id).await?;
    let mut application = render(&view, &audience(state, actor, &view).await?);
    if let Value::Object(map) = &mut application {
        map.insert(
            "notify_recipients".into(),
            super::sharing::recipients_to_notify(&view, before),
        );
    }
    Ok(Json(application))
}

#[utoipa::path(
    post,
    path = "/applications/{id}/award/correction",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = AwardCorrectionBody,
    responses(
        (status = 200, description = "Corrected; `notify_recipients` lists who was sent an old value, to be told", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_awarded: no award was made", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "invalid: no reason, a bad value, or nothing that differs from the award", body = ErrorBody),
    ),
    description = "Who: programme_officer. Corrects the terms of an award made or completed (the fields given \
                   replace those recorded); the published lists follow, and recipients who were sent an old \
                   value are listed to be told (rectification notices).",
)]
async fn correct_award(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AwardCorrectionBody>,
) -> Result<Json<Value>, ApiError> {
    let mut problems = Vec::new();
    let start_date = body
        .start_date
        .as_deref()
        .and_then(|raw| wire::parse_date("start_date", raw, &mut problems));
    if !problems.is_empty() {
        return Err(ApiError::invalid("some values are not valid", problems));
    }
    let command = ApplicationCommand::CorrectAwardTerms {
        institution: body.institution,
        course: body.course,
        level: body.level,
        start_date,
        reason: body.reason,
    };
    corrected(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/award/complete/correction",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = CompletionCorrectionBody,
    responses(
        (status = 200, description = "Corrected", body = schema::Application),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "not_completed: the award is not completed", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
        (status = 422, description = "invalid: no reason or no outcome", body = ErrorBody),
    ),
    description = "Who: programme_officer. Corrects the outcome recorded when the award was completed; the Open \
                   Book follows.",
)]
async fn correct_completion(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CompletionCorrectionBody>,
) -> Result<Json<Value>, ApiError> {
    let command = ApplicationCommand::CorrectCompletionOutcome {
        outcome: body.outcome,
        reason: body.reason,
    };
    corrected(&state, &id, &actor, command).await
}

#[utoipa::path(
    post,
    path = "/applications/{id}/immigration-records",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    request_body = ImmigrationBody,
    responses(
        (status = 201, description = "Recorded", body = schema::RecordCreated),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 409, description = "invalid_state: not awarded", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn record_immigration(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ImmigrationBody>,
) -> Result<impl IntoResponse, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?;
    let view = load(&state, &id).await?;
    let mut problems = Vec::new();
    let issued_on = wire::parse_date("issued_on", &body.issued_on, &mut problems)
        .ok_or_else(|| ApiError::invalid("some values are not valid", problems))?;
    let record_id = uuid::Uuid::now_v7().to_string();
    let command = ImmigrationCommand::RecordImmigrationDocument {
        application_id: view.id.clone(),
        applicant_id: view.applicant_id.clone(),
        application_status: view.status,
        kind: body.kind,
        reference: body.reference,
        issued_on,
    };
    state
        .execute_immigration(&record_id, actor, command)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "record_id": record_id }))))
}

#[utoipa::path(
    get,
    path = "/applications/{id}/immigration-records",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "The records still kept", body = Vec<schema::ImmigrationRecord>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn list_immigration(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?;
    load(&state, &id).await?;
    let records = immigration_records::for_application(&state.db, &id).await?;
    state
        .record_reads(&[id.as_str()], actor, Through::ImmigrationRecords)
        .await?;
    Ok(Json(json!(records)))
}

/// Who read the application's personal data, oldest first: for the information officer.
#[utoipa::path(
    get,
    path = "/applications/{id}/reads",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Who read its personal data, oldest first", body = Vec<schema::Read>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: information_officer.",
)]
async fn reads(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::InformationOfficer])?;
    load(&state, &id).await?;
    let reads: Vec<Value> = access_log::of_application(&state.db, &id)
        .await?
        .into_iter()
        .map(|read| {
            json!({
                "at": read.at,
                "reader_id": read.reader_id,
                "reader_name": read.reader_name,
                "reader_role": read.reader_role,
                "through": read.through,
            })
        })
        .collect();
    Ok(Json(json!(reads)))
}

#[utoipa::path(
    get,
    path = "/applications/{id}/history",
    tag = "applications",
    params(("id" = String, Path, description = "The application id")),
    responses(
        (status = 200, description = "Every event, oldest first (for the Help Desk, the amendments only)", body = Vec<schema::HistoryItem>),
        (status = 403, description = "forbidden", body = ErrorBody),
        (status = 404, description = "not_found", body = ErrorBody),
        (status = 410, description = "destroyed", body = ErrorBody),
    ),
    description = "Who: programme and information officers (every event), the Help Desk (the amendments).",
)]
async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&CASE_STAFF)?;
    // The whole history for those who see it (`domain::access`); the amendments' for the Help Desk.
    let shown = view_of(actor.role, false);
    let whole = shown.shows(domain::access::Section::Timeline);
    if !whole && !shown.shows(domain::access::Section::Amendments) {
        return Err(ApiError::forbidden());
    }
    load(&state, &id).await?;
    let entries = state
        .repo
        .history(
            <domain::application::Application as cqrs_es::Aggregate>::TYPE,
            &id,
        )
        .await?;
    let entries: Vec<Value> = entries
        .into_iter()
        .filter(|entry| whole || entry.event_type == "PersonalDataAmended")
        .map(|entry| {
            json!({
                "sequence": entry.sequence,
                "type": entry.event_type,
                "at": entry.metadata.at,
                "actor": entry.metadata.actor_id,
                "actor_role": entry.metadata.actor_role.as_str(),
            })
        })
        .collect();
    Ok(Json(json!(entries)))
}
