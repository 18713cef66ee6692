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

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(holidays, add_holiday, due_dates,))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/calendar/holidays", get(holidays).post(add_holiday))
        .route("/calendar/due-dates", get(due_dates))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    /// 2015 to 2100; this year unless given.
    #[param(pattern = "^(201[5-9]|20[2-9][0-9]|2100)$")]
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

/// What this module answers, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::NaiveDate;
    use utoipa::ToSchema;

    #[derive(ToSchema)]
    pub struct Holiday {
        date: NaiveDate,
        /// `england-and-wales`, `scotland` or `northern-ireland`.
        region: String,
        name: String,
    }

    #[derive(ToSchema)]
    pub struct HolidayAdded {
        date: NaiveDate,
        region: String,
        name: String,
        /// False where the day was already a holiday there.
        added: bool,
    }

    #[derive(ToSchema)]
    pub struct DueDates {
        kind: String,
        received_on: NaiveDate,
        /// The EtP target: the 20th UK working day after receipt.
        due_on: NaiveDate,
        /// The law's limit: the same as `due_on` for FOI, one calendar month for a SAR.
        statutory_due_on: NaiveDate,
    }
}

/// The bank holidays of a year in every part of the UK (anyone may ask).
#[utoipa::path(
    get,
    path = "/calendar/holidays",
    tag = "calendar",
    security(()),
    params(YearQuery),
    responses(
        (status = 200, description = "The bank holidays of every UK region", body = Vec<schema::Holiday>),
    ),
    description = "Who: anyone, without a token.",
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
struct HolidayBody {
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    date: String,
    /// `england-and-wales`, `scotland` or `northern-ireland`.
    region: String,
    name: String,
}

/// An officer adds a bank holiday proclaimed at short notice; the deadlines of open requests move with it.
#[utoipa::path(
    post,
    path = "/calendar/holidays",
    tag = "calendar",
    request_body = HolidayBody,
    responses(
        (status = 201, description = "Added; the dates of open requests moved", body = schema::HolidayAdded),
        (status = 200, description = "Already a holiday there", body = schema::HolidayAdded),
        (status = 403, description = "forbidden", body = ErrorBody),
    ),
    description = "Who: information_officer, admin.",
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct DueQuery {
    /// `foi` or `sar`.
    #[param(required = true, value_type = String, pattern = "^(foi|sar)$")]
    kind: Option<String>,
    /// YYYY-MM-DD, from 2015 to 2099.
    #[param(required = true, value_type = String, format = Date, pattern = "^20(1[5-9]|[2-9][0-9])-")]
    received_on: Option<String>,
}

/// The deadlines of a request received on a day (a public calculator): FOI, the 20th working day after;
/// SAR, the EtP target of 20 working days and the statutory calendar month.
#[utoipa::path(
    get,
    path = "/calendar/due-dates",
    tag = "calendar",
    security(()),
    params(DueQuery),
    responses(
        (status = 200, description = "The deadlines", body = schema::DueDates),
    ),
    description = "Who: anyone, without a token (a public deadline calculator).",
)]
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
