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
use crate::app::AppState;

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
        _ => "Record",
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
    let held: Vec<_> = retention::holds(&state.db)
        .await?
        .into_iter()
        .map(|hold| json!({"id": hold.aggregate_id, "reason": hold.reason, "since": hold.placed_at.format("%-d %b %Y").to_string()}))
        .collect();
    let destroyed: Vec<_> = retention::destroyed(&state.db, 100)
        .await?
        .into_iter()
        .map(|d| json!({"what": describe(&d.rule), "id": d.aggregate_id, "on": d.destroyed_on.to_string()}))
        .collect();
    Ok(Page::new("retention", "Retention", Some(&session))
        .data(json!({
            "today": today.to_string(),
            "overdue": overdue,
            "upcoming": upcoming,
            "held": held,
            "destroyed": destroyed,
        }))
        .into_response())
}
