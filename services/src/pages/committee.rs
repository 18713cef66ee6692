//! The committee's pages: the applications assigned to a member, each with the scoring form and the
//! declaration of a conflict of interest. A member never sees the preferences, immigration records or
//! disclosures, nor an application they are not assigned to or have declared a conflict on.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::access::view_of;
use domain::application::events::Scores;
use domain::application::form::PersonalField;
use domain::application::{ApplicationCommand, Status};
use projections::application_view::{self, ApplicationView};
use projections::case_list::{self, CaseFilter};

use super::applicant::{AnswerSection, problems_of, shown_answers};
use super::session::field;
use super::{ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, see_other};
use crate::bus::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/committee", get(assignments))
        .route("/committee/{id}", get(application))
        .route("/committee/{id}/scores", post(score))
        .route("/committee/{id}/conflicts", post(declare_conflict))
}

const CRITERIA: [(&str, &str); 4] = [
    ("leadership", "Leadership"),
    ("networking", "Networking"),
    ("study_plan", "Study plan"),
    ("career_plan", "Career plan"),
];

/// What a member's list of assignments shows: the applications assigned to them.
#[derive(Serialize)]
struct AssignmentsPage<'a> {
    cases: Vec<Assignment<'a>>,
}

/// An application assigned to the member: its applicant's name where the member may see it (otherwise its
/// reference), its cycle, its status in words and whether the member has scored it.
#[derive(Serialize)]
struct Assignment<'a> {
    id: &'a str,
    name: Option<&'a str>,
    cycle: &'a str,
    reference: Option<&'a String>,
    status: String,
    scored: bool,
}

async fn assignments(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, PageError> {
    let member = session.require(&[Role::CommitteeMember])?;
    let filter = CaseFilter {
        assigned_to: Some(member.user_id.clone()),
        limit: 500,
        ..CaseFilter::default()
    };
    let cases = case_list::search(&state.db, &filter).await?.cases;
    let ids: Vec<&str> = cases.iter().map(|case| case.id.as_str()).collect();
    let references = projections::references::of_many(&state.db, &ids).await?;
    let mut rows = Vec::new();
    let mut read = Vec::new();
    for case in &cases {
        let scored = application_view::find(&state.db, &state.repo, &case.id)
            .await?
            .is_some_and(|view| own_scores(&view, &member.user_id).is_some());
        let blind = projections::cycles::is_blind(&state.db, &case.cycle).await?;
        let shown = view_of(Role::CommitteeMember, blind);
        let name = case
            .full_name
            .as_ref()
            .filter(|_| shown.shows_field(PersonalField::FullName));
        if name.is_some() {
            read.push(case.id.as_str());
        }
        rows.push(Assignment {
            id: &case.id,
            name: name.map(String::as_str),
            cycle: &case.cycle,
            reference: references.get(&case.id),
            status: crate::words::in_words(&case.status),
            scored,
        });
    }
    state
        .record_reads(
            &read,
            &session.actor,
            projections::access_log::Through::CommitteeList,
        )
        .await?;
    Ok(Page::new("committee", "Your assignments", Some(&session))
        .data(AssignmentsPage { cases: rows })
        .into_response())
}

fn own_scores<'a>(view: &'a ApplicationView, member_id: &str) -> Option<&'a Scores> {
    view.committee
        .iter()
        .find(|m| m.member_id == member_id)
        .and_then(|m| m.scores.as_ref())
}

/// The application, if this member is assigned to it and has no conflict; otherwise it does not exist for them.
async fn assigned(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<ApplicationView, PageError> {
    let member = session.require(&[Role::CommitteeMember])?;
    let view = application_view::find(&state.db, &state.repo, id)
        .await?
        .ok_or(PageError::NotFound)?;
    // Assigned, without a conflict, and only until the cycle is concluded.
    let open = view
        .committee
        .iter()
        .any(|m| m.member_id == member.user_id && m.conflict.is_none())
        && projections::cycles::conclusion(&state.db, &view.cycle)
            .await?
            .is_none();
    if open {
        state
            .record_reads(
                &[view.id.as_str()],
                &session.actor,
                projections::access_log::Through::CommitteePage,
            )
            .await?;
        Ok(view)
    } else {
        Err(PageError::NotFound)
    }
}

#[derive(Deserialize, Default)]
struct Done {
    done: Option<String>,
}

async fn application(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(done): PageQuery<Done>,
) -> Result<Response, PageError> {
    let view = assigned(&state, &session, &id).await?;
    let notice = done
        .done
        .map(|_| "Your scores have been saved.".to_string());
    Ok(application_page(
        &session,
        &view,
        seen_as(&state, &view).await?,
        None,
        Vec::new(),
        notice,
        StatusCode::OK,
    ))
}

/// Whether the application's cycle is reviewed blind, and its short reference (how a blind member names it).
async fn seen_as(state: &AppState, view: &ApplicationView) -> Result<(bool, String), PageError> {
    let blind = projections::cycles::is_blind(&state.db, &view.cycle).await?;
    let reference = crate::letters::application_reference(&state.db, &view.id)
        .await
        .map_err(crate::http::error::ApiError::from)?;
    Ok((blind, reference))
}

/// What the scoring page shows: the application as a member may see it, the scoring form with the member's
/// marks and comment (as kept, or as posted when refused), and whether it may still be scored.
#[derive(Serialize)]
struct ScoringPage<'a> {
    application: Scored<'a>,
    sections: Vec<AnswerSection>,
    criteria: Vec<Criterion>,
    comment: Option<&'a str>,
    scored: bool,
    can_score: bool,
    /// Read-only once decided.
    decided: bool,
}

/// The application being scored: its id and cycle, the applicant's name where the member may see it, and
/// its reference (how a blind member names it).
#[derive(Serialize)]
struct Scored<'a> {
    id: &'a str,
    cycle: &'a str,
    name: Option<&'a str>,
    reference: &'a str,
}

/// A criterion of the scoring form: its select's name and id, its label and its marks from 0 to 10.
#[derive(Serialize)]
struct Criterion {
    key: &'static str,
    id: String,
    label: &'static str,
    options: Vec<Mark>,
}

/// A mark of a criterion's select, and whether it is the one chosen.
#[derive(Serialize)]
struct Mark {
    value: u8,
    selected: bool,
}

fn application_page(
    session: &Session,
    view: &ApplicationView,
    (blind, reference): (bool, String),
    posted: Option<&[(String, String)]>,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    let own = own_scores(view, &session.actor.user_id);
    let criteria = CRITERIA
        .iter()
        .map(|&(key, label)| {
            let current = match posted {
                Some(form) => field(form, key).and_then(|v| v.parse::<u8>().ok()),
                None => own.map(|s| match key {
                    "leadership" => s.leadership,
                    "networking" => s.networking,
                    "study_plan" => s.study_plan,
                    _ => s.career_plan,
                }),
            };
            Criterion {
                key,
                id: format!("scores_{key}"),
                label,
                options: (0..=10)
                    .map(|mark| Mark {
                        value: mark,
                        selected: current == Some(mark),
                    })
                    .collect(),
            }
        })
        .collect();
    let comment = match posted {
        Some(form) => field(form, "comment").map(str::to_string),
        None => own.map(|s| s.comment.clone()),
    };
    // What a member sees (`domain::access`): never the preferences, contact details or date of birth;
    // under blind review neither who the applicant is nor who their referees are.
    let shown = view_of(Role::CommitteeMember, blind);
    let sections = shown_answers(view, &shown);
    let name = view
        .form
        .personal
        .full_name
        .as_deref()
        .filter(|_| shown.shows_field(PersonalField::FullName));
    Page::new(
        "committee_application",
        "Score an application",
        Some(session),
    )
    .data(ScoringPage {
        application: Scored {
            id: &view.id,
            cycle: &view.cycle,
            name,
            reference: &reference,
        },
        sections,
        criteria,
        comment: comment.as_deref(),
        scored: own.is_some(),
        can_score: view.status == Status::UnderReview,
        decided: view.decision.is_some(),
    })
    .errors(errors)
    .notice(notice)
    .status(status)
    .into_response()
}

async fn score(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = assigned(&state, &session, &id).await?;
    let mut errors = Vec::new();
    let mut marks = [0u8; 4];
    for (i, (key, label)) in CRITERIA.iter().enumerate() {
        match field(&form, key).and_then(|v| v.trim().parse::<u8>().ok()) {
            Some(mark) if mark <= Scores::MAX => marks[i] = mark,
            _ => errors.push(ErrorItem::new(
                &format!("scores_{key}"),
                format!("Give {label} a mark from 0 to 10"),
            )),
        }
    }
    if !errors.is_empty() {
        return Ok(application_page(
            &session,
            &view,
            seen_as(&state, &view).await?,
            Some(&form),
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let scores = Scores {
        leadership: marks[0],
        networking: marks[1],
        study_plan: marks[2],
        career_plan: marks[3],
        comment: field(&form, "comment")
            .unwrap_or_default()
            .trim()
            .to_string(),
    };
    match state
        .execute_application(
            &id,
            &session.actor,
            ApplicationCommand::ScoreApplication { scores },
        )
        .await
        .map_err(crate::http::error::ApiError::from)
    {
        Ok(()) => Ok(see_other(&format!("/committee/{id}?done=scores"), &[])),
        Err(error)
            if error.status == StatusCode::UNPROCESSABLE_ENTITY
                || error.status == StatusCode::CONFLICT =>
        {
            let mut errors: Vec<ErrorItem> = problems_of(&error)
                .into_iter()
                .map(|(path, problem)| ErrorItem::new(&format!("scores_{path}"), problem))
                .collect();
            if errors.is_empty() {
                errors.push(ErrorItem::new("scores", error.message.clone()));
            }
            Ok(application_page(
                &session,
                &view,
                seen_as(&state, &view).await?,
                Some(&form),
                errors,
                None,
                error.status,
            ))
        }
        Err(error) => Err(error.into()),
    }
}

async fn declare_conflict(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    assigned(&state, &session, &id).await?;
    let reason = field(&form, "reason").unwrap_or_default().to_string();
    state
        .execute_application(
            &id,
            &session.actor,
            ApplicationCommand::DeclareConflict { reason },
        )
        .await?;
    Ok(see_other("/committee?conflict=1", &[]))
}
