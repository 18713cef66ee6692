//! The information officer's retention page: what falls due when, what is held, what was destroyed.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;

use domain::Role;
use projections::retention;

use super::{Page, PageError, Session};
use crate::bus::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/retention", get(overview))
}

fn describe(rule: &str) -> &'static str {
    match rule {
        "unsuccessful_application" => "Unsuccessful, ineligible or withdrawn application",
        "unsubmitted_draft" => "Application never submitted",
        "immigration_record" => "Immigration record",
        "applicant_account" => "Applicant account",
        "information_request" => "Information request, with its response and letters",
        "erasure_request" => "Record erased on request",
        _ => "Record",
    }
}

/// A kind of stream, in words.
fn stream_kind(aggregate_type: &str) -> &'static str {
    match aggregate_type {
        "Application" => "Application",
        "ImmigrationRecord" => "Immigration record",
        "Account" => "Applicant account",
        _ => "Record",
    }
}

/// Where the sweep met a record it could not destroy, in words.
fn failure_source(source: &str) -> &'static str {
    match source {
        "schedule" => "Due on the schedule",
        "ledger" => "Destroyed again from the ledger",
        "account" => "Applicant account due",
        _ => "Sweep",
    }
}

/// The context of `retention.hbs`: each cycle's conclusion, the records due and soon due, the holds that keep
/// records (and the open requests past their statutory date among them), the records the sweep failed on, and
/// the records destroyed.
#[derive(Serialize)]
struct RetentionPage<'a> {
    cycles: Vec<CycleLine>,
    today: String,
    overdue: Vec<DueLine<'a>>,
    upcoming: Vec<DueLine<'a>>,
    past_statutory_date: Vec<PastDueRequest<'a>>,
    held: Vec<HeldLine<'a>>,
    failures: Vec<FailureLine>,
    destroyed: Vec<DestroyedLine>,
}

/// A cycle: the day it was concluded (and whether by the sweep), or the day the sweep concludes it.
#[derive(Serialize)]
struct CycleLine {
    cycle: String,
    concluded_on: Option<String>,
    automatic: bool,
    automatic_conclusion_on: String,
}

/// A record due for destruction: what it is, its id (linked where it is an application) and its day.
#[derive(Serialize)]
struct DueLine<'a> {
    what: &'static str,
    id: &'a str,
    application: bool,
    due_on: String,
}

impl<'a> DueLine<'a> {
    fn of(record: &'a retention::DueRecord) -> Self {
        Self {
            what: describe(record.rule.as_str()),
            id: &record.aggregate_id,
            application: record.aggregate_type == "Application",
            due_on: record.due_on.to_string(),
        }
    }
}

/// An open request past its statutory date, which keeps the records it holds: once each.
#[derive(Serialize)]
struct PastDueRequest<'a> {
    id: &'a str,
    kind: &'static str,
    received_on: String,
    statutory_due_on: String,
    days_past: i64,
    records: usize,
}

/// A hold keeping a record: a legal hold, or an open request about the person.
#[derive(Serialize)]
struct HeldLine<'a> {
    what: &'static str,
    id: &'a str,
    application: bool,
    legal_hold: bool,
    request_id: Option<&'a str>,
    past_statutory_date: bool,
    reason: &'a str,
    since: String,
    age_days: i64,
}

/// A record the sweep could not destroy: where it met it, why, since when and how often.
#[derive(Serialize)]
struct FailureLine {
    what: &'static str,
    id: String,
    application: bool,
    rule: &'static str,
    source: &'static str,
    cause: String,
    since: String,
    attempts: i64,
}

/// A record destroyed, under which rule and on which day.
#[derive(Serialize)]
struct DestroyedLine {
    what: &'static str,
    id: String,
    on: String,
}

async fn overview(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    let today = Utc::now().date_naive();
    let overdue_records = retention::due_by(&state.db, today).await?;
    let upcoming_records = retention::upcoming(&state.db, today, 100).await?;
    let holds = crate::retention::standing_holds(&state, today)
        .await
        .map_err(crate::http::error::ApiError::internal)?;
    let mut seen = std::collections::BTreeSet::new();
    let past_statutory_date: Vec<PastDueRequest> = holds
        .iter()
        .filter_map(|hold| hold.request.as_ref())
        .filter(|request| request.past_statutory_date && seen.insert(request.id.as_str()))
        .map(|request| PastDueRequest {
            id: &request.id,
            kind: request.kind,
            received_on: request.received_on.to_string(),
            statutory_due_on: request.statutory_due_on.to_string(),
            days_past: (today - request.statutory_due_on).num_days(),
            records: request.records,
        })
        .collect();
    let held: Vec<HeldLine> = holds
        .iter()
        .map(|hold| HeldLine {
            what: stream_kind(&hold.aggregate_type),
            id: &hold.aggregate_id,
            application: hold.aggregate_type == "Application",
            legal_hold: hold.kind == "legal_hold",
            request_id: hold.request.as_ref().map(|request| request.id.as_str()),
            past_statutory_date: hold
                .request
                .as_ref()
                .is_some_and(|request| request.past_statutory_date),
            reason: &hold.reason,
            since: hold.since.to_string(),
            age_days: hold.age_days,
        })
        .collect();
    let failures: Vec<FailureLine> = retention::failures(&state.db)
        .await?
        .into_iter()
        .map(|failure| FailureLine {
            what: stream_kind(&failure.aggregate_type),
            application: failure.aggregate_type == "Application",
            rule: describe(&failure.rule),
            source: failure_source(&failure.source),
            since: failure.first_failed_at.format("%-d %b %Y").to_string(),
            attempts: failure.attempts,
            id: failure.aggregate_id,
            cause: failure.cause,
        })
        .collect();
    let destroyed: Vec<DestroyedLine> = retention::destroyed(&state.db, 100)
        .await?
        .into_iter()
        .map(|d| DestroyedLine {
            what: describe(&d.rule),
            id: d.aggregate_id,
            on: d.destroyed_on.to_string(),
        })
        .collect();
    let long = |day: chrono::NaiveDate| day.format("%-d %B %Y").to_string();
    let cycles: Vec<CycleLine> = crate::conclusion::cycles(&state)
        .await?
        .into_iter()
        .map(|c| CycleLine {
            concluded_on: c.concluded_on.map(long),
            automatic: c.concluded_automatically.unwrap_or(false),
            automatic_conclusion_on: long(c.automatic_conclusion_on),
            cycle: c.cycle,
        })
        .collect();
    Ok(Page::new("retention", "Retention", Some(&session))
        .data(RetentionPage {
            cycles,
            today: today.to_string(),
            overdue: overdue_records.iter().map(DueLine::of).collect(),
            upcoming: upcoming_records.iter().map(DueLine::of).collect(),
            past_statutory_date,
            held,
            failures,
            destroyed,
        })
        .into_response())
}
