//! The applicant's pages: their applications, the form section by section with "save and come back later",
//! check your answers, submission, and after it a read-only copy with the status and a timeline.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use domain::Role;
use domain::application::form::{
    CourseChoice, DraftChanges, ESSAY_WORD_LIMIT, Essay, HistoryEntry, PersonalField,
    PreferencesChange, Referee, word_count,
};
use domain::application::rules::FieldProblem;
use domain::application::{ApplicationCommand, Status};
use domain::country::Country;
use domain::cycle::CycleName;
use projections::application_view::{self, ApplicationView};

use super::letters::LetterRow;
use super::session::field;
use super::{
    DateParts, ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, capitalise,
    field_id, see_other,
};
use crate::bus::AppState;
use crate::http::error::ApiError;
pub use crate::labels::label_for;
use crate::labels::{EDUCATION_KEYS, EMPLOYMENT_KEYS, essay_label, personal_label};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list).post(start))
        .route("/applications/{id}", get(show).post(save))
        .route("/applications/{id}/check", get(check))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/submitted", get(confirmation))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/applications/{id}/offer", post(reply_to_offer))
        .route("/applications/{id}/letters/{number}", get(letter))
}

/// The sections of the form, in order: their slug in the address and their title.
pub const SECTIONS: [(&str, &str); 7] = [
    ("personal", "Personal details"),
    ("education", "Education"),
    ("employment", "Employment"),
    ("courses", "Course choices"),
    ("essays", "Essays"),
    ("referees", "Referees"),
    ("preferences", "Your choices about your information"),
];

const EDUCATION_ROWS: usize = 3;
const EMPLOYMENT_ROWS: usize = 3;
const COURSE_ROWS: usize = 3;
const REFEREE_ROWS: usize = 2;
fn essay_hint(essay: Essay) -> &'static str {
    match essay {
        Essay::Leadership => "Tell us about a time you led others and what came of it.",
        Essay::Networking => "How you build and use professional relationships.",
        Essay::StudyPlan => "What you will study, where, and why.",
        Essay::CareerPlan => "What you will do after your studies, and how the scholarship helps.",
    }
}

const PREFERENCE_LABELS: [(&str, &str); 4] = [
    (
        "networking_opt_out",
        "Do not share my details with other EtP Scholars",
    ),
    (
        "alumni_email_opt_out",
        "Do not give my email address to future scholars (EtP Scholars Networking Scheme)",
    ),
    (
        "alumni_book_opt_out",
        "Do not include me in the Alumni Open Book, online or in print",
    ),
    (
        "images_opt_out",
        "Do not publish images, photographs or videos in which I appear",
    ),
];

/// The section a contract path belongs to.
fn section_of(path: &str) -> &'static str {
    let head = path.split(['.', '[']).next().unwrap_or(path);
    SECTIONS
        .iter()
        .map(|(slug, _)| *slug)
        .find(|slug| *slug == head)
        .unwrap_or("personal")
}

/// Applicants only; the view of their own application, or 404.
async fn own_application(
    state: &AppState,
    session: &Session,
    id: &str,
) -> Result<ApplicationView, PageError> {
    session.require(&[Role::Applicant])?;
    let view = super::application_or_gone(state, id).await?;
    if view.applicant_id != session.actor.user_id {
        return Err(PageError::NotFound);
    }
    Ok(view)
}

/// The cycles an applicant may start an application in: this one and the next.
pub(crate) fn open_cycles() -> Vec<String> {
    let today = Utc::now().date_naive();
    let first = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    (first..=first + 1)
        .map(|year| format!("{year}-{:02}", (year + 1) % 100))
        .collect()
}

pub(crate) fn status_text(status: Status) -> &'static str {
    match status {
        Status::NotStarted | Status::Draft => "Not submitted yet",
        Status::Submitted => "Submitted: we are checking that you are eligible",
        Status::Eligible => "Eligible: waiting for the committee",
        Status::Ineligible => "Not eligible",
        Status::UnderReview => "Being reviewed by the committee",
        Status::Selected => "Selected for an award",
        Status::Reserve => "On the reserve list",
        Status::Unsuccessful => "Unsuccessful",
        Status::Awarded => "Awarded",
        Status::Alumni => "Award completed",
        Status::Withdrawn => "Withdrawn",
    }
}

/// What the applicant's list shows: their applications, and the cycles they may still start one in.
#[derive(Serialize)]
struct ApplicationsPage<'a> {
    applications: Vec<ApplicationRow<'a>>,
    cycles: Vec<String>,
}

/// One of the applicant's applications: its cycle, its status in words and whether it is still a draft.
#[derive(Serialize)]
struct ApplicationRow<'a> {
    id: &'a str,
    cycle: &'a str,
    status: &'static str,
    draft: bool,
}

/// The application a page is about: its id (for its addresses) and its cycle (for the caption).
#[derive(Serialize)]
struct ApplicationRef<'a> {
    id: &'a str,
    cycle: &'a str,
}

impl<'a> ApplicationRef<'a> {
    fn of(view: &'a ApplicationView) -> Self {
        Self {
            id: &view.id,
            cycle: &view.cycle,
        }
    }
}

async fn list(State(state): State<AppState>, session: Session) -> Result<Response, PageError> {
    session.require(&[Role::Applicant])?;
    let views =
        application_view::list_for_applicant(&state.db, &state.repo, &session.actor.user_id)
            .await?;
    let applications = views
        .iter()
        .map(|view| ApplicationRow {
            id: &view.id,
            cycle: &view.cycle,
            status: status_text(view.status),
            draft: view.status == Status::Draft,
        })
        .collect();
    let taken: Vec<&str> = views.iter().map(|view| view.cycle.as_str()).collect();
    let cycles: Vec<String> = open_cycles()
        .into_iter()
        .filter(|c| !taken.contains(&c.as_str()))
        .collect();
    Ok(
        Page::new("applications", "Your applications", Some(&session))
            .data(ApplicationsPage {
                applications,
                cycles,
            })
            .into_response(),
    )
}

async fn start(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::Applicant])?;
    let cycle = field(&form, "cycle")
        .and_then(|raw| CycleName::parse(raw.trim()).ok())
        .ok_or(PageError::NotFound)?;
    if let Some(existing) =
        application_view::find_for_applicant(&state.db, &actor.user_id, cycle.as_str()).await?
    {
        return Ok(see_other(&format!("/applications/{existing}"), &[]));
    }
    let id = uuid::Uuid::now_v7().to_string();
    state
        .execute_application(&id, actor, ApplicationCommand::StartApplication { cycle })
        .await?;
    Ok(see_other(&format!("/applications/{id}"), &[]))
}

#[derive(Deserialize)]
struct ShowQuery {
    section: Option<String>,
    saved: Option<String>,
}

async fn show(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(query): PageQuery<ShowQuery>,
) -> Result<Response, PageError> {
    let view = own_application(&state, &session, &id).await?;
    if view.status != Status::Draft {
        return submitted_page(&state, &session, &view).await;
    }
    let notice = query
        .saved
        .map(|_| "Your answers have been saved.".to_string());
    match query.section.as_deref() {
        None => Ok(overview(&session, &view, notice).into_response()),
        Some(slug) => {
            let title = SECTIONS
                .iter()
                .find(|(s, _)| *s == slug)
                .ok_or(PageError::NotFound)?
                .1;
            let form = form_json(&view);
            // The name and email given at registration fill the personal details until the applicant
            // answers them (WCAG 2.2 3.3.7, Redundant Entry).
            let account = if slug == "personal" {
                crate::accounts::find(&state.db, &session.actor.user_id).await?
            } else {
                None
            };
            let known = |path: &str| {
                value_at(&form, path).or_else(|| {
                    let account = account.as_ref()?;
                    match path {
                        "personal.full_name" => Some(account.full_name.clone()),
                        "personal.email" => Some(account.email.clone()),
                        _ => None,
                    }
                })
            };
            let groups = section_groups(slug, &known, &FieldErrors::new());
            Ok(
                section_page(&session, &view, slug, title, groups, Vec::new(), notice)
                    .into_response(),
            )
        }
    }
}

fn overview<'a>(session: &'a Session, view: &ApplicationView, notice: Option<String>) -> Page<'a> {
    let missing = domain::application::rules::missing_for_submission(&view.form);
    let sections = SECTIONS
        .iter()
        .map(|&(slug, title)| {
            let optional = slug == "employment" || slug == "preferences";
            let complete = !optional && !missing.iter().any(|path| section_of(path) == slug);
            Task {
                slug,
                title,
                complete,
                optional,
            }
        })
        .collect();
    Page::new("application_overview", "Your application", Some(session))
        .data(OverviewPage {
            application: ApplicationRef::of(view),
            sections,
            ready: missing.is_empty(),
        })
        .notice(notice)
}

/// What the overview of a draft shows: the task list of its sections, and whether it is ready to submit.
#[derive(Serialize)]
struct OverviewPage<'a> {
    application: ApplicationRef<'a>,
    sections: Vec<Task>,
    ready: bool,
}

/// A section in the task list: where it is, its title, and whether it is complete or optional.
#[derive(Serialize)]
struct Task {
    slug: &'static str,
    title: &'static str,
    complete: bool,
    optional: bool,
}

/// What a section's page shows: its form, group by group, with the values kept or posted and their
/// problems; `essays` marks the essays' page (its word counts).
#[derive(Serialize)]
struct SectionPage<'a> {
    application: ApplicationRef<'a>,
    section: SectionRef<'a>,
    groups: Vec<FieldGroup>,
    essays: bool,
}

/// The section a page is: its slug in the address and its title.
#[derive(Serialize)]
struct SectionRef<'a> {
    slug: &'a str,
    title: &'a str,
}

fn section_page<'a>(
    session: &'a Session,
    view: &ApplicationView,
    slug: &str,
    title: &str,
    groups: Vec<FieldGroup>,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
) -> Page<'a> {
    Page::new("section", title.to_string(), Some(session))
        .data(SectionPage {
            application: ApplicationRef::of(view),
            section: SectionRef { slug, title },
            groups,
            essays: slug == "essays",
        })
        .errors(errors)
        .notice(notice)
}

/// The form as JSON, so a contract path can be read off it.
fn form_json(view: &ApplicationView) -> Value {
    serde_json::to_value(&view.form).unwrap_or_default()
}

/// The value at a contract path (`personal.email`, `courses[1].level`) as text, if any.
fn value_at(form: &Value, path: &str) -> Option<String> {
    let mut current = form;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        current = current.get(name)?;
        if let Some(i) = index {
            current = current.get(i)?;
        }
    }
    match current {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        other => Some(other.to_string()),
    }
}

/// The problems of a posted section, in words, by the contract path of their field.
type FieldErrors = std::collections::HashMap<String, String>;

/// A group of a section's form: a fieldset with its legend (an entry of a list), or the fields alone.
#[derive(Serialize)]
struct FieldGroup {
    legend: Option<String>,
    fields: Vec<FormField>,
}

/// A field of a section's form, as the `field`, `textarea`, `checkbox` and `date_input` partials read it:
/// its id and name (the contract path), its label and hint, its value and problem, and what kind of input
/// it is.
#[derive(Serialize, Default)]
struct FormField {
    id: String,
    name: String,
    label: String,
    value: Option<String>,
    error: Option<String>,
    /// The input's `type` (text where there is none).
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    hint: Option<&'static str>,
    autocomplete: Option<&'static str>,
    textarea: bool,
    rows: Option<u32>,
    word_limit: Option<usize>,
    checkbox: bool,
    checked: bool,
    /// The day, month and year of a date asked as a GOV.UK date input.
    date: Option<DateParts>,
    /// The month and year of a month asked as a GOV.UK date input without the day.
    month_year: Option<MonthParts>,
}

fn text_field(path: &str, label: &str, value: Option<String>, errors: &FieldErrors) -> FormField {
    FormField {
        id: field_id(path),
        name: path.to_string(),
        label: label.to_string(),
        value,
        error: errors.get(path).cloned(),
        ..FormField::default()
    }
}

fn checkbox(path: &str, label: String, checked: bool) -> FormField {
    FormField {
        id: field_id(path),
        name: path.to_string(),
        label,
        checkbox: true,
        checked,
        ..FormField::default()
    }
}

/// The fields of a section, grouped, with their values and errors.
fn section_groups(
    slug: &str,
    value: &dyn Fn(&str) -> Option<String>,
    errors: &FieldErrors,
) -> Vec<FieldGroup> {
    let rows = |count: usize, prefix: &str, noun: &str, keys: &[(&str, &str)]| -> Vec<FieldGroup> {
        (0..count)
            .map(|i| FieldGroup {
                legend: Some(format!("{noun} {}", i + 1)),
                fields: keys
                    .iter()
                    .map(|(key, label)| {
                        let path = format!("{prefix}[{i}].{key}");
                        text_field(&path, label, value(&path), errors)
                    })
                    .collect(),
            })
            .collect()
    };
    let alone = |fields: Vec<FormField>| {
        vec![FieldGroup {
            legend: None,
            fields,
        }]
    };
    match slug {
        "personal" => alone(
            PersonalField::ALL
                .iter()
                .map(|field| {
                    let path = field.path();
                    let mut spec = text_field(&path, personal_label(*field), value(&path), errors);
                    let (kind, hint, autocomplete) = match field {
                        PersonalField::FullName => {
                            ("text", "As it appears on your passport.", "name")
                        }
                        PersonalField::DateOfBirth => ("text", "For example, 27 4 1998", "bday"),
                        PersonalField::Email => ("email", "We will write to you here.", "email"),
                        PersonalField::Phone => ("tel", "Include the country code.", "tel"),
                        PersonalField::Address => (
                            "text",
                            "Where we can send letters: each part of the address on its own line.",
                            "street-address",
                        ),
                        PersonalField::Nationality => (
                            "text",
                            "The country you are a citizen of, such as Kenya.",
                            "country-name",
                        ),
                        PersonalField::CountryOfResidence => {
                            ("text", "The country you live in now.", "country-name")
                        }
                    };
                    spec.kind = Some(kind);
                    spec.hint = Some(hint);
                    spec.autocomplete = Some(autocomplete);
                    if *field == PersonalField::DateOfBirth {
                        spec.date = Some(date_parts(&path, value));
                    }
                    if *field == PersonalField::Address {
                        spec.textarea = true;
                        spec.rows = Some(4);
                    }
                    spec
                })
                .collect(),
        ),
        "education" => rows(
            EDUCATION_ROWS,
            "education",
            "Qualification",
            &EDUCATION_KEYS,
        ),
        "employment" => {
            let mut groups = rows(EMPLOYMENT_ROWS, "employment", "Job", &EMPLOYMENT_KEYS);
            for spec in groups.iter_mut().flat_map(|group| group.fields.iter_mut()) {
                if JOB_DATES.iter().any(|key| spec.name.ends_with(&format!(".{key}"))) {
                    spec.hint = Some("For example, 9 2020");
                    spec.month_year = Some(MonthParts::of(spec.value.as_deref(), |part| {
                        value(&format!("{}-{part}", spec.name))
                    }));
                }
            }
            groups
        }
        "courses" => {
            let mut groups = rows(
                COURSE_ROWS,
                "courses",
                "Course choice",
                &[
                    ("institution", "Institution"),
                    ("course", "Course"),
                    ("level", "Level of study (for example masters or doctoral)"),
                    (
                        "country",
                        "Country of study (leave empty for the United Kingdom)",
                    ),
                ],
            );
            groups.push(FieldGroup {
                legend: Some("After your studies".to_string()),
                fields: vec![checkbox(
                    "return_home",
                    format!(
                        "I commit to return to my home country for at least {} years after my award",
                        domain::screening::RETURN_HOME_YEARS
                    ),
                    value("return_home").as_deref() == Some("true"),
                )],
            });
            groups
        }
        "referees" => rows(
            REFEREE_ROWS,
            "referees",
            "Referee",
            &[("name", "Full name"), ("email", "Email address")],
        ),
        "essays" => alone(
            Essay::ALL
                .iter()
                .map(|essay| {
                    let path = format!("essays.{}", essay.name());
                    let mut spec = text_field(
                        &path,
                        &format!("{} essay", essay_label(*essay)),
                        value(&path),
                        errors,
                    );
                    spec.textarea = true;
                    spec.hint = Some(essay_hint(*essay));
                    spec.word_limit = Some(ESSAY_WORD_LIMIT);
                    spec
                })
                .collect(),
        ),
        "preferences" => vec![FieldGroup {
            legend: Some(
                "You can change these at any time before you submit; after that, through your Programme Officer."
                    .to_string(),
            ),
            fields: PREFERENCE_LABELS
                .iter()
                .map(|(key, label)| {
                    let path = format!("preferences.{key}");
                    let checked = value(&path).as_deref() == Some("true");
                    checkbox(&path, label.to_string(), checked)
                })
                .collect(),
        }],
        _ => Vec::new(),
    }
}

/// The keys of a job's dates, each a month and year (`YYYY-MM`).
const JOB_DATES: [&str; 2] = ["from", "to"];

/// The two fields of a GOV.UK month-and-year input (the `month_input` partial): from the month kept
/// (`YYYY-MM`), or as they were posted (`{name}-month`, `-year`) when the page is shown again with an error.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct MonthParts {
    pub month: Option<String>,
    pub year: Option<String>,
}

impl MonthParts {
    /// The parts of `kept` when it is a month; a kept value that is not one is shown whole in the year, so
    /// that nothing kept disappears from the form; otherwise each part as `posted` gives it.
    pub fn of(kept: Option<&str>, posted: impl Fn(&str) -> Option<String>) -> Self {
        match kept {
            Some(text) => match kept_month(text) {
                Some((year, month)) => Self {
                    month: Some(month.to_string()),
                    year: Some(year.to_string()),
                },
                None => Self {
                    month: None,
                    year: Some(text.to_string()),
                },
            },
            None => Self {
                month: posted("month"),
                year: posted("year"),
            },
        }
    }
}

/// The year and month of a month as the contract writes it (`YYYY-MM`).
fn kept_month(text: &str) -> Option<(i32, u32)> {
    use chrono::Datelike;
    let date =
        chrono::NaiveDate::parse_from_str(&format!("{}-01", text.trim()), "%Y-%m-%d").ok()?;
    Some((date.year(), date.month()))
}

/// A month posted as the two fields of a GOV.UK month-and-year input (`{name}-month`, `-year`): `Ok(None)`
/// when both are empty, the month as the contract writes it (`YYYY-MM`) when they make one, and otherwise
/// what is wrong in the GOV.UK's words, to follow the field's label ("must include a year", "must be a
/// real month"). The month is a number from 1 to 12 or its English name (`September`, `Sep`, `Sept`); the
/// year has four digits and is not before 1900, which the rules ask of a job's dates.
pub fn posted_month(form: &[(String, String)], name: &str) -> Result<Option<String>, String> {
    let part = |part: &str| {
        field(form, &format!("{name}-{part}"))
            .map(str::trim)
            .unwrap_or_default()
    };
    let (month, year) = (part("month"), part("year"));
    match (month.is_empty(), year.is_empty()) {
        (true, true) => return Ok(None),
        (true, false) => return Err("must include a month".to_string()),
        (false, true) => return Err("must include a year".to_string()),
        (false, false) => {}
    }
    let real = || "must be a real month".to_string();
    let month = month_number(month).ok_or_else(real)?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(real());
    }
    let year: u32 = year.parse().map_err(|_| real())?;
    if year < 1900 {
        return Err("must be in 1900 or later".to_string());
    }
    Ok(Some(format!("{year:04}-{month:02}")))
}

/// A month typed as a number from 1 to 12, or as its English name or the name's first three letters
/// (`Sept` too).
fn month_number(text: &str) -> Option<u32> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok().filter(|month| (1..=12).contains(month));
    }
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let typed = text.to_lowercase();
    NAMES
        .iter()
        .position(|name| {
            *name == typed
                || (typed.len() == 3 && name.starts_with(&typed))
                || (typed == "sept" && *name == "september")
        })
        .and_then(|index| u32::try_from(index + 1).ok())
}

/// The day, month and year of a date field: from the date kept (`YYYY-MM-DD`), or as they were posted
/// (`{path}-day`, `-month`, `-year`) when the page is shown again with an error.
fn date_parts(path: &str, value: &dyn Fn(&str) -> Option<String>) -> DateParts {
    DateParts::of(value(path).as_deref(), |part| {
        value(&format!("{path}-{part}"))
    })
}

pub use super::posted_date;

/// The change a posted section makes. Every field of the section is posted, so an empty one clears it.
pub fn changes_from(slug: &str, form: &[(String, String)]) -> Option<DraftChanges> {
    let text = |name: &str| {
        field(form, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let mut changes = DraftChanges::default();
    // A job's dates are posted as a month and a year each.
    let entries = |prefix: &str, count: usize, keys: &[(&str, &str)]| -> Vec<HistoryEntry> {
        (0..count)
            .filter_map(|i| {
                let entry: HistoryEntry = keys
                    .iter()
                    .filter_map(|(key, _)| {
                        let name = format!("{prefix}[{i}].{key}");
                        let value = if prefix == "employment" && JOB_DATES.contains(key) {
                            posted_month(form, &name).ok().flatten()
                        } else {
                            text(&name)
                        };
                        value.map(|v| (key.to_string(), json!(v)))
                    })
                    .collect();
                (!entry.is_empty()).then_some(entry)
            })
            .collect()
    };
    match slug {
        "personal" => {
            for field in PersonalField::ALL {
                let value = match field {
                    PersonalField::DateOfBirth => posted_date(form, &field.path()).ok().flatten(),
                    _ => text(&field.path()),
                };
                changes.personal.insert(field, value);
            }
        }
        "education" => {
            changes.education = Some(entries("education", EDUCATION_ROWS, &EDUCATION_KEYS))
        }
        "employment" => {
            changes.employment = Some(entries("employment", EMPLOYMENT_ROWS, &EMPLOYMENT_KEYS))
        }
        "courses" => {
            changes.courses = Some(
                (0..COURSE_ROWS)
                    .map(|i| CourseChoice {
                        institution: text(&format!("courses[{i}].institution")).unwrap_or_default(),
                        course: text(&format!("courses[{i}].course")).unwrap_or_default(),
                        level: text(&format!("courses[{i}].level")).unwrap_or_default(),
                        country: text(&format!("courses[{i}].country"))
                            .and_then(|name| Country::parse(&name)),
                    })
                    .filter(|c| {
                        !(c.institution.is_empty() && c.course.is_empty() && c.level.is_empty())
                    })
                    .collect(),
            );
            changes.return_home = Some(field(form, "return_home").is_some());
        }
        "essays" => {
            for essay in Essay::ALL {
                changes
                    .essays
                    .insert(essay, text(&format!("essays.{}", essay.name())));
            }
        }
        "referees" => {
            changes.referees = Some(
                (0..REFEREE_ROWS)
                    .map(|i| Referee {
                        name: text(&format!("referees[{i}].name")).unwrap_or_default(),
                        email: text(&format!("referees[{i}].email")).unwrap_or_default(),
                    })
                    .filter(|r| !(r.name.is_empty() && r.email.is_empty()))
                    .collect(),
            )
        }
        "preferences" => {
            let flag = |key: &str| Some(field(form, &format!("preferences.{key}")).is_some());
            changes.preferences = Some(PreferencesChange {
                networking_opt_out: flag("networking_opt_out"),
                alumni_email_opt_out: flag("alumni_email_opt_out"),
                alumni_book_opt_out: flag("alumni_book_opt_out"),
                images_opt_out: flag("images_opt_out"),
            });
        }
        _ => return None,
    }
    Some(changes)
}

/// Saves a posted section, then goes on to the next one (or back to the overview); a section with problems
/// is shown again with the applicant's values and what to correct.
async fn save(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = own_application(&state, &session, &id).await?;
    let slug = field(&form, "section").unwrap_or_default().to_string();
    let (index, title) = SECTIONS
        .iter()
        .enumerate()
        .find(|(_, (s, _))| *s == slug)
        .map(|(i, (_, title))| (i, *title))
        .ok_or(PageError::NotFound)?;
    let changes = changes_from(&slug, &form).ok_or(PageError::NotFound)?;
    let saved = match page_problems(&slug, &form) {
        problems if !problems.is_empty() => {
            Err(ApiError::invalid("some values are not valid", problems))
        }
        _ => state
            .execute_application(
                &id,
                &session.actor,
                ApplicationCommand::SaveDraft { changes },
            )
            .await
            .map_err(ApiError::from),
    };
    match saved {
        Ok(()) => {
            let next = match field(&form, "action") {
                Some("exit") => format!("/applications/{id}?saved=1"),
                _ => match SECTIONS.get(index + 1) {
                    Some((next, _)) => format!("/applications/{id}?section={next}&saved=1"),
                    None => format!("/applications/{id}/check"),
                },
            };
            Ok(see_other(&next, &[]))
        }
        Err(error) if error.code == "invalid" => {
            let problems = problems_of(&error);
            let by_path: FieldErrors = problems
                .iter()
                .map(|(path, problem)| (path.clone(), format!("{} {problem}", label_for(path))))
                .collect();
            let errors: Vec<ErrorItem> = problems
                .iter()
                .map(|(path, problem)| {
                    ErrorItem::new(path, format!("{} {problem}", label_for(path)))
                })
                .collect();
            let posted = |path: &str| {
                if path.starts_with("preferences.") {
                    Some(field(&form, path).is_some().to_string())
                } else {
                    field(&form, path).map(str::to_string)
                }
            };
            let groups = section_groups(&slug, &posted, &by_path);
            Ok(section_page(&session, &view, &slug, title, groups, errors, None).into_response())
        }
        // The application moved on meanwhile (submitted, withdrawn): show it as it now stands.
        Err(error) if error.status == StatusCode::CONFLICT => {
            Ok(see_other(&format!("/applications/{id}"), &[]))
        }
        Err(error) => Err(error.into()),
    }
}

/// What the page finds wrong before the rules are asked: a date of birth whose three fields make no
/// date, a job's date whose two fields make no month, a country of study that names no country.
fn page_problems(slug: &str, form: &[(String, String)]) -> Vec<FieldProblem> {
    let mut problems = unknown_countries_of_study(slug, form);
    if slug == "personal" {
        let path = PersonalField::DateOfBirth.path();
        if let Err(problem) = posted_date(form, &path) {
            problems.insert(0, FieldProblem::new(path, problem));
        }
    }
    if slug == "employment" {
        for i in 0..EMPLOYMENT_ROWS {
            for key in JOB_DATES {
                let path = format!("employment[{i}].{key}");
                if let Err(problem) = posted_month(form, &path) {
                    problems.push(FieldProblem::new(path, problem));
                }
            }
        }
    }
    problems
}

/// The course choices' countries of study that name no country (an empty one is the United Kingdom).
fn unknown_countries_of_study(slug: &str, form: &[(String, String)]) -> Vec<FieldProblem> {
    if slug != "courses" {
        return Vec::new();
    }
    (0..COURSE_ROWS)
        .map(|i| format!("courses[{i}].country"))
        .filter(|path| {
            field(form, path)
                .map(str::trim)
                .is_some_and(|name| !name.is_empty() && Country::parse(name).is_none())
        })
        .map(|path| FieldProblem::new(path, "must be a country by its English short name"))
        .collect()
}

/// The paths and problems of a 422 `invalid` refusal.
pub(crate) fn problems_of(error: &ApiError) -> Vec<(String, String)> {
    error
        .extra
        .get("problems")
        .and_then(Value::as_array)
        .map(|problems| {
            problems
                .iter()
                .filter_map(|p| {
                    Some((
                        p["path"].as_str()?.to_string(),
                        p["problem"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A section of the answers as the `answers` partial shows them: its title, a row per answer, and on the
/// applicant's check page the link to change them.
#[derive(Serialize)]
pub(crate) struct AnswerSection {
    slug: &'static str,
    title: &'static str,
    rows: Vec<AnswerRow>,
    change: Option<String>,
    change_label: String,
}

/// An answer: its label (with the entry of a list it belongs to), its value in words, the words of an
/// essay, and the id of its field.
#[derive(Serialize)]
pub(crate) struct AnswerRow {
    label: String,
    value: String,
    words: Option<usize>,
    id: String,
}

/// Every answer of the form, section by section, as label and value.
pub(crate) fn answers(view: &ApplicationView, with_change_links: bool) -> Vec<AnswerSection> {
    let form = form_json(view);
    SECTIONS
        .iter()
        .map(|&(slug, title)| {
            let groups = section_groups(slug, &|path| value_at(&form, path), &FieldErrors::new());
            let rows = groups
                .into_iter()
                .flat_map(|group| {
                    // Rows of a list say which entry they belong to: "Referee 2: email address".
                    let legend = group.legend.filter(|_| slug != "preferences");
                    group
                        .fields
                        .into_iter()
                        .map(move |spec| (legend.clone(), spec))
                })
                .filter_map(|(legend, spec)| {
                    let value = if spec.checkbox {
                        if spec.checked { "Yes" } else { "No" }.to_string()
                    } else {
                        in_words(&spec, spec.value.clone()?)
                    };
                    let label = match legend {
                        Some(legend) => format!("{legend}: {}", spec.label.to_lowercase()),
                        None => spec.label,
                    };
                    let words = spec.textarea.then(|| word_count(&value));
                    Some(AnswerRow {
                        label,
                        value,
                        words,
                        id: spec.id,
                    })
                })
                .collect();
            AnswerSection {
                slug,
                title,
                rows,
                change: with_change_links
                    .then(|| format!("/applications/{}?section={slug}", view.id)),
                change_label: lowercase_first(title),
            }
        })
        .collect()
}

/// A field's value as the answers show it: a date as "27 April 1998", a month as "April 2020"; a value
/// that is not one is shown as it is.
fn in_words(spec: &FormField, value: String) -> String {
    if spec.date.is_some() {
        chrono::NaiveDate::parse_from_str(&value, "%Y-%m-%d")
            .map(|date| date.format("%-d %B %Y").to_string())
            .unwrap_or(value)
    } else if spec.month_year.is_some() {
        kept_month(&value)
            .and_then(|(year, month)| chrono::NaiveDate::from_ymd_opt(year, month, 1))
            .map(|date| date.format("%B %Y").to_string())
            .unwrap_or(value)
    } else {
        value
    }
}

/// The answers as a reader with this view may see them (`domain::access`): only the sections it shows,
/// and of the personal details only the fields it shows.
pub(crate) fn shown_answers(
    view: &ApplicationView,
    shown: &domain::access::View,
) -> Vec<AnswerSection> {
    use domain::access::Section;
    answers(view, false)
        .into_iter()
        .filter(|section| {
            Section::ALL
                .iter()
                .any(|s| section.slug == s.name() && shown.shows(*s))
        })
        .map(|mut section| {
            if section.slug == "personal" {
                section.rows.retain(|row| {
                    PersonalField::ALL.iter().any(|field| {
                        shown.shows_field(*field) && row.id == super::field_id(&field.path())
                    })
                });
            }
            section
        })
        .collect()
}

async fn check(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    let view = own_application(&state, &session, &id).await?;
    if view.status != Status::Draft {
        return Ok(see_other(&format!("/applications/{id}"), &[]));
    }
    Ok(check_page(&session, &view, Vec::new(), StatusCode::OK).into_response())
}

/// What the check page shows: every answer with its change link, and the declaration naming the privacy
/// notice's date.
#[derive(Serialize)]
struct CheckPage<'a> {
    application: ApplicationRef<'a>,
    sections: Vec<AnswerSection>,
    notice_updated_on: String,
}

fn check_page<'a>(
    session: &'a Session,
    view: &ApplicationView,
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Page<'a> {
    Page::new(
        "check",
        "Check your answers before submitting",
        Some(session),
    )
    .data(CheckPage {
        application: ApplicationRef::of(view),
        sections: answers(view, true),
        notice_updated_on: crate::notice::updated_on_in_words(),
    })
    .errors(errors)
    .status(status)
}

async fn submit(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = own_application(&state, &session, &id).await?;
    match state
        .execute_application(
            &id,
            &session.actor,
            ApplicationCommand::SubmitApplication {
                notice: Some(crate::notice::current()),
            },
        )
        .await
        .map_err(ApiError::from)
    {
        Ok(()) => Ok(see_other(&format!("/applications/{id}/submitted"), &[])),
        Err(error) if error.code == "incomplete" => {
            let missing: Vec<String> = error
                .extra
                .get("missing")
                .and_then(Value::as_array)
                .map(|paths| {
                    paths
                        .iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let errors = missing
                .iter()
                .map(|path| {
                    let href = format!(
                        "/applications/{id}?section={}#{}",
                        section_of(path),
                        field_id(&anchor_for(path))
                    );
                    ErrorItem::elsewhere(href, format!("{} is missing", label_for(path)))
                })
                .collect();
            Ok(
                check_page(&session, &view, errors, StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            )
        }
        Err(error) if error.code == "not_eligible" => {
            let reasons: Vec<ErrorItem> = error
                .extra
                .get("reasons")
                .and_then(Value::as_array)
                .map(|reasons| {
                    reasons
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|reason| {
                            ErrorItem::elsewhere(
                                format!("/applications/{id}?section=personal"),
                                capitalise(reason),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(
                check_page(&session, &view, reasons, StatusCode::UNPROCESSABLE_ENTITY)
                    .into_response(),
            )
        }
        // The application moved on meanwhile (submitted, withdrawn): show it as it now stands.
        Err(error) if error.status == StatusCode::CONFLICT => {
            Ok(see_other(&format!("/applications/{id}"), &[]))
        }
        Err(error) => Err(error.into()),
    }
}

/// What the confirmation after submitting shows.
#[derive(Serialize)]
struct Confirmation<'a> {
    id: &'a str,
    reference: String,
    cycle: &'a str,
    submitted_on: String,
    helpdesk: &'a crate::config::HelpDesk,
}

/// The confirmation after submitting: the application's reference, what happens next and how to reach the
/// Help Desk. An application not yet submitted has none: its own page instead.
async fn confirmation(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    let view = own_application(&state, &session, &id).await?;
    let Some(submitted_at) = view.submitted_at else {
        return Ok(see_other(&format!("/applications/{id}"), &[]));
    };
    let data = Confirmation {
        id: &view.id,
        reference: crate::letters::short_reference(&view.id),
        cycle: &view.cycle,
        submitted_on: submitted_at.format("%-d %B %Y").to_string(),
        helpdesk: &state.helpdesk,
    };
    Ok(Page::new(
        "application_confirmation",
        "Application submitted",
        Some(&session),
    )
    .data(data)
    .into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = own_application(&state, &session, &id).await?;
    if field(&form, "confirm").is_none() {
        let errors = vec![ErrorItem::new(
            "confirm",
            "Tick the box to confirm you want to withdraw",
        )];
        return submitted_page_with(
            &state,
            &session,
            &view,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .execute_application(&id, &session.actor, ApplicationCommand::WithdrawApplication)
        .await
        .map_err(ApiError::from)
    {
        Ok(()) => Ok(see_other(&format!("/applications/{id}"), &[])),
        Err(error) if error.status == StatusCode::CONFLICT => {
            Ok(see_other(&format!("/applications/{id}"), &[]))
        }
        Err(error) => Err(error.into()),
    }
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Where on its section's page a missing item is answered: a list that is empty, or an entry that is
/// missing, is answered in the first field of its entry.
fn anchor_for(path: &str) -> String {
    match path {
        "education" => "education[0].institution".to_string(),
        "courses" => "courses[0].institution".to_string(),
        _ if path.ends_with(']') && path.starts_with("referees[") => format!("{path}.name"),
        _ => path.to_string(),
    }
}

/// What the applicant sees of each step of their application's history.
pub(crate) fn timeline_entry(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "ApplicationStarted" => "You started your application",
        "ApplicationSubmitted" => "You submitted your application",
        "PrivacyNoticeAccepted" => "You accepted the privacy notice",
        "ApplicationWithdrawn" => "The application was withdrawn",
        "PersonalDataAmended" => "The Help Desk amended your personal details at your request",
        "PreferencesChanged" => "Your choices about your information were changed",
        "EligibilityDetermined" => "We checked your eligibility",
        "CommitteeMemberAssigned" => "The committee began its review",
        "DecisionRecorded" => "A decision was made",
        "ConcludedWithCycle" => "The cycle closed without an award for your application",
        "AwardMade" => "Your award was made",
        "AwardCompleted" => "Your award was completed",
        "AwardTermsCorrected" => "The terms of your award were corrected",
        "CompletionOutcomeCorrected" => "The outcome of your award was corrected",
        "StatementOfDisputeRecorded" => "We kept your statement that your data is inaccurate",
        "LetterIssued" => "We wrote to you",
        _ => return None,
    })
}

/// One of the applicant's letters, as it was issued.
async fn letter(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, number)): PagePath<(String, String)>,
) -> Result<Response, PageError> {
    let view = own_application(&state, &session, &id).await?;
    super::letters::document(
        &view,
        &number,
        session.actor.role,
        (&format!("/applications/{id}"), "Back to your application"),
    )
}

async fn submitted_page(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
) -> Result<Response, PageError> {
    submitted_page_with(state, session, view, Vec::new(), StatusCode::OK).await
}

/// The offer as the applicant sees it: whether it is still open (with the buttons to answer it), the date
/// to answer by, and once it is closed, how.
#[derive(Serialize)]
struct OfferPanel {
    open: bool,
    reply_by: String,
    answer: Option<String>,
}

/// The offer as the applicant sees it, and what they can do about it.
fn offer_panel(view: &ApplicationView) -> Option<OfferPanel> {
    use domain::application::award::OfferState;
    let long = |date: chrono::NaiveDate| date.format("%-d %B %Y").to_string();
    let offer = view.administration.offer.as_ref()?;
    let today = chrono::Utc::now().date_naive();
    let open = offer.state == OfferState::Open && today <= offer.reply_by;
    Some(OfferPanel {
        open,
        reply_by: long(offer.reply_by),
        answer: match offer.state {
            OfferState::Open if open => None,
            OfferState::Open | OfferState::Lapsed => {
                Some("The offer lapsed: it was not answered by its reply-by date.".to_string())
            }
            OfferState::Accepted => offer
                .answered_on
                .map(|on| format!("You accepted the offer on {}.", long(on))),
            OfferState::Declined => offer
                .answered_on
                .map(|on| format!("You declined the offer on {}.", long(on))),
        },
    })
}

/// The dates the scholar's progress reports fall due and are not yet in.
fn reports_due(view: &ApplicationView) -> Vec<String> {
    if view.status != Status::Awarded {
        return Vec::new();
    }
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    view.administration
        .outstanding(terms)
        .into_iter()
        .map(|date| date.format("%-d %B %Y").to_string())
        .collect()
}

/// The applicant accepts or declines the offer made to them; declining is confirmed with a tick, since it
/// ends the application.
async fn reply_to_offer(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = own_application(&state, &session, &id).await?;
    let command = match field(&form, "answer") {
        Some("accept") => ApplicationCommand::AcceptOffer,
        Some("decline") if field(&form, "confirm_decline").is_some() => {
            ApplicationCommand::DeclineOffer
        }
        Some("decline") => {
            let errors = vec![ErrorItem::new(
                "confirm_decline",
                "Tick the box to confirm that you want to decline the offer",
            )];
            return submitted_page_with(
                &state,
                &session,
                &view,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        _ => {
            let errors = vec![ErrorItem::new(
                "answer",
                "Choose whether to accept or decline the offer",
            )];
            return submitted_page_with(
                &state,
                &session,
                &view,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match state
        .execute_application(&id, &session.actor, command)
        .await
        .map_err(ApiError::from)
    {
        Ok(()) => Ok(see_other(&format!("/applications/{id}"), &[])),
        Err(error) if error.status == StatusCode::CONFLICT => {
            let view = own_application(&state, &session, &id).await?;
            let errors = vec![ErrorItem::new("offer", capitalise(&error.message))];
            submitted_page_with(&state, &session, &view, errors, StatusCode::CONFLICT).await
        }
        Err(error) => Err(error.into()),
    }
}

/// What an application shows once submitted: its status and progress, any offer to answer, the reports
/// due, its letters, the answers as submitted, and the form to withdraw it while it is undecided.
#[derive(Serialize)]
struct SubmittedPage<'a> {
    application: ApplicationRef<'a>,
    status: &'static str,
    submitted_at: Option<String>,
    timeline: Vec<Step>,
    sections: Vec<AnswerSection>,
    can_withdraw: bool,
    withdraw_error: Option<String>,
    letters: Vec<LetterRow<'a>>,
    offer: Option<OfferPanel>,
    reports_due: Vec<String>,
}

/// A step of the application's progress: what happened, and on which day.
#[derive(Serialize)]
struct Step {
    text: &'static str,
    at: String,
}

async fn submitted_page_with(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
    errors: Vec<ErrorItem>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let history = state
        .repo
        .history(
            <domain::application::Application as cqrs_es::Aggregate>::TYPE,
            &view.id,
        )
        .await
        .map_err(ApiError::from)?;
    let mut timeline: Vec<Step> = Vec::new();
    for entry in history {
        if let Some(text) = timeline_entry(&entry.event_type) {
            // The committee's review is one step, however many members take part.
            if timeline.last().is_some_and(|last| last.text == text) {
                continue;
            }
            timeline.push(Step {
                text,
                at: entry.metadata.at.format("%-d %B %Y").to_string(),
            });
        }
    }
    let can_withdraw = !view.status.is_decided() && view.status != Status::Withdrawn;
    let withdraw_error = errors
        .iter()
        .find(|error| error.href == "#confirm")
        .map(|error| error.message.clone());
    Ok(
        Page::new("application_submitted", "Your application", Some(session))
            .data(SubmittedPage {
                application: ApplicationRef::of(view),
                status: status_text(view.status),
                submitted_at: view
                    .submitted_at
                    .map(|at| at.format("%-d %B %Y").to_string()),
                timeline,
                sections: answers(view, false),
                can_withdraw,
                withdraw_error,
                letters: super::letters::listed(view, &format!("/applications/{}", view.id)),
                offer: offer_panel(view),
                reports_due: reports_due(view),
            })
            .errors(errors)
            .status(status)
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(day: &str, month: &str, year: &str) -> Result<Option<String>, String> {
        let form: Vec<(String, String)> = [("day", day), ("month", month), ("year", year)]
            .iter()
            .map(|(part, value)| (format!("personal.date_of_birth-{part}"), value.to_string()))
            .collect();
        posted_date(&form, "personal.date_of_birth")
    }

    #[test]
    fn a_date_is_posted_as_day_month_and_year_and_told_wrong_the_govuk_way() {
        assert_eq!(date("9", "3", "1997"), Ok(Some("1997-03-09".to_string())));
        assert_eq!(
            date(" 27 ", "04", "1998"),
            Ok(Some("1998-04-27".to_string()))
        );
        assert_eq!(date("", "", ""), Ok(None));
        assert_eq!(
            date("9", "", "1997"),
            Err("must include a month".to_string())
        );
        assert_eq!(
            date("", "", "1997"),
            Err("must include a day and month".to_string())
        );
        assert_eq!(
            date("31", "2", "1997"),
            Err("must be a real date".to_string())
        );
        assert_eq!(
            date("9", "March", "1997"),
            Err("must be a real date".to_string())
        );
        assert_eq!(date("9", "3", "97"), Err("must be a real date".to_string()));
    }

    fn month(month: &str, year: &str) -> Result<Option<String>, String> {
        let form: Vec<(String, String)> = [("month", month), ("year", year)]
            .iter()
            .map(|(part, value)| (format!("employment[0].from-{part}"), value.to_string()))
            .collect();
        posted_month(&form, "employment[0].from")
    }

    #[test]
    fn a_job_date_is_posted_as_month_and_year_and_kept_as_the_contract_writes_it() {
        assert_eq!(month("9", "2020"), Ok(Some("2020-09".to_string())));
        assert_eq!(month(" 09 ", " 2020 "), Ok(Some("2020-09".to_string())));
        assert_eq!(month("12", "1999"), Ok(Some("1999-12".to_string())));
        assert_eq!(month("September", "2020"), Ok(Some("2020-09".to_string())));
        assert_eq!(month("sept", "2020"), Ok(Some("2020-09".to_string())));
        assert_eq!(month("Jan", "2021"), Ok(Some("2021-01".to_string())));
        assert_eq!(month("", ""), Ok(None));
        assert_eq!(month("  ", " "), Ok(None));
    }

    #[test]
    fn each_refusal_of_a_job_date_is_told_the_govuk_way() {
        assert_eq!(month("9", ""), Err("must include a year".to_string()));
        assert_eq!(month("", "2020"), Err("must include a month".to_string()));
        for (bad_month, bad_year) in [
            ("13", "2020"),
            ("0", "2020"),
            ("-1", "2020"),
            ("Septembre", "2020"),
            ("Se", "2020"),
            ("9", "20"),
            ("9", "20200"),
            ("9", "two thousand"),
            ("9.5", "2020"),
        ] {
            assert_eq!(
                month(bad_month, bad_year),
                Err("must be a real month".to_string()),
                "{bad_month} {bad_year}"
            );
        }
        assert_eq!(
            month("9", "1899"),
            Err("must be in 1900 or later".to_string())
        );
    }

    #[test]
    fn a_job_date_kept_fills_its_two_fields_and_one_posted_is_shown_again_as_typed() {
        let none = |_: &str| None;
        assert_eq!(
            MonthParts::of(Some("2020-09"), none),
            MonthParts {
                month: Some("9".to_string()),
                year: Some("2020".to_string())
            }
        );
        assert_eq!(
            MonthParts::of(None, |part| Some(format!("typed {part}"))),
            MonthParts {
                month: Some("typed month".to_string()),
                year: Some("typed year".to_string())
            }
        );
        // Nothing kept disappears from the form, even a value that is no month.
        assert_eq!(
            MonthParts::of(Some("Sept 2020"), none),
            MonthParts {
                month: None,
                year: Some("Sept 2020".to_string())
            }
        );
    }

    #[test]
    fn the_answers_give_dates_and_months_in_words() {
        let date = FormField {
            date: Some(DateParts::default()),
            ..FormField::default()
        };
        let month = FormField {
            month_year: Some(MonthParts::default()),
            ..FormField::default()
        };
        let words = |spec: &FormField, value: &str| in_words(spec, value.to_string());
        assert_eq!(words(&date, "1998-04-27"), "27 April 1998");
        assert_eq!(words(&month, "2020-04"), "April 2020");
        assert_eq!(words(&month, "not a month"), "not a month");
        assert_eq!(words(&FormField::default(), "2020-04"), "2020-04");
    }

    #[test]
    fn the_employment_section_asks_each_job_date_as_a_month_and_a_year() {
        let kept = |path: &str| (path == "employment[0].from").then(|| "2019-10".to_string());
        let groups = section_groups("employment", &kept, &FieldErrors::new());
        let from = &groups[0].fields[2];
        assert_eq!(from.id, "employment_0_from");
        assert_eq!(
            from.month_year,
            Some(MonthParts {
                month: Some("10".to_string()),
                year: Some("2019".to_string())
            })
        );
        let employer = &groups[0].fields[0];
        assert_eq!(employer.month_year, None);
        let form: Vec<(String, String)> = [
            ("employment[0].employer", "Test Works"),
            ("employment[0].from-month", "10"),
            ("employment[0].from-year", "2019"),
            ("employment[0].to-month", ""),
            ("employment[0].to-year", ""),
        ]
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
        let changes = changes_from("employment", &form).unwrap();
        let entries = changes.employment.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].get("from"), Some(&json!("2019-10")));
        assert_eq!(entries[0].get("to"), None);
    }
}
