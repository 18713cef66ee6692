//! The information officer's retention page: what falls due when, what is held, what was destroyed.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use serde_json::json;

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

async fn overview(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    let today = Utc::now().date_naive();
    let line = |record: &retention::DueRecord| {
        json!({
            "what": describe(record.rule.as_str()),
            "id": record.aggregate_id,
            "application": record.aggregate_type == "Application",
            "due_on": record.due_on.to_string(),
        })
    };
    let overdue: Vec<_> = retention::due_by(&state.db, today)
        .await?
        .iter()
        .map(line)
        .collect();
    let upcoming: Vec<_> = retention::upcoming(&state.db, today, 100)
        .await?
        .iter()
        .map(line)
        .collect();
    let holds = crate::retention::standing_holds(&state, today)
        .await
        .map_err(crate::http::error::ApiError::internal)?;
    let past_statutory_date = crate::retention::requests_past_statutory_date(&holds, today);
    let held: Vec<_> = holds
        .iter()
        .map(|hold| {
            json!({
                "what": stream_kind(&hold.aggregate_type),
                "id": hold.aggregate_id,
                "application": hold.aggregate_type == "Application",
                "legal_hold": hold.kind == "legal_hold",
                "request_id": hold.request.as_ref().map(|request| request.id.clone()),
                "past_statutory_date": hold.request.as_ref().is_some_and(|request| request.past_statutory_date),
                "reason": hold.reason,
                "since": hold.since.to_string(),
                "age_days": hold.age_days,
            })
        })
        .collect();
    let failures: Vec<_> = retention::failures(&state.db)
        .await?
        .into_iter()
        .map(|failure| {
            json!({
                "what": stream_kind(&failure.aggregate_type),
                "id": failure.aggregate_id,
                "application": failure.aggregate_type == "Application",
                "rule": describe(&failure.rule),
                "source": failure_source(&failure.source),
                "cause": failure.cause,
                "since": failure.first_failed_at.format("%-d %b %Y").to_string(),
                "attempts": failure.attempts,
            })
        })
        .collect();
    let destroyed: Vec<_> = retention::destroyed(&state.db, 100)
        .await?
        .into_iter()
        .map(|d| json!({"what": describe(&d.rule), "id": d.aggregate_id, "on": d.destroyed_on.to_string()}))
        .collect();
    let long = |day: chrono::NaiveDate| day.format("%-d %B %Y").to_string();
    let cycles: Vec<_> = crate::conclusion::cycles(&state)
        .await?
        .into_iter()
        .map(|c| {
            json!({
                "cycle": c.cycle,
                "concluded_on": c.concluded_on.map(long),
                "automatic": c.concluded_automatically.unwrap_or(false),
                "automatic_conclusion_on": long(c.automatic_conclusion_on),
            })
        })
        .collect();
    Ok(Page::new("retention", "Retention", Some(&session))
        .data(json!({
            "cycles": cycles,
            "today": today.to_string(),
            "overdue": overdue,
            "upcoming": upcoming,
            "past_statutory_date": past_statutory_date,
            "held": held,
            "failures": failures,
            "destroyed": destroyed,
        }))
        .into_response())
}
