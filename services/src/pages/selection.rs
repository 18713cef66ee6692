//! The selection page of a cycle, for programme officers: the fair ranking, the reserve list in order, and
//! the two acts across the cycle: the committee assigned in bulk, and decisions taken down the ranking. Both
//! are `crate::selection`, as the API's are. And, once selection is over, the cycle concluded
//! (`crate::conclusion`). Each form goes first to a check page of its own (`selection_check`): what would
//! be recorded, application by application with the applicant's name (the reference in a blind cycle), how
//! many letters it sends, and the one button that records it; concluding needs a tick box there too.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::cycle::CycleName;
use domain::ranking::Quotas;

use super::session::field;
use super::staff::short_id;
use super::{DateParts, ErrorItem, Page, PageError, PageForm, PageQuery, Session};
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

/// What the last form did: something recorded, or what was wrong with it.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    errors: Vec<ErrorItem>,
    values: Option<Values>,
    status: StatusCode,
}

/// What the selection forms show in their fields: what was typed when a form was refused, otherwise the
/// defaults (two members for each application, the conclusion today).
#[derive(Serialize)]
struct Values {
    members_per_application: String,
    selected: String,
    reserve: String,
    unsuccessful_rest: bool,
    hold_disagreements: bool,
    /// The day of the conclusion, in the three fields of a date input.
    on: DateParts,
    on_error: Option<String>,
}

impl Values {
    /// The values a form posted, the defaults for the fields it does not have, and the message of the
    /// conclusion's day among `errors`.
    fn of(form: &[(String, String)], errors: &[ErrorItem]) -> Self {
        let text = |name: &str| field(form, name).map(str::to_string);
        Self {
            members_per_application: text("members_per_application").unwrap_or_else(|| "2".into()),
            selected: text("selected").unwrap_or_default(),
            reserve: text("reserve").unwrap_or_default(),
            unsuccessful_rest: field(form, "unsuccessful_rest").is_some(),
            hold_disagreements: field(form, "hold_disagreements").is_some(),
            on: if form.iter().any(|(name, _)| name.starts_with("on-")) {
                DateParts::posted(form, "on")
            } else {
                DateParts::of(Some(&chrono::Utc::now().date_naive().to_string()), |_| None)
            },
            on_error: errors
                .iter()
                .find(|item| item.href == "#on")
                .map(|item| item.message.clone()),
        }
    }
}

/// The context of `selection.hbs`: the cycle and the others to choose, the ranking, the reserve list, the
/// forms to assign the committee, decide down the ranking and conclude the cycle, and its conclusion.
#[derive(Serialize)]
struct SelectionPage<'a> {
    cycle: &'a str,
    cycles: Vec<CycleOption>,
    ranking: Vec<RankingRow>,
    reserve: Vec<ReserveRow>,
    values: Values,
    conclusion: Option<Conclusion>,
    automatic_conclusion_on: String,
}

/// A cycle to choose, and whether it is the one shown.
#[derive(Serialize)]
struct CycleOption {
    name: String,
    selected: bool,
}

/// A scored application in the ranking, its means out of 40 to one decimal place.
#[derive(Serialize)]
struct RankingRow {
    id: String,
    short_id: String,
    rank: u32,
    country: Option<String>,
    country_rank: u32,
    members: u32,
    raw_mean: String,
    normalised_mean: String,
    disagreement: bool,
}

/// An application on the reserve list: its place, in the order places are offered, and its rank.
#[derive(Serialize)]
struct ReserveRow {
    id: String,
    short_id: String,
    place: Option<u64>,
    rank: Option<u64>,
}

/// The cycle's conclusion: its day, and whether the retention sweep made it.
#[derive(Serialize)]
struct Conclusion {
    on: String,
    automatic: bool,
}

async fn render(
    state: &AppState,
    session: &Session,
    cycle: &CycleName,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let ranked = selection::ranked(state, cycle).await?;
    let ranking: Vec<RankingRow> = ranked
        .iter()
        .map(|r| RankingRow {
            id: r.application_id.clone(),
            short_id: short_id(&r.application_id),
            rank: r.rank,
            country: r.country.clone(),
            country_rank: r.country_rank,
            members: r.members,
            raw_mean: format!("{:.1}", r.raw_mean),
            normalised_mean: format!("{:.1}", r.normalised_mean),
            disagreement: r.disagreement,
        })
        .collect();
    let reserve: Vec<ReserveRow> = selection::reserve_list(state, cycle)
        .await?
        .into_iter()
        .map(|entry| {
            let id = entry["application_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            ReserveRow {
                short_id: short_id(&id),
                id,
                place: entry["place"].as_u64(),
                rank: entry["rank"].as_u64(),
            }
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
    let cycles: Vec<CycleOption> = cycles
        .into_iter()
        .map(|name| CycleOption {
            selected: name == cycle.as_str(),
            name,
        })
        .collect();
    let conclusion = projections::cycles::conclusion(&state.db, cycle.as_str())
        .await?
        .map(|c| Conclusion {
            on: long_date(c.concluded_on),
            automatic: c.automatic,
        });
    Ok(Page::new(
        "selection",
        format!("Selection {}", cycle.as_str()),
        Some(session),
    )
    .data(SelectionPage {
        cycle: cycle.as_str(),
        cycles,
        ranking,
        reserve,
        values: outcome
            .values
            .unwrap_or_else(|| Values::of(&[], &outcome.errors)),
        conclusion,
        automatic_conclusion_on: long_date(domain::cycle::automatic_conclusion_day(cycle)),
    })
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
    if dry_run {
        let assignments = answer["assignments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let names = Names::of(&state, &cycle).await?;
        let mut rows = Vec::new();
        for a in &assignments {
            let id = a["application_id"].as_str().unwrap_or_default();
            let member = a["member_id"].as_str().unwrap_or_default();
            rows.push(CheckRow {
                id: id.to_string(),
                reference: short_id(id),
                name: names.application(&state, id).await?,
                rank: None,
                what: names.member(&state, member).await?,
            });
        }
        let page = CheckPage {
            cycle: cycle.as_str().to_string(),
            heading: "Check the assignments before you make them".to_string(),
            lead: format!(
                "Preview: {made} assignments would be made.{short_note} Nothing has been recorded yet."
            ),
            counts: vec![
                Count::new("Assignments", made),
                Count::new("Applications short of members", short),
                Count::new("Letters sent", 0),
            ],
            caption: "Each application and the member it would be assigned to".to_string(),
            name_heading: names.heading(),
            what_heading: "Committee member",
            ranked: false,
            rows,
            action: "/selection/assignments",
            hidden: hidden_of(&form),
            warning: None,
            confirm: None,
            irreversible: false,
            button: format!("Make {made} assignments"),
        };
        return Ok(page.render(&session, StatusCode::OK));
    }
    let outcome = {
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
    if dry_run {
        let names = Names::of(&state, &cycle).await?;
        let mut rows = Vec::new();
        let (mut selected, mut reserve, mut unsuccessful) = (0, 0, 0);
        for d in &decisions {
            let id = d["application_id"].as_str().unwrap_or_default();
            let what = match (d["outcome"].as_str(), d["reserve_position"].as_u64()) {
                (_, Some(place)) => {
                    reserve += 1;
                    format!("Reserve list, place {place}")
                }
                (Some("selected"), None) => {
                    selected += 1;
                    "Selected".to_string()
                }
                (Some("reserve"), None) => {
                    reserve += 1;
                    "Reserve list".to_string()
                }
                _ => {
                    unsuccessful += 1;
                    "Unsuccessful".to_string()
                }
            };
            rows.push(CheckRow {
                id: id.to_string(),
                reference: short_id(id),
                name: names.application(&state, id).await?,
                rank: d["rank"].as_u64(),
                what,
            });
        }
        let letters = decisions.len();
        let page = CheckPage {
            cycle: cycle.as_str().to_string(),
            heading: "Check the decisions before you record them".to_string(),
            lead: format!(
                "Preview: {letters} decisions would be recorded. Nothing has been recorded yet."
            ),
            counts: vec![
                Count::new("Selected", selected),
                Count::new("Reserve list", reserve),
                Count::new("Unsuccessful", unsuccessful),
                Count::new("Letters sent", letters),
            ],
            caption: "Each decision, down the ranking".to_string(),
            name_heading: names.heading(),
            what_heading: "Decision",
            ranked: true,
            rows,
            action: "/selection/decisions",
            hidden: hidden_of(&form),
            warning: Some(format!(
                "Recording sends {letters} letters, one to each applicant, at once. A decision recorded \
                 cannot be taken back from this page."
            )),
            confirm: None,
            irreversible: true,
            button: format!("Record {letters} decisions and send {letters} letters"),
        };
        return Ok(page.render(&session, StatusCode::OK));
    }
    let outcome = {
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
    let on = match super::posted_date(&form, "on") {
        Ok(Some(day)) => chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok(),
        Ok(None) => None,
        Err(problem) => {
            let errors = vec![ErrorItem::new(
                "on",
                format!("The day of the conclusion {problem}"),
            )];
            return invalid(&state, &session, errors, &form).await;
        }
    };
    let Some(on) = on else {
        let errors = vec![ErrorItem::new("on", "Enter the day of the conclusion")];
        return invalid(&state, &session, errors, &form).await;
    };
    let confirmed = field(&form, "confirm") == Some("yes");
    if field(&form, "action") != Some("record") || !confirmed {
        let recording = field(&form, "action") == Some("record");
        let live = crate::conclusion::live_applications(&state, &cycle).await?;
        let names = Names::of(&state, &cycle).await?;
        let mut rows = Vec::new();
        for (id, status) in &live {
            rows.push(CheckRow {
                id: id.clone(),
                reference: short_id(id),
                name: names.application(&state, id).await?,
                rank: None,
                what: super::capitalise(&status.to_string().replace('_', " ")),
            });
        }
        let page = CheckPage {
            cycle: cycle.as_str().to_string(),
            heading: format!("Check before you conclude the {} cycle", cycle.as_str()),
            lead: format!(
                "Preview: {} applications would become unsuccessful as of {}, and be destroyed two years later. Nothing has been recorded yet.",
                live.len(),
                long_date(on)
            ),
            counts: vec![
                Count::new("Applications to become unsuccessful", live.len()),
                Count::new("Letters sent", 0),
            ],
            caption: "Each application the conclusion makes unsuccessful, and where it stands now"
                .to_string(),
            name_heading: names.heading(),
            what_heading: "Status now",
            ranked: false,
            rows,
            action: "/selection/conclusion",
            hidden: hidden_of(&form)
                .into_iter()
                .filter(|field| field.name != "confirm")
                .collect(),
            warning: Some(
                "Concluding the cycle cannot be undone. Drafts, decided and withdrawn applications and \
                 awards do not change."
                    .to_string(),
            ),
            confirm: Some(Confirm {
                label: "I understand that these applications become unsuccessful, and that this cannot be undone",
                error: recording.then_some(
                    "Confirm that you want to conclude the cycle: it cannot be undone",
                ),
            }),
            irreversible: true,
            button: "Conclude the cycle".to_string(),
        };
        let mut page = page;
        if page.rows.is_empty() {
            page.confirm = None;
        }
        let status = if recording {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        let errors = if recording {
            vec![ErrorItem::new(
                "confirm",
                "Confirm that you want to conclude the cycle: it cannot be undone",
            )]
        } else {
            Vec::new()
        };
        return Ok(page.render_with(&session, status, errors));
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
        values: Some(Values::of(form, &errors)),
        errors,
        status: StatusCode::UNPROCESSABLE_ENTITY,
        ..Outcome::default()
    };
    render(state, session, &cycle, outcome).await
}

/// The page that shows what a selection form would record, before it is recorded: the counts, the letters
/// it sends, each application by name (by reference in a blind cycle) and the button that records it.
#[derive(Serialize)]
struct CheckPage {
    cycle: String,
    heading: String,
    lead: String,
    counts: Vec<Count>,
    caption: String,
    name_heading: &'static str,
    what_heading: &'static str,
    ranked: bool,
    rows: Vec<CheckRow>,
    action: &'static str,
    hidden: Vec<Hidden>,
    warning: Option<String>,
    confirm: Option<Confirm>,
    irreversible: bool,
    button: String,
}

#[derive(Serialize)]
struct Count {
    label: &'static str,
    value: usize,
}

impl Count {
    fn new(label: &'static str, value: usize) -> Self {
        Self { label, value }
    }
}

#[derive(Serialize)]
struct CheckRow {
    id: String,
    reference: String,
    name: String,
    rank: Option<u64>,
    what: String,
}

#[derive(Serialize)]
struct Hidden {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Confirm {
    label: &'static str,
    error: Option<&'static str>,
}

impl CheckPage {
    fn render(self, session: &Session, status: StatusCode) -> Response {
        self.render_with(session, status, Vec::new())
    }

    fn render_with(
        self,
        session: &Session,
        status: StatusCode,
        errors: Vec<ErrorItem>,
    ) -> Response {
        let title = self.heading.clone();
        Page::new("selection_check", title, Some(session))
            .data(self)
            .errors(errors)
            .status(status)
            .into_response()
    }
}

/// The form's fields, but the token and the button pressed, to send again from the check page.
fn hidden_of(form: &[(String, String)]) -> Vec<Hidden> {
    form.iter()
        .filter(|(name, _)| name != "csrf_token" && name != "action")
        .map(|(name, value)| Hidden {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

/// How the check page names applications and members: by the applicant's name, or in a blind cycle by the
/// application's reference only (the officer who records for a blind committee sees no more than it).
struct Names {
    blind: bool,
}

impl Names {
    async fn of(state: &AppState, cycle: &CycleName) -> Result<Self, PageError> {
        let blind = projections::cycles::is_blind(&state.db, cycle.as_str())
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(Self { blind })
    }

    fn heading(&self) -> &'static str {
        if self.blind {
            "Applicant (blind review)"
        } else {
            "Applicant"
        }
    }

    async fn application(&self, state: &AppState, id: &str) -> Result<String, PageError> {
        if self.blind {
            return Ok("Withheld in a blind cycle".to_string());
        }
        let view = projections::application_view::find(&state.db, &state.repo, id)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(view
            .and_then(|view| view.form.personal.full_name)
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| "Name not given".to_string()))
    }

    async fn member(&self, state: &AppState, id: &str) -> Result<String, PageError> {
        let account = crate::accounts::find(&state.db, id)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(account.map_or_else(|| "A committee member".to_string(), |a| a.full_name))
    }
}

/// A day as people write it: 31 December 2027.
fn long_date(day: chrono::NaiveDate) -> String {
    day.format("%-d %B %Y").to_string()
}
