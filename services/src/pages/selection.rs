//! The selection page of a cycle, for programme officers: the fair ranking, the reserve list in order, and
//! the two acts across the cycle, each previewed before it is carried out: the committee assigned in bulk,
//! and decisions taken down the ranking. Both are `crate::selection`, as the API's are. And, once selection
//! is over, the cycle concluded (`crate::conclusion`), previewed and confirmed before it is recorded.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::cycle::CycleName;
use domain::ranking::Quotas;

use super::session::field;
use super::staff::short_id;
use super::{ErrorItem, Page, PageError, PageForm, PageQuery, Session};
use crate::bus::AppState;
use crate::http::error::ApiError;
use crate::selection::{self, BulkRequest};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/selection", get(selection_page))
        .route("/selection/assignments", post(assign))
        .route("/selection/decisions", post(decide))
        .route("/selection/conclusion", post(conclude))
}

#[derive(Deserialize, Default)]
struct CycleQuery {
    cycle: Option<String>,
}

/// The cycle asked for, or this year's.
fn cycle_of(raw: Option<&str>) -> Result<CycleName, Vec<ErrorItem>> {
    let raw = raw.map(str::trim).filter(|raw| !raw.is_empty());
    let current = super::applicant::open_cycles()
        .into_iter()
        .next()
        .unwrap_or_default();
    CycleName::parse(raw.unwrap_or(&current))
        .map_err(|problem| vec![ErrorItem::new("cycle", super::capitalise(&problem))])
}

async fn selection_page(
    State(state): State<AppState>,
    session: Session,
    PageQuery(query): PageQuery<CycleQuery>,
) -> Result<Response, PageError> {
    session.require(&[Role::ProgrammeOfficer])?;
    match cycle_of(query.cycle.as_deref()) {
        Ok(cycle) => render(&state, &session, &cycle, Outcome::default()).await,
        Err(errors) => {
            let cycle = cycle_of(None).map_err(|_| PageError::NotFound)?;
            let outcome = Outcome {
                errors,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..Outcome::default()
            };
            render(&state, &session, &cycle, outcome).await
        }
    }
}

/// What the last form did: a preview, something recorded, or what was wrong with it.
struct Outcome {
    notice: Option<String>,
    preview: Option<Value>,
    errors: Vec<ErrorItem>,
    values: Value,
    status: StatusCode,
}

impl Default for Outcome {
    fn default() -> Self {
        Self {
            notice: None,
            preview: None,
            errors: Vec::new(),
            values: json!({}),
            status: StatusCode::OK,
        }
    }
}

async fn render(
    state: &AppState,
    session: &Session,
    cycle: &CycleName,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let ranked = selection::ranked(state, cycle).await?;
    let ranking: Vec<Value> = ranked
        .iter()
        .map(|r| {
            json!({
                "id": r.application_id,
                "short_id": short_id(&r.application_id),
                "rank": r.rank,
                "country": r.country,
                "country_rank": r.country_rank,
                "members": r.members,
                "raw_mean": format!("{:.1}", r.raw_mean),
                "normalised_mean": format!("{:.1}", r.normalised_mean),
                "disagreement": r.disagreement,
            })
        })
        .collect();
    let reserve: Vec<Value> = selection::reserve_list(state, cycle)
        .await?
        .into_iter()
        .map(|entry| {
            let id = entry["application_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            json!({
                "id": id,
                "short_id": short_id(&id),
                "place": entry["place"],
                "rank": entry["rank"],
            })
        })
        .collect();
    let mut cycles = super::applicant::open_cycles();
    for view in projections::cycles::list(&state.db).await? {
        if !cycles.contains(&view.name) {
            cycles.push(view.name);
        }
    }
    cycles.sort();
    cycles.reverse();
    let cycles: Vec<Value> = cycles
        .iter()
        .map(|name| json!({"name": name, "selected": name == cycle.as_str()}))
        .collect();
    let mut values = outcome.values;
    if values.get("members_per_application").is_none() {
        values["members_per_application"] = json!("2");
    }
    if values.get("on").is_none() {
        values["on"] = json!(chrono::Utc::now().date_naive().to_string());
    }
    let conclusion = projections::cycles::conclusion(&state.db, cycle.as_str())
        .await?
        .map(|c| json!({"on": long_date(c.concluded_on), "automatic": c.automatic}));
    Ok(Page::new(
        "selection",
        format!("Selection {}", cycle.as_str()),
        Some(session),
    )
    .data(json!({
        "cycle": cycle.as_str(),
        "cycles": cycles,
        "ranking": ranking,
        "reserve": reserve,
        "preview": outcome.preview,
        "values": values,
        "conclusion": conclusion,
        "automatic_conclusion_on": long_date(domain::cycle::automatic_conclusion_day(cycle)),
    }))
    .errors(outcome.errors)
    .notice(outcome.notice)
    .status(outcome.status)
    .into_response())
}

/// A whole number the officer typed, or the problem with it.
fn number(
    form: &[(String, String)],
    name: &str,
    default: Option<u32>,
    errors: &mut Vec<ErrorItem>,
) -> u32 {
    let text = field(form, name).unwrap_or_default().trim();
    if text.is_empty()
        && let Some(default) = default
    {
        return default;
    }
    match text.parse::<u32>() {
        Ok(value) => value,
        Err(_) => {
            errors.push(ErrorItem::new(name, "Enter a whole number, such as 2"));
            0
        }
    }
}

/// A refusal of the rules shown on the page; anything else an error page.
fn refused(error: impl Into<ApiError>, field_of: &str) -> Result<Vec<ErrorItem>, PageError> {
    let error: ApiError = error.into();
    if error.status != StatusCode::UNPROCESSABLE_ENTITY {
        return Err(error.into());
    }
    Ok(vec![ErrorItem::new(
        field_of,
        super::capitalise(&error.message),
    )])
}

/// The form's values, to show again with the page.
fn values_of(form: &[(String, String)]) -> Value {
    Value::Object(
        form.iter()
            .filter(|(name, _)| name != "csrf_token")
            .map(|(name, value)| (name.clone(), json!(value)))
            .collect(),
    )
}

async fn assign(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = match cycle_of(field(&form, "cycle")) {
        Ok(cycle) => cycle,
        Err(errors) => return invalid(&state, &session, errors, &form).await,
    };
    let mut errors = Vec::new();
    let per = number(&form, "members_per_application", Some(2), &mut errors);
    if !errors.is_empty() {
        return invalid(&state, &session, errors, &form).await;
    }
    let dry_run = field(&form, "action") != Some("record");
    let request = BulkRequest {
        members_per_application: per,
        members: None,
        regions: Default::default(),
        dry_run,
    };
    let answer = match selection::assign_in_bulk(&state, &actor, &cycle, request).await {
        Ok(answer) => answer,
        Err(error) => {
            let errors = refused(error, "members_per_application")?;
            return invalid(&state, &session, errors, &form).await;
        }
    };
    let made = answer["assignments"].as_array().map_or(0, Vec::len);
    let short = answer["short"].as_array().map_or(0, Vec::len);
    let short_note = if short > 0 {
        format!(" {short} applications could not get every member they need.")
    } else {
        String::new()
    };
    let outcome = if dry_run {
        Outcome {
            notice: Some(format!(
                "Preview: {made} assignments would be made.{short_note} Nothing has been recorded yet."
            )),
            preview: Some(json!({
                "kind": "assignments",
                "rows": answer["assignments"].as_array().cloned().unwrap_or_default().iter().map(|a| json!({
                    "id": a["application_id"], "short_id": short_id(a["application_id"].as_str().unwrap_or_default()),
                    "what": a["member_id"],
                })).collect::<Vec<_>>(),
            })),
            values: values_of(&form),
            ..Outcome::default()
        }
    } else {
        Outcome {
            notice: Some(format!(
                "{} assignments recorded.{short_note}",
                answer["recorded"]
            )),
            ..Outcome::default()
        }
    };
    render(&state, &session, &cycle, outcome).await
}

async fn decide(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = match cycle_of(field(&form, "cycle")) {
        Ok(cycle) => cycle,
        Err(errors) => return invalid(&state, &session, errors, &form).await,
    };
    let mut errors = Vec::new();
    let quotas = Quotas {
        selected: number(&form, "selected", None, &mut errors),
        reserve: number(&form, "reserve", Some(0), &mut errors),
        unsuccessful_rest: field(&form, "unsuccessful_rest").is_some(),
        hold_disagreements: field(&form, "hold_disagreements").is_some(),
    };
    if !errors.is_empty() {
        return invalid(&state, &session, errors, &form).await;
    }
    let dry_run = field(&form, "action") != Some("record");
    let answer = match selection::decide_from_ranking(&state, &actor, &cycle, quotas, dry_run).await
    {
        Ok(answer) => answer,
        Err(error) => {
            let errors = refused(error, "selected")?;
            return invalid(&state, &session, errors, &form).await;
        }
    };
    let decisions = answer["decisions"].as_array().cloned().unwrap_or_default();
    let outcome = if dry_run {
        Outcome {
            notice: Some(format!(
                "Preview: {} decisions would be recorded. Nothing has been recorded yet.",
                decisions.len()
            )),
            preview: Some(json!({
                "kind": "decisions",
                "rows": decisions.iter().map(|d| json!({
                    "id": d["application_id"], "short_id": short_id(d["application_id"].as_str().unwrap_or_default()),
                    "what": match d["reserve_position"].as_u64() {
                        Some(place) => format!("reserve, place {place}"),
                        None => d["outcome"].as_str().unwrap_or_default().to_string(),
                    },
                    "rank": d["rank"],
                })).collect::<Vec<_>>(),
            })),
            values: values_of(&form),
            ..Outcome::default()
        }
    } else {
        Outcome {
            notice: Some(format!(
                "{} decisions recorded; each applicant is sent their letter.",
                answer["recorded"]
            )),
            ..Outcome::default()
        }
    };
    render(&state, &session, &cycle, outcome).await
}

/// The cycle concluded: previewed (each application it would make unsuccessful), then, confirmed, recorded.
async fn conclude(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = match cycle_of(field(&form, "cycle")) {
        Ok(cycle) => cycle,
        Err(errors) => return invalid(&state, &session, errors, &form).await,
    };
    let raw = field(&form, "on").unwrap_or_default().trim();
    let Ok(on) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") else {
        let errors = vec![ErrorItem::new(
            "on",
            "Enter the day of the conclusion as year, month and day, for example 2027-07-31",
        )];
        return invalid(&state, &session, errors, &form).await;
    };
    if field(&form, "action") != Some("record") {
        let live = crate::conclusion::live_applications(&state, &cycle).await?;
        let outcome = Outcome {
            notice: Some(format!(
                "Preview: {} applications would become unsuccessful as of {}, and be destroyed two years later. Nothing has been recorded yet.",
                live.len(),
                long_date(on)
            )),
            preview: Some(json!({
                "kind": "conclusion",
                "rows": live.iter().map(|(id, status)| json!({
                    "id": id, "short_id": short_id(id), "what": status.to_string(),
                })).collect::<Vec<_>>(),
            })),
            values: values_of(&form),
            ..Outcome::default()
        };
        return render(&state, &session, &cycle, outcome).await;
    }
    if field(&form, "confirm") != Some("yes") {
        let errors = vec![ErrorItem::new(
            "confirm",
            "Confirm that you want to conclude the cycle: it cannot be undone",
        )];
        return invalid(&state, &session, errors, &form).await;
    }
    let done = match crate::conclusion::conclude(&state, &actor, &cycle, on, false).await {
        Ok(done) => done,
        Err(error) => {
            let errors = refused(error, "on")?;
            return invalid(&state, &session, errors, &form).await;
        }
    };
    let left = if done.not_concluded.is_empty() {
        String::new()
    } else {
        format!(
            " {} could not be concluded just now; the next retention sweep concludes them.",
            done.not_concluded.len()
        )
    };
    let outcome = Outcome {
        notice: Some(format!(
            "The cycle was concluded on {}: {} applications are now unsuccessful.{left}",
            long_date(done.concluded_on),
            done.concluded
        )),
        ..Outcome::default()
    };
    render(&state, &session, &cycle, outcome).await
}

async fn invalid(
    state: &AppState,
    session: &Session,
    errors: Vec<ErrorItem>,
    form: &[(String, String)],
) -> Result<Response, PageError> {
    let cycle = cycle_of(field(form, "cycle"))
        .or_else(|_| cycle_of(None))
        .map_err(|_| PageError::NotFound)?;
    let outcome = Outcome {
        errors,
        values: values_of(form),
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..Outcome::default()
    };
    render(state, session, &cycle, outcome).await
}

/// A day as people write it: 31 December 2027.
fn long_date(day: chrono::NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}
