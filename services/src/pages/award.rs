//! The programme officer's award page of a case (`/cases/{id}/administration`): the offer, the supervisor, the report
//! schedule and the progress reports, the institution's result and the completion it gives the outcome of. Each form posts to
//! `/cases/{id}/administration/{action}`; a refusal shows the page again with the message at the field and the
//! values typed kept.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use domain::Role;
use domain::application::award::{
    OfferState, ProgressRating, ProgressReport, QualificationResult, ReportSource, Supervisor,
};
use domain::application::{ApplicationCommand, Status};
use projections::application_view::ApplicationView;

use super::applicant::{problems_of, status_text};
use super::session::field;
use super::{ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, see_other};
use crate::bus::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/administration", get(award_page))
        .route("/cases/{id}/administration/{action}", post(act))
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

fn done_text(action: &str) -> Option<&'static str> {
    Some(match action {
        "offer" => "The offer has been made and the applicant sent the offer letter.",
        "supervisor" => "The supervisor has been recorded.",
        "schedule" => "The report schedule has been set.",
        "report" => "The progress report has been recorded.",
        "result" => "The result has been recorded.",
        "complete" => "The award has been completed.",
        _ => return None,
    })
}

fn offer_text(state: OfferState) -> &'static str {
    match state {
        OfferState::Open => "Waiting for the applicant's reply",
        OfferState::Accepted => "Accepted",
        OfferState::Declined => "Declined",
        OfferState::Lapsed => "Lapsed: not answered by the reply-by date",
    }
}

async fn award_page(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, PageError> {
    session.require(&[Role::ProgrammeOfficer])?;
    let view = super::application_or_gone(&state.db, &id).await?;
    let notice = done.done.as_deref().and_then(done_text).map(str::to_string);
    let reference = reference_of(&state, &view).await?;
    Ok(page(
        &session,
        &view,
        &reference,
        Vec::new(),
        &Map::new(),
        notice,
        StatusCode::OK,
    )
    .into_response())
}

/// The application's short reference, shown at the top of the award page.
async fn reference_of(state: &AppState, view: &ApplicationView) -> Result<String, PageError> {
    Ok(crate::letters::application_reference(&state.db, &view.id)
        .await
        .map_err(crate::http::error::ApiError::from)?)
}

/// The award page, with the errors of a refused form and the values posted in it.
fn page<'a>(
    session: &'a Session,
    view: &ApplicationView,
    reference: &str,
    errors: Vec<ErrorItem>,
    posted: &Map<String, Value>,
    notice: Option<String>,
    status: StatusCode,
) -> Page<'a> {
    let administration = &view.administration;
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let today = Utc::now().date_naive();
    let outstanding = administration.outstanding(terms);
    let schedule: Vec<Value> = administration
        .schedule(terms)
        .into_iter()
        .map(|due| {
            let report = administration
                .reports
                .iter()
                .find(|report| report.due_on == Some(due));
            let state = match report {
                Some(_) => "Received",
                None if due < today => "Overdue",
                None => "Due",
            };
            json!({"due_on": long_date(due), "state": state, "overdue": report.is_none() && due < today})
        })
        .collect();
    let reports: Vec<Value> = administration
        .reports
        .iter()
        .map(|recorded| {
            let report = recorded.report.as_ref();
            json!({
                "recorded_on": long_date(recorded.recorded_at.date_naive()),
                "period": report.map(|r| r.period.clone()),
                "rating": report.map(|r| r.rating.in_words()),
                "source": recorded.source.in_words(),
                "text": report.map(|r| r.text.clone()),
                "due_on": recorded.due_on.map(long_date),
            })
        })
        .collect();
    let offer = administration.offer.as_ref().map(|offer| {
        json!({
            "reply_by": long_date(offer.reply_by),
            "state": offer_text(offer.state),
            "answered_on": offer.answered_on.map(long_date),
        })
    });
    let awarded = matches!(view.status, Status::Awarded | Status::Alumni);
    let supervisor = administration.supervisor.as_ref().map(|s| json!(s));
    let history: Vec<Value> = administration
        .supervisor_history
        .iter()
        .map(|change| {
            json!({
                "on": long_date(change.recorded_at.date_naive()),
                "name": change.supervisor.as_ref().map(|s| s.name.clone()),
                "institution": change.supervisor.as_ref().map(|s| s.institution.clone()),
            })
        })
        .collect();
    let result = administration
        .result
        .as_ref()
        .and_then(|r| r.result.as_ref())
        .map(|r| {
            json!({"qualification": r.qualification, "result": r.result,
                   "released_on": long_date(r.released_on), "released_by": r.released_by})
        });
    // Each field's error, by its id, to show beside it.
    let mut field_errors = Map::new();
    for error in &errors {
        if let Some(id) = error.href.strip_prefix('#') {
            field_errors.insert(id.to_string(), json!(error.message));
        }
    }
    let ratings: Vec<Value> = ProgressRating::ALL
        .iter()
        .map(|rating| json!({"value": rating.as_str(), "label": rating.in_words()}))
        .collect();
    Page::new("award", "Award administration", Some(session))
        .data(json!({
            "application": {"id": view.id, "cycle": view.cycle, "name": view.form.personal.full_name, "reference": reference},
            "status": status_text(view.status),
            "offer": offer,
            "can_offer": view.status == Status::Selected && administration.offer.is_none(),
            "awarded": awarded,
            "supervisor": supervisor,
            "supervisor_history": history,
            "schedule": schedule,
            "outstanding": outstanding.len(),
            "reports": reports,
            "result": result,
            // The completion's outcome comes from the result released; the officer may write another.
            "can_complete": view.status == Status::Awarded,
            "completion_outcome": administration.result.as_ref()
                .and_then(|r| r.result.as_ref())
                .map(|r| r.outcome()),
            "completed": view.award.as_ref().and_then(|award| award.completed_on.map(|on| json!({
                "on": long_date(on), "outcome": award.completion_outcome,
            }))),
            "ratings": ratings,
            "posted": posted,
            "field_errors": field_errors,
        }))
        .errors(errors)
        .notice(notice)
        .status(status)
}

fn text(form: &[(String, String)], name: &str) -> String {
    field(form, name).unwrap_or_default().trim().to_string()
}

/// The date a date field holds, or an error at the field.
fn date(
    form: &[(String, String)],
    name: &str,
    id: &str,
    label: &str,
    errors: &mut Vec<ErrorItem>,
) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(&text(form, name), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.push(ErrorItem::new(
                id,
                format!("Enter the {label} as a real date"),
            ));
            None
        }
    }
}

/// The command a form asks for, or the errors to show at its fields.
async fn command_of(
    state: &AppState,
    action: &str,
    form: &[(String, String)],
) -> Result<Result<ApplicationCommand, Vec<ErrorItem>>, PageError> {
    let mut errors = Vec::new();
    let command = match action {
        "offer" => {
            let reply_by = if text(form, "reply_by").is_empty() {
                crate::awards::default_reply_by(state, Utc::now().date_naive()).await?
            } else {
                match date(
                    form,
                    "reply_by",
                    "offer_reply_by",
                    "reply-by date",
                    &mut errors,
                ) {
                    Some(date) => date,
                    None => return Ok(Err(errors)),
                }
            };
            ApplicationCommand::MakeOffer { reply_by }
        }
        "supervisor" => ApplicationCommand::RecordSupervisor {
            supervisor: Supervisor {
                name: text(form, "name"),
                email: text(form, "email"),
                institution: text(form, "institution"),
                department: text(form, "department"),
            },
        },
        "schedule" => {
            let mut due = Vec::new();
            for line in text(form, "due")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                match NaiveDate::parse_from_str(line, "%Y-%m-%d") {
                    Ok(date) => due.push(date),
                    Err(_) => {
                        errors.push(ErrorItem::new(
                            "schedule_due",
                            format!(
                                "Enter each date as a real date, like 2027-01-31 (not \"{line}\")"
                            ),
                        ));
                        return Ok(Err(errors));
                    }
                }
            }
            ApplicationCommand::SetReportSchedule { due }
        }
        "report" => {
            let source = ReportSource::parse(&text(form, "source"));
            let rating = ProgressRating::parse(&text(form, "rating"));
            if source.is_none() {
                errors.push(ErrorItem::new(
                    "report_source",
                    "Select who the report came from",
                ));
            }
            if rating.is_none() {
                errors.push(ErrorItem::new("report_rating", "Select the rating"));
            }
            let (Some(source), Some(rating)) = (source, rating) else {
                return Ok(Err(errors));
            };
            ApplicationCommand::RecordProgressReport {
                report_id: uuid::Uuid::now_v7().to_string(),
                source,
                report: ProgressReport {
                    period: text(form, "period"),
                    rating,
                    text: text(form, "text"),
                },
            }
        }
        "result" => {
            let Some(released_on) = date(
                form,
                "released_on",
                "result_released_on",
                "date the result was released",
                &mut errors,
            ) else {
                return Ok(Err(errors));
            };
            ApplicationCommand::RecordResult {
                result: QualificationResult {
                    qualification: text(form, "qualification"),
                    result: text(form, "result"),
                    released_on,
                    released_by: text(form, "released_by"),
                },
            }
        }
        "complete" => {
            let Some(completed_on) = date(
                form,
                "completed_on",
                "complete_completed_on",
                "date the studies were completed",
                &mut errors,
            ) else {
                return Ok(Err(errors));
            };
            // Empty: the outcome the institution's result gives, or the domain's refusal without one.
            ApplicationCommand::CompleteAward {
                outcome: text(form, "outcome"),
                completed_on,
            }
        }
        _ => return Err(PageError::NotFound),
    };
    Ok(Ok(command))
}

async fn act(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, action)): PagePath<(String, String)>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session.require(&[Role::ProgrammeOfficer])?;
    super::application_or_gone(&state.db, &id).await?;
    let refused = match command_of(&state, &action, &form).await? {
        Err(errors) => Some((errors, StatusCode::UNPROCESSABLE_ENTITY)),
        Ok(command) => match state
            .execute_application(&id, &session.actor, command)
            .await
            .map_err(crate::http::error::ApiError::from)
        {
            Ok(()) => None,
            Err(error)
                if matches!(
                    error.status,
                    StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT
                ) =>
            {
                let mut errors: Vec<ErrorItem> = problems_of(&error)
                    .into_iter()
                    .map(|(path, problem)| {
                        ErrorItem::new(&format!("{action}_{path}"), super::capitalise(&problem))
                    })
                    .collect();
                if errors.is_empty() {
                    errors.push(ErrorItem::new(&action, super::capitalise(&error.message)));
                }
                Some((errors, error.status))
            }
            Err(error) => return Err(error.into()),
        },
    };
    match refused {
        None => Ok(see_other(
            &format!("/cases/{id}/administration?done={action}"),
            &[],
        )),
        Some((errors, status)) => {
            let view = super::application_or_gone(&state.db, &id).await?;
            let mut posted = Map::new();
            let mut values = Map::new();
            for (name, value) in form.iter().filter(|(name, _)| name != "csrf_token") {
                values.insert(name.clone(), json!(value));
            }
            posted.insert(action.clone(), Value::Object(values));
            let reference = reference_of(&state, &view).await?;
            Ok(page(&session, &view, &reference, errors, &posted, None, status).into_response())
        }
    }
}
