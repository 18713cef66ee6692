//! The case desk: the case list with its filters, one case with all its data and its history, and the
//! actions of the lifecycle for programme officers and the Help Desk.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use domain::access::{Section, view_of};
use domain::application::aggregate::Outcome;
use domain::application::events::AwardTerms;
use domain::application::form::{PersonalField, Preferences};
use domain::application::{ApplicationCommand, Status};
use domain::country::Country;
use domain::immigration::ImmigrationCommand;
use domain::{Actor, Role};
use projections::application_view::ApplicationView;
use projections::case_list::{self, CaseFilter};
use projections::recipients;

use super::applicant::{label_for, problems_of};
use super::case_page::{self, Tab};
use super::session::field;
use super::{
    Choice, ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, encode_query,
    see_other,
};
use crate::bus::AppState;
use crate::http::error::ApiError;
use crate::words;

/// Staff who work the case desk, each seeing what their role sees of a case (`domain::access`); an
/// administrator reads no application.
pub const CASE_DESK: [Role; 3] = [
    Role::Helpdesk,
    Role::ProgrammeOfficer,
    Role::InformationOfficer,
];
const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(cases))
        .route("/cases/{id}", get(case))
        .route("/cases/{id}/{action}", post(act))
        .route("/cases/{id}/letters/{number}", get(letter))
}

/// A count written with a comma between each three digits: 10,000.
fn with_thousands(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut written = String::new();
    for (n, digit) in digits.chars().enumerate() {
        if n > 0 && (digits.len() - n).is_multiple_of(3) {
            written.push(',');
        }
        written.push(digit);
    }
    if count < 0 {
        written.insert(0, '-');
    }
    written
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

fn date(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.format("%-d %b %Y").to_string())
}

#[derive(Deserialize, Default)]
struct CasesQuery {
    cycle: Option<String>,
    status: Option<String>,
    country: Option<String>,
    min_score: Option<String>,
    q: Option<String>,
    /// The page after or before another: the position a Next or Previous link carries.
    cursor: Option<String>,
}

async fn cases(
    State(state): State<AppState>,
    session: Session,
    PageQuery(query): PageQuery<CasesQuery>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    let clean = |value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    // A case's reference (ETP-26-004821) finds that case: the search opens it.
    if let Some(id) = case_by_reference(&state, query.q.as_deref()).await? {
        return Ok(see_other(&format!("/cases/{id}"), &[]));
    }
    // A link whose position in the list cannot be read answers the first page, and says so.
    let (cursor, unreadable_cursor) = match clean(&query.cursor) {
        None => (None, false),
        Some(raw) => match case_list::Cursor::decode(&raw) {
            Some(cursor) => (Some(cursor), false),
            None => (None, true),
        },
    };
    // The marks are not a filter for those who do not see them.
    let min_score = clean(&query.min_score)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|_| view_of(session.actor.role, false).shows(Section::MeanScore));
    let filter = CaseFilter {
        cycle: clean(&query.cycle),
        status: clean(&query.status),
        country: clean(&query.country),
        min_score,
        text: clean(&query.q),
        assigned_to: None,
        limit: PAGE_SIZE,
        offset: 0,
        cursor,
    };
    let page = case_list::search(&state.db, &filter).await?;
    let rows = &page.cases;
    // Every case the page names is a read of its applicant's personal data.
    let shown = view_of(session.actor.role, false);
    let read: Vec<&str> = rows.iter().map(|case| case.id.as_str()).collect();
    state
        .record_reads(
            &read,
            &session.actor,
            projections::access_log::Through::CasesPage,
        )
        .await?;
    let references = projections::references::of_many(&state.db, &read).await?;
    let rows: Vec<CaseRow> = rows
        .iter()
        .map(|case| CaseRow {
            id: &case.id,
            reference: references.get(&case.id).cloned(),
            name: case
                .full_name
                .clone()
                .unwrap_or_else(|| "(no name yet)".to_string()),
            cycle: &case.cycle,
            status: words::in_words(&case.status),
            country: &case.country_of_residence,
            submitted: date(case.submitted_at),
            mean_score: case
                .mean_score
                .filter(|_| shown.shows(Section::MeanScore))
                .map(|m| format!("{m:.1}")),
            recheck: case.recheck_due && shown.shows(Section::Recheck),
        })
        .collect();
    let statuses: Vec<Choice> = Status::ALL
        .iter()
        .map(|s| {
            Choice::new(
                s.as_str(),
                words::status(*s),
                filter.status.as_deref() == Some(s.as_str()),
            )
        })
        .collect();
    let keep = format!(
        "cycle={}&status={}&country={}&min_score={}&q={}",
        encode_query(filter.cycle.as_deref().unwrap_or("")),
        encode_query(filter.status.as_deref().unwrap_or("")),
        encode_query(filter.country.as_deref().unwrap_or("")),
        encode_query(&clean(&query.min_score).unwrap_or_default()),
        encode_query(filter.text.as_deref().unwrap_or("")),
    );
    let (errors, status) = if unreadable_cursor {
        let first_page = ErrorItem {
            href: format!("/cases?{keep}"),
            message: "The link to that page of cases could not be read. Here is the first page: \
                      use Next and Previous below to move through the list"
                .to_string(),
        };
        (vec![first_page], StatusCode::UNPROCESSABLE_ENTITY)
    } else {
        (Vec::new(), StatusCode::OK)
    };
    // A programme officer looking at one cycle is pointed to its conclusion, until it is concluded.
    let conclude_cycle = match filter.cycle.as_deref().map(domain::cycle::CycleName::parse) {
        Some(Ok(cycle)) if session.actor.role == Role::ProgrammeOfficer => {
            projections::cycles::conclusion(&state.db, cycle.as_str())
                .await?
                .is_none()
                .then(|| cycle.to_string())
        }
        _ => None,
    };
    // The officer's desk lists the progress reports overdue and those falling due within 30 days.
    let today = Utc::now().date_naive();
    let reports_due: Vec<ReportDue> = if session.actor.role == Role::ProgrammeOfficer {
        let due =
            projections::awards::reports_due_by(&state.db, today + chrono::Days::new(30)).await?;
        let ids: Vec<&str> = due.iter().map(|d| d.application_id.as_str()).collect();
        let references = projections::references::of_many(&state.db, &ids).await?;
        due.iter()
            .map(|due| ReportDue {
                id: due.application_id.clone(),
                short_id: references
                    .get(&due.application_id)
                    .cloned()
                    .unwrap_or_else(|| short_id(&due.application_id)),
                due_on: due.due_on.format("%-d %B %Y").to_string(),
                overdue: due.due_on < today,
                today: due.due_on == today,
            })
            .collect()
    } else {
        Vec::new()
    };
    let min_score = clean(&query.min_score);
    let context = CasesPage {
        reports_due,
        filter: Filter {
            cycle: filter.cycle.as_deref(),
            country: filter.country.as_deref(),
            q: filter.text.as_deref(),
            min_score: min_score.as_deref(),
        },
        statuses,
        cases: rows,
        total: page.total.count,
        total_exact: page.total.exact,
        total_shown: with_thousands(page.total.count),
        previous: page
            .previous
            .as_ref()
            .map(|c| format!("/cases?{keep}&cursor={}", c.encode())),
        next: page
            .next
            .as_ref()
            .map(|c| format!("/cases?{keep}&cursor={}", c.encode())),
        conclude_cycle,
        shows_marks: shown.shows(Section::MeanScore),
    };
    Ok(Page::new("cases", "Cases", Some(&session))
        .data(context)
        .errors(errors)
        .status(status)
        .into_response())
}

/// The case list's context: the reports due (a programme officer's), the filter as it stands, a page of
/// the cases it finds with their count, and the links to the pages before and after.
#[derive(Serialize)]
struct CasesPage<'a> {
    reports_due: Vec<ReportDue>,
    filter: Filter<'a>,
    statuses: Vec<Choice>,
    cases: Vec<CaseRow<'a>>,
    total: i64,
    /// Whether `total` is the count, not a bound it exceeds.
    total_exact: bool,
    total_shown: String,
    previous: Option<String>,
    next: Option<String>,
    /// The cycle of the filter, while it is still to be concluded (a programme officer's).
    conclude_cycle: Option<String>,
    shows_marks: bool,
}

/// The filter's fields as they were given.
#[derive(Serialize)]
struct Filter<'a> {
    cycle: Option<&'a str>,
    country: Option<&'a str>,
    q: Option<&'a str>,
    min_score: Option<&'a str>,
}

/// A case of the list.
#[derive(Serialize)]
struct CaseRow<'a> {
    id: &'a str,
    reference: Option<String>,
    name: String,
    cycle: &'a str,
    status: String,
    country: &'a Option<String>,
    submitted: Option<String>,
    mean_score: Option<String>,
    /// Amended after eligibility: to be checked again.
    recheck: bool,
}

/// A progress report overdue or falling due soon, on the officer's desk.
#[derive(Serialize)]
struct ReportDue {
    id: String,
    short_id: String,
    due_on: String,
    overdue: bool,
    today: bool,
}

/// The case a search names by its reference, if the search is a reference and names one. Kept apart from
/// the case list's text search: a reference is looked up in `application_references`, not matched.
async fn case_by_reference(state: &AppState, q: Option<&str>) -> Result<Option<String>, PageError> {
    match q.filter(|q| projections::references::parse(q).is_some()) {
        Some(q) => Ok(projections::references::find(&state.db, q).await?),
        None => Ok(None),
    }
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    /// The panel shown: application (the default), committee, award, disclosures or history.
    tab: Option<String>,
    done: Option<String>,
    /// Time travel: the case as it stood at this moment (UTC), `2026-05-01T12:00` as a browser's
    /// date-and-time field sends it, or RFC 3339.
    as_of: Option<String>,
}

/// A moment as the time-travel field gives it (taken as UTC), or in RFC 3339.
fn parse_moment(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|at| at.and_utc())
}

async fn case(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(query): PageQuery<CaseQuery>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    let view = super::application_or_gone(&state, &id).await?;
    let done = query.done.as_deref();
    let notice = done.and_then(case_page::done_in_words).map(str::to_string);
    // Back from an action, the panel of its form; else the panel asked for, or the application.
    let tab = query
        .tab
        .as_deref()
        .and_then(Tab::parse)
        .or_else(|| done.map(Tab::of_action))
        .unwrap_or_default();
    let Some(raw) = query.as_of.filter(|raw| !raw.trim().is_empty()) else {
        return case_page::render(
            &state,
            &session,
            &view,
            tab,
            Vec::new(),
            notice,
            StatusCode::OK,
            None,
        )
        .await;
    };
    let Some(as_of) = parse_moment(&raw) else {
        let errors = vec![ErrorItem::new(
            "as_of",
            "Enter a date and time, such as 2026-05-01 12:00",
        )];
        return case_page::render(
            &state,
            &session,
            &view,
            Tab::History,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    match state
        .repo
        .application_as_of(&view.id, as_of)
        .await
        .map_err(ApiError::from)?
    {
        Some(past) => {
            case_page::render(
                &state,
                &session,
                &past,
                tab,
                Vec::new(),
                None,
                StatusCode::OK,
                Some(as_of),
            )
            .await
        }
        None => {
            let notice = format!(
                "The application had not been started on {}; this is the case as it stands today.",
                time(as_of)
            );
            case_page::render(
                &state,
                &session,
                &view,
                tab,
                Vec::new(),
                Some(notice),
                StatusCode::OK,
                None,
            )
            .await
        }
    }
}

/// One of the case's letters, as it was issued to the applicant.
async fn letter(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, number)): PagePath<(String, String)>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    if !view_of(session.actor.role, false).shows(Section::Letters) {
        return Err(PageError::Forbidden);
    }
    let view = super::application_or_gone(&state, &id).await?;
    state
        .record_reads(
            &[view.id.as_str()],
            &session.actor,
            projections::access_log::Through::CasePage,
        )
        .await?;
    super::letters::document(
        &view,
        &number,
        session.actor.role,
        (&format!("/cases/{id}"), "Back to the case"),
    )
}

pub(crate) fn short_id(id: &str) -> String {
    id.chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// One action of the lifecycle, posted from the case page. A refusal shows the case again with the reason.
async fn act(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, action)): PagePath<(String, String)>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session.require(&CASE_DESK)?;
    let view = super::application_or_gone(&state, &id).await?;
    let actor = session.actor.clone();
    // Only a programme officer discloses, decides or awards: anyone else is told so before the form is read.
    if matches!(
        action.as_str(),
        "disclosures" | "award" | "decision" | "complete"
    ) {
        session.require(&[Role::ProgrammeOfficer])?;
    }
    let parsed = if action == "disclosures" {
        disclosure_command(&state, &form).await?
    } else if action == "award" {
        match award_sponsor_is_registered(&state, &form).await? {
            Ok(()) => parse_action(&action, &form, &view),
            Err(refused) => Err(refused),
        }
    } else {
        parse_action(&action, &form, &view)
    };
    // What sends a letter or cannot be undone is confirmed on a page of its own before it is recorded.
    if let Ok(Command::Application(command)) = &parsed
        && case_page::needs_confirmation(&action)
        && field(&form, "confirmed") != Some("yes")
        && allowed_now(&action, view.status)
    {
        return case_page::confirmation(&state, &session, &view, &action, command, &form).await;
    }
    let result = match parsed {
        Err(errors) => Err(errors),
        Ok(Command::Application(command)) => state
            .execute_application(&id, &actor, command)
            .await
            .map_err(|error| refusal(&action, error)),
        Ok(Command::Immigration(command)) => {
            let record_id = uuid::Uuid::now_v7().to_string();
            record_immigration(&state, &actor, &record_id, command, &action).await
        }
    };
    let result = match (result, &parsed_disclosure_id(&form, &action)) {
        (Ok(()), Some(disclosure_id)) => refused_disclosure(&state, &id, disclosure_id).await?,
        (result, _) => result,
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/cases/{id}?done={action}"), &[])),
        Err(Refused::Shown(errors, status)) => {
            let view = super::application_or_gone(&state, &id).await?;
            case_page::refused(&state, &session, &view, &action, &form, errors, status).await
        }
        Err(Refused::Page(error)) => Err(error),
    }
}

/// Whether the case's status lets a confirmed action be recorded: otherwise it is refused at once, with
/// the reason, rather than confirmed first.
fn allowed_now(action: &str, status: Status) -> bool {
    match action {
        "decision" => matches!(status, Status::UnderReview | Status::Reserve),
        "award" => status == Status::Selected,
        "complete" => status == Status::Awarded,
        _ => true,
    }
}

/// The id a disclosure form was given when it was shown, so the outcome can be found afterwards.
fn parsed_disclosure_id(form: &[(String, String)], action: &str) -> Option<String> {
    (action == "disclosures")
        .then(|| field(form, "disclosure_id").map(str::to_string))
        .flatten()
        .filter(|id| projections::db::is_plausible_id(id))
}

/// A disclosure the sharing rule refused is recorded as such; the officer is shown why.
async fn refused_disclosure(
    state: &AppState,
    id: &str,
    disclosure_id: &str,
) -> Result<Result<(), Refused>, PageError> {
    let view = super::application_or_gone(state, id).await?;
    Ok(
        match view
            .refused_disclosures
            .iter()
            .find(|r| r.disclosure_id == disclosure_id)
        {
            Some(refused) => Err(Refused::Shown(
                vec![ErrorItem::new(
                    "disclosures",
                    format!(
                        "Sharing is not permitted: {}. The refusal has been recorded.",
                        refused.reason
                    ),
                )],
                StatusCode::FORBIDDEN,
            )),
            None => Ok(()),
        },
    )
}

/// The joint sponsor chosen for an award is a joint sponsor of the register.
async fn award_sponsor_is_registered(
    state: &AppState,
    form: &[(String, String)],
) -> Result<Result<(), Refused>, PageError> {
    let sponsor = text(form, "joint_sponsor_id");
    match crate::http::sharing::check_joint_sponsor(
        state,
        (!sponsor.is_empty()).then_some(&*sponsor),
    )
    .await
    {
        Ok(()) => Ok(Ok(())),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(Err(Refused::Shown(
            vec![ErrorItem::new(
                "award_joint_sponsor_id",
                "Choose the joint sponsor from the register, or none",
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        ))),
        Err(error) => Err(error.into()),
    }
}

/// A disclosure posted from the case page: the recipient, the purpose and the fields ticked, confirmed.
async fn disclosure_command(
    state: &AppState,
    form: &[(String, String)],
) -> Result<Result<Command, Refused>, PageError> {
    if field(form, "confirm").is_none() {
        return Ok(Err(Refused::Shown(
            vec![ErrorItem::new(
                "disclosures_confirm",
                "Confirm that this recipient needs these fields for the purpose given before disclosing",
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        )));
    }
    let recipient = match recipients::find(&state.db, &text(form, "recipient_id"))
        .await?
        .and_then(|r| r.facts())
    {
        Some(recipient) => recipient,
        None => {
            return Ok(Err(Refused::Shown(
                vec![ErrorItem::new(
                    "disclosures_recipient",
                    "Choose a recipient from the register",
                )],
                StatusCode::UNPROCESSABLE_ENTITY,
            )));
        }
    };
    let Some(disclosure_id) = parsed_disclosure_id(form, "disclosures") else {
        return Err(PageError::BadRequest);
    };
    let fields: Vec<String> = form
        .iter()
        .filter(|(key, _)| key == "fields")
        .map(|(_, value)| value.clone())
        .collect();
    Ok(Ok(Command::Application(ApplicationCommand::DiscloseData {
        disclosure_id,
        recipient,
        purpose: text(form, "purpose"),
        fields,
    })))
}

async fn record_immigration(
    state: &AppState,
    actor: &Actor,
    record_id: &str,
    command: ImmigrationCommand,
    action: &str,
) -> Result<(), Refused> {
    state
        .execute_immigration(record_id, actor, command)
        .await
        .map_err(|error| refusal(action, error))
}

enum Command {
    Application(ApplicationCommand),
    Immigration(ImmigrationCommand),
}

enum Refused {
    Shown(Vec<ErrorItem>, StatusCode),
    Page(PageError),
}

/// A refusal of the rules, shown on the case page; anything else is an error page.
fn refusal(action: &str, error: impl Into<ApiError>) -> Refused {
    let error: ApiError = error.into();
    match error.status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            let problems = problems_of(&error);
            let mut errors: Vec<ErrorItem> = problems
                .iter()
                .map(|(path, problem)| {
                    ErrorItem::new(
                        &format!("{action}_{path}"),
                        field_message(action, path)
                            .map(str::to_string)
                            .unwrap_or_else(|| {
                                super::capitalise(&format!("{} {problem}", label_for(path)))
                            }),
                    )
                })
                .collect();
            if let Some(fields) = error.extra.get("fields").and_then(Value::as_array) {
                let fields: Vec<String> = fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(label_for)
                    .collect();
                errors.push(ErrorItem::new(
                    action,
                    format!("{}: {}", error.message, fields.join(", ")),
                ));
            }
            if errors.is_empty() {
                errors.push(ErrorItem::new(action, super::capitalise(&error.message)));
            }
            Refused::Shown(errors, error.status)
        }
        _ => Refused::Page(error.into()),
    }
}

/// What a case form says when a field is refused, in the words of the GOV.UK pattern ("Enter the reason for
/// the amendment"), one message per field of each form; a field not named here is described by its label
/// and the rule's own words.
fn field_message(action: &str, path: &str) -> Option<&'static str> {
    Some(match (action, path) {
        ("amendments", "reason") => "Enter the reason for the amendment",
        ("amendments", "requested_by") => "Enter who asked for the amendment",
        ("eligibility", "reason") => "Enter the reason for the eligibility decision",
        ("screening", "reason") => "Enter the reason for overriding the screening",
        ("preferences", "reason") => "Enter what the scholar told you about their choices",
        ("recheck", "note") => "Enter what you checked and found",
        ("disclosures", "purpose") => "Enter why the data is shared, in at most 500 characters",
        ("disclosures", "fields") => "Select the data to share",
        ("disclosures", "recipient_id") => "Select the recipient",
        ("award", "institution") => "Enter the institution",
        ("award", "course") => "Enter the course",
        ("award", "level") => "Enter the level of study",
        ("award", "country") => "Enter the country of study by its English short name",
        ("immigration_records", "kind") => "Enter the kind of record, for example visa",
        ("immigration_records", "reference") => "Enter the record's reference",
        _ => return None,
    })
}

fn text(form: &[(String, String)], name: &str) -> String {
    field(form, name).unwrap_or_default().trim().to_string()
}

/// The day posted in the date input `name` of the form `action` (`{name}-day`, `-month`, `-year`), or the
/// message at its field in the GOV.UK's words after its label: "Start date must include a month", "Enter
/// the start date".
pub(super) fn parse_date(
    form: &[(String, String)],
    name: &str,
    action: &str,
    label: &str,
    errors: &mut Vec<ErrorItem>,
) -> Option<NaiveDate> {
    let id = format!("{action}_{name}");
    match super::posted_date(form, name) {
        Ok(Some(day)) => NaiveDate::parse_from_str(&day, "%Y-%m-%d").ok(),
        Ok(None) => {
            errors.push(ErrorItem::new(
                &id,
                format!("Enter the {}", label.to_lowercase()),
            ));
            None
        }
        Err(problem) => {
            errors.push(ErrorItem::new(&id, format!("{label} {problem}")));
            None
        }
    }
}

fn parse_action(
    action: &str,
    form: &[(String, String)],
    view: &ApplicationView,
) -> Result<Command, Refused> {
    let mut errors = Vec::new();
    let command = match action {
        "eligibility" => match field(form, "eligible") {
            Some(answer) => Command::Application(ApplicationCommand::DetermineEligibility {
                eligible: answer == "yes",
                reason: text(form, "reason"),
            }),
            None => {
                errors.push(ErrorItem::new(
                    "eligibility_eligible",
                    "Say whether the applicant is eligible",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
        "screening-override" => {
            let rules: Vec<domain::screening::ScreeningRule> = form
                .iter()
                .filter(|(name, _)| name == "rules")
                .filter_map(|(_, value)| domain::screening::ScreeningRule::parse(value))
                .collect();
            let reason = text(form, "reason");
            if rules.is_empty() {
                errors.push(ErrorItem::new(
                    "screening_rules",
                    "Choose the rules to waive",
                ));
            }
            if reason.is_empty() {
                errors.push(ErrorItem::new(
                    "screening_reason",
                    "Give the reason for the override",
                ));
            }
            if !errors.is_empty() {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
            Command::Application(ApplicationCommand::OverrideScreening { rules, reason })
        }
        "assignments" => Command::Application(ApplicationCommand::AssignCommitteeMember {
            member_id: text(form, "committee_member_id"),
        }),
        "decision" => match Outcome::parse(&text(form, "outcome")) {
            Some(outcome) => Command::Application(ApplicationCommand::RecordDecision {
                outcome,
                reserve_position: None,
            }),
            None => {
                errors.push(ErrorItem::new(
                    "decision_outcome",
                    "Choose selected, reserve or unsuccessful",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
        "award" => {
            let start_date = parse_date(form, "start_date", action, "Start date", &mut errors);
            let terms = [
                ("institution", "Institution"),
                ("course", "Course"),
                ("level", "Level of study"),
            ]
            .map(|(name, label)| {
                let value = text(form, name);
                if value.is_empty() {
                    errors.push(ErrorItem::new(
                        &format!("award_{name}"),
                        format!("Enter the {}", label.to_lowercase()),
                    ));
                }
                value
            });
            let Some(start_date) = start_date.filter(|_| errors.is_empty()) else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            let [institution, course, level] = terms;
            let country_name = text(form, "country");
            let country = if country_name.is_empty() {
                Some(Country::united_kingdom())
            } else {
                Country::parse(&country_name)
            };
            let Some(country) = country else {
                errors.push(ErrorItem::new(
                    "award_country",
                    "Enter the country of study by its English short name, such as United Kingdom",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            let sponsor = text(form, "joint_sponsor_id");
            Command::Application(ApplicationCommand::MakeAward {
                terms: AwardTerms {
                    institution,
                    course,
                    level,
                    start_date,
                    country: Some(country),
                },
                joint_sponsor_id: (!sponsor.is_empty()).then_some(sponsor),
            })
        }
        "complete" => {
            let completed_on =
                parse_date(form, "completed_on", action, "Date completed", &mut errors);
            let outcome = text(form, "outcome");
            // Left empty, the outcome is the result the institution released, where one is recorded.
            let released = view
                .administration
                .result
                .as_ref()
                .is_some_and(|r| r.result.is_some());
            if outcome.is_empty() && !released {
                errors.push(ErrorItem::new(
                    "complete_outcome",
                    "Enter the degree outcome",
                ));
            }
            let Some(completed_on) = completed_on.filter(|_| errors.is_empty()) else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            Command::Application(ApplicationCommand::CompleteAward {
                outcome,
                completed_on,
            })
        }
        "preferences" => {
            let flag = |name: &str| field(form, name).is_some();
            Command::Application(ApplicationCommand::SetPreferences {
                preferences: Preferences {
                    networking_opt_out: flag("networking_opt_out"),
                    alumni_email_opt_out: flag("alumni_email_opt_out"),
                    alumni_book_opt_out: flag("alumni_book_opt_out"),
                    images_opt_out: flag("images_opt_out"),
                },
                reason: Some(text(form, "reason")),
            })
        }
        "immigration-records" => {
            let Some(issued_on) = parse_date(form, "issued_on", action, "Date issued", &mut errors)
            else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            Command::Immigration(ImmigrationCommand::RecordImmigrationDocument {
                application_id: view.id.clone(),
                applicant_id: view.applicant_id.clone(),
                application_status: view.status,
                kind: text(form, "kind"),
                reference: text(form, "reference"),
                issued_on,
            })
        }
        "recheck" => Command::Application(ApplicationCommand::RecordRecheck {
            note: text(form, "note"),
        }),
        "rectification-notices" => {
            Command::Application(ApplicationCommand::MarkRectificationNoticeSent {
                recipient_id: text(form, "recipient_id"),
            })
        }
        "amendments" => {
            // Only the fields whose value changes are sent; the others stay as they are.
            let changes: Vec<(String, String)> = PersonalField::ALL
                .iter()
                .filter_map(|f| {
                    let posted = text(form, &f.path());
                    (view.form.personal.get(*f).map(String::as_str) != Some(posted.as_str()))
                        .then(|| (f.path(), posted))
                })
                .collect();
            Command::Application(ApplicationCommand::AmendPersonalData {
                changes,
                reason: text(form, "reason"),
                requested_by: text(form, "requested_by"),
            })
        }
        _ => return Err(Refused::Page(PageError::NotFound)),
    };
    Ok(command)
}
