//! The programme officer's award page of a case (`/cases/{id}/administration`): the offer, the supervisor, the report
//! schedule and the progress reports, the institution's result and the completion it gives the outcome of. Each form posts to
//! `/cases/{id}/administration/{action}`; a refusal shows the page again with the message at the field and the
//! values typed kept.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::application::award::{
    OfferState, ProgressRating, ProgressReport, QualificationResult, ReportSource, Supervisor,
};
use domain::application::{ApplicationCommand, Status};
use projections::application_view::ApplicationView;

use super::applicant::{problems_of, status_text};
use super::session::field;
use super::staff::parse_date;
use super::{
    DateParts, ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, see_other,
};
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
    let view = super::application_or_gone(&state, &id).await?;
    let notice = done.done.as_deref().and_then(done_text).map(str::to_string);
    let reference = reference_of(&state, &view).await?;
    Ok(page(
        &session,
        &view,
        &reference,
        Vec::new(),
        &Posted::new(),
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

/// What a refused form posted, by the form's action and then by each field's name, to show it again.
type Posted = BTreeMap<String, BTreeMap<String, String>>;

/// The award page's context: the case it is about, and each part of the award's administration with the
/// form that changes it; a refused form's values and the message at each field.
#[derive(Serialize)]
struct AwardPage<'a> {
    application: Case<'a>,
    status: &'static str,
    offer: Option<OfferRow>,
    can_offer: bool,
    awarded: bool,
    supervisor: Option<&'a Supervisor>,
    supervisor_history: Vec<SupervisorRow>,
    schedule: Vec<DueRow>,
    /// How many progress reports are outstanding.
    outstanding: usize,
    reports: Vec<ReportRow>,
    result: Option<ResultRow<'a>>,
    can_complete: bool,
    /// The completion's outcome, from the result released; the officer may write another.
    completion_outcome: Option<String>,
    completed: Option<Completed<'a>>,
    ratings: Vec<RatingChoice>,
    posted: &'a Posted,
    /// The date inputs' parts, as a refused form posted them.
    dates: Dates,
    /// Each field's message, by the field's id.
    field_errors: BTreeMap<String, String>,
}

/// The three parts of each date input of the page, by the field's id.
#[derive(Serialize)]
struct Dates {
    offer_reply_by: DateParts,
    result_released_on: DateParts,
    complete_completed_on: DateParts,
}

impl Dates {
    fn posted(posted: &Posted) -> Self {
        let parts = |action: &str, name: &str| {
            DateParts::of(None, |part| {
                posted
                    .get(action)
                    .and_then(|values| values.get(&format!("{name}-{part}")))
                    .cloned()
            })
        };
        Self {
            offer_reply_by: parts("offer", "reply_by"),
            result_released_on: parts("result", "released_on"),
            complete_completed_on: parts("complete", "completed_on"),
        }
    }
}

/// The case the page is about, named at its top.
#[derive(Serialize)]
struct Case<'a> {
    id: &'a str,
    cycle: &'a str,
    name: &'a Option<String>,
    reference: &'a str,
}

/// The offer made, in words.
#[derive(Serialize)]
struct OfferRow {
    reply_by: String,
    state: &'static str,
    answered_on: Option<String>,
}

/// A change of supervisor (`None` where destroyed).
#[derive(Serialize)]
struct SupervisorRow {
    on: String,
    name: Option<String>,
    institution: Option<String>,
}

/// A day a progress report falls due, and whether it came.
#[derive(Serialize)]
struct DueRow {
    due_on: String,
    state: &'static str,
    overdue: bool,
}

/// A progress report recorded (`None` where its text was destroyed).
#[derive(Serialize)]
struct ReportRow {
    recorded_on: String,
    period: Option<String>,
    rating: Option<&'static str>,
    source: &'static str,
    text: Option<String>,
    due_on: Option<String>,
}

/// The result the institution released.
#[derive(Serialize)]
struct ResultRow<'a> {
    qualification: &'a str,
    result: &'a str,
    released_on: String,
    released_by: &'a str,
}

/// The award's completion, in words.
#[derive(Serialize)]
struct Completed<'a> {
    on: String,
    outcome: &'a Option<String>,
}

/// A rating of a progress report, as a radio button.
#[derive(Serialize)]
struct RatingChoice {
    value: &'static str,
    label: &'static str,
}

/// The award page, with the errors of a refused form and the values posted in it.
fn page<'a>(
    session: &'a Session,
    view: &ApplicationView,
    reference: &str,
    errors: Vec<ErrorItem>,
    posted: &Posted,
    notice: Option<String>,
    status: StatusCode,
) -> Page<'a> {
    let administration = &view.administration;
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let today = Utc::now().date_naive();
    let outstanding = administration.outstanding(terms);
    let schedule: Vec<DueRow> = administration
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
            DueRow {
                due_on: long_date(due),
                state,
                overdue: report.is_none() && due < today,
            }
        })
        .collect();
    let reports: Vec<ReportRow> = administration
        .reports
        .iter()
        .map(|recorded| {
            let report = recorded.report.as_ref();
            ReportRow {
                recorded_on: long_date(recorded.recorded_at.date_naive()),
                period: report.map(|r| r.period.clone()),
                rating: report.map(|r| r.rating.in_words()),
                source: recorded.source.in_words(),
                text: report.map(|r| r.text.clone()),
                due_on: recorded.due_on.map(long_date),
            }
        })
        .collect();
    let offer = administration.offer.as_ref().map(|offer| OfferRow {
        reply_by: long_date(offer.reply_by),
        state: offer_text(offer.state),
        answered_on: offer.answered_on.map(long_date),
    });
    let history: Vec<SupervisorRow> = administration
        .supervisor_history
        .iter()
        .map(|change| SupervisorRow {
            on: long_date(change.recorded_at.date_naive()),
            name: change.supervisor.as_ref().map(|s| s.name.clone()),
            institution: change.supervisor.as_ref().map(|s| s.institution.clone()),
        })
        .collect();
    let released = administration
        .result
        .as_ref()
        .and_then(|r| r.result.as_ref());
    let field_errors = errors
        .iter()
        .filter_map(|error| {
            let id = error.href.strip_prefix('#')?;
            Some((id.to_string(), error.message.clone()))
        })
        .collect();
    let context = AwardPage {
        application: Case {
            id: &view.id,
            cycle: &view.cycle,
            name: &view.form.personal.full_name,
            reference,
        },
        status: status_text(view.status),
        offer,
        can_offer: view.status == Status::Selected && administration.offer.is_none(),
        awarded: matches!(view.status, Status::Awarded | Status::Alumni),
        supervisor: administration.supervisor.as_ref(),
        supervisor_history: history,
        schedule,
        outstanding: outstanding.len(),
        reports,
        result: released.map(|r| ResultRow {
            qualification: &r.qualification,
            result: &r.result,
            released_on: long_date(r.released_on),
            released_by: &r.released_by,
        }),
        can_complete: view.status == Status::Awarded,
        completion_outcome: released.map(|r| r.outcome()),
        completed: view.award.as_ref().and_then(|award| {
            award.completed_on.map(|on| Completed {
                on: long_date(on),
                outcome: &award.completion_outcome,
            })
        }),
        ratings: ProgressRating::ALL
            .iter()
            .map(|rating| RatingChoice {
                value: rating.as_str(),
                label: rating.in_words(),
            })
            .collect(),
        posted,
        dates: Dates::posted(posted),
        field_errors,
    };
    Page::new("award", "Award administration", Some(session))
        .data(context)
        .errors(errors)
        .notice(notice)
        .status(status)
}

fn text(form: &[(String, String)], name: &str) -> String {
    field(form, name).unwrap_or_default().trim().to_string()
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
            // Left empty, the offer is to be answered by the tenth UK working day after today.
            let reply_by = if super::posted_date(form, "reply_by") == Ok(None) {
                crate::awards::default_reply_by(state, Utc::now().date_naive()).await?
            } else {
                match parse_date(form, "reply_by", "offer", "Reply-by date", &mut errors) {
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
            let Some(released_on) =
                parse_date(form, "released_on", "result", "Date released", &mut errors)
            else {
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
            let Some(completed_on) = parse_date(
                form,
                "completed_on",
                "complete",
                "Date completed",
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
    super::application_or_gone(&state, &id).await?;
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
            let view = super::application_or_gone(&state, &id).await?;
            let values = form
                .iter()
                .filter(|(name, _)| name != "csrf_token")
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            let posted = Posted::from([(action.clone(), values)]);
            let reference = reference_of(&state, &view).await?;
            Ok(page(&session, &view, &reference, errors, &posted, None, status).into_response())
        }
    }
}
