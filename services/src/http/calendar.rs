//! The calendar of the Information requests section: bank holidays by year, a public deadline calculator,
//! and proclaimed days added by officers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Datelike, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::calendar::{BankHoliday, FIRST_YEAR, LAST_YEAR};
use projections::calendar;

use super::error::ApiError;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar/holidays", get(holidays).post(add_holiday))
        .route("/calendar/due-dates", get(due_dates))
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<String>,
}

fn parse_year(raw: Option<&str>) -> Result<i32, ApiError> {
    let year = match raw {
        None => Utc::now().year(),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ApiError::invalid_field("year", "must be a year such as 2026"))?,
    };
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(ApiError::invalid_field("year", "must be from 2015 to 2100"));
    }
    Ok(year)
}

/// The bank holidays of a year in every part of the UK (anyone may ask).
async fn holidays(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    let year = parse_year(query.year.as_deref())?;
    let days = calendar::working_days(&state.db).await?.holidays(year);
    let days: Vec<Value> = days
        .iter()
        .map(|h| json!({"date": h.date, "region": h.region.as_str(), "name": h.name}))
        .collect();
    Ok(Json(json!(days)))
}

#[derive(Deserialize)]
struct HolidayBody {
    date: String,
    region: String,
    name: String,
}

/// An officer adds a bank holiday proclaimed at short notice; the deadlines of open requests move with it.
async fn add_holiday(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<HolidayBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = user.require(&[Role::InformationOfficer, Role::Admin])?;
    let date = NaiveDate::parse_from_str(body.date.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid_field("date", "must be a date written YYYY-MM-DD"))?;
    let holiday = BankHoliday::proclaimed(date, &body.region, &body.name)
        .map_err(|(field, problem)| ApiError::invalid_field(field, problem))?;
    let added = calendar::add_holiday(&state.db, &holiday, &actor.user_id).await?;
    Ok((
        if added {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(
            json!({"date": holiday.date, "region": holiday.region.as_str(), "name": holiday.name, "added": added}),
        ),
    ))
}

#[derive(Deserialize)]
struct DueQuery {
    kind: Option<String>,
    received_on: Option<String>,
}

/// The deadlines of a request received on a day (a public calculator): FOI, the 20th working day after;
/// SAR, the EtP target of 20 working days and the statutory calendar month.
async fn due_dates(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DueQuery>,
) -> Result<Json<Value>, ApiError> {
    let received_on = query
        .received_on
        .as_deref()
        .and_then(|raw| NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok())
        .ok_or_else(|| {
            ApiError::invalid_field("received_on", "must be a date written YYYY-MM-DD")
        })?;
    if !(FIRST_YEAR..LAST_YEAR).contains(&received_on.year()) {
        return Err(ApiError::invalid_field(
            "received_on",
            "must be from 2015 to 2099",
        ));
    }
    let calendar = calendar::working_days(&state.db).await?;
    let due_on = calendar.foi_due(received_on);
    let statutory_due_on = match query.kind.as_deref().map(str::trim) {
        Some("foi") => due_on,
        Some("sar") => calendar.sar_statutory_due(received_on),
        _ => return Err(ApiError::invalid_field("kind", "must be foi or sar")),
    };
    Ok(Json(json!({
        "kind": query.kind.as_deref().map(str::trim),
        "received_on": received_on,
        "due_on": due_on,
        "statutory_due_on": statutory_due_on,
    })))
}
