//! The information officer's desk: FOI, subject access and other rights requests, ordered by due date with
//! overdue ones first; one request with its clock, the actions on it, and the response the system produces,
//! to read and to download; and the proclaimed bank holidays the deadlines are counted around.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use domain::Role;
use domain::application::form::PersonalField;
use domain::calendar::{BankHoliday, Region};
use domain::request::{
    ClockReason, Extension, FoiGround, ObjectedUse, RequestCommand, RequestKind, Requester,
    WithholdingGround,
};
use projections::information_requests::{self, RequestView};

use super::session::field;
use super::{
    Choice, DateParts, ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session,
    posted_date, see_other,
};
use crate::bus::AppState;
use crate::http::error::ApiError;
use crate::http::requests::{ordered, render};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(requests).post(log))
        .route("/requests/holidays", post(add_holiday))
        .route("/requests/{id}", get(request))
        .route("/requests/{id}/clock", post(clock))
        .route("/requests/{id}/extension", post(extend))
        .route("/requests/{id}/response", post(respond))
        .route("/requests/{id}/response/withheld", post(withhold))
        .route("/requests/{id}/response/note", post(annotate))
        .route("/requests/{id}/response/issue", post(issue))
        .route("/requests/{id}/draft-letter", get(draft_letter))
        .route("/requests/{id}/erasure", post(erasure))
        .route("/requests/{id}/rectification", post(rectification))
        .route("/requests/{id}/restriction", post(restriction))
        .route("/requests/{id}/objection", post(objection))
        .route("/requests/{id}/refusal", post(refusal))
        .route("/requests/{id}/response.json", get(response_json))
        .route("/requests/{id}/letter", get(letter))
}

#[derive(Deserialize, Default)]
struct Notice {
    done: Option<String>,
}

async fn requests(
    State(state): State<AppState>,
    session: Session,
    PageQuery(notice): PageQuery<Notice>,
) -> Result<Response, PageError> {
    session.require(&[Role::InformationOfficer])?;
    desk(
        &state,
        &session,
        Refused::none(),
        notice.done.map(|done| format!("Done: {done}.")),
    )
    .await
}

/// A refused form of the desk or of a request's page: its name (the prefix of its fields' ids), what it
/// posted and what was wrong, each message linking to its field.
struct Refused<'f> {
    form_name: &'static str,
    form: &'f [(String, String)],
    errors: Vec<ErrorItem>,
}

impl<'f> Refused<'f> {
    /// Nothing refused: the page as it is.
    fn none() -> Self {
        Self {
            form_name: "",
            form: &[],
            errors: Vec::new(),
        }
    }

    fn new(form_name: &'static str, form: &'f [(String, String)], errors: Vec<ErrorItem>) -> Self {
        Self {
            form_name,
            form,
            errors,
        }
    }

    /// The date input `name` of the form `form_name`: as it was posted when that form was refused,
    /// otherwise today.
    fn date(&self, form_name: &str, name: &str) -> DateParts {
        if self.form_name == form_name {
            DateParts::posted(self.form, name)
        } else {
            let today = Utc::now().date_naive().to_string();
            DateParts::of(Some(&today), |_| None)
        }
    }

    /// The message of the field with this id, if it was refused.
    fn message_at(&self, id: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|item| item.href.strip_prefix('#') == Some(id))
            .map(|item| item.message.clone())
    }

    /// The page, with the form's values kept and its messages at its fields, answered 422; as it is
    /// when nothing was refused.
    fn applied<'a>(&self, page: Page<'a>) -> Page<'a> {
        if self.errors.is_empty() {
            return page;
        }
        page.posted(self.form_name, self.form)
            .errors(self.errors.clone())
            .status(StatusCode::UNPROCESSABLE_ENTITY)
    }
}

/// A request as the desk lists it: its reference and requester, in words, with the day it is to be
/// answered by our promise and, where it differs, the day the law sets.
#[derive(Serialize)]
struct DeskRow {
    id: String,
    reference: String,
    requester: String,
    kind: String,
    received_on: String,
    due_on: String,
    /// The statutory date, where it differs from the day we promise.
    statutory_due_on: Option<String>,
    /// The statutory date comes first: it is the one to meet.
    statutory_first: bool,
    overdue: bool,
    status: String,
    clock_stopped: bool,
}

impl DeskRow {
    fn of(request: &serde_json::Value) -> Self {
        let text = |key: &str| request[key].as_str().unwrap_or_default().to_string();
        let day = |key: &str| {
            request[key]
                .as_str()
                .and_then(|raw| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        };
        let long = |day: NaiveDate| day.format("%-d %B %Y").to_string();
        let (due, statutory) = (day("due_on"), day("statutory_due_on"));
        let id = text("id");
        Self {
            reference: crate::responses::reference(&id),
            requester: request["requester"]["name"]
                .as_str()
                .unwrap_or("Not recorded")
                .to_string(),
            kind: crate::words::in_words(&text("kind")),
            received_on: day("received_on").map(long).unwrap_or_default(),
            due_on: due.map(long).unwrap_or_default(),
            statutory_due_on: statutory.filter(|s| Some(*s) != due).map(long),
            statutory_first: matches!((statutory, due), (Some(s), Some(d)) if s < d),
            overdue: request["overdue"].as_bool() == Some(true),
            status: super::capitalise(&crate::words::in_words(&text("status"))),
            clock_stopped: request["clock_stopped"].as_bool() == Some(true),
            id,
        }
    }
}

/// The context of `requests.hbs`: the requests by due date, the form to log one with the kinds to choose
/// from, and the form to add a proclaimed bank holiday with the regions.
#[derive(Serialize)]
struct Desk {
    requests: Vec<DeskRow>,
    kinds: Vec<Choice>,
    /// The day the request was received: today, or as a refused form posted it.
    received_on: DateParts,
    received_on_error: Option<String>,
    regions: Vec<Choice>,
    holiday_date: DateParts,
    holiday_date_error: Option<String>,
}

/// A choice a template shows by its code.
#[derive(Serialize)]
struct Code {
    value: &'static str,
}

impl Code {
    fn of(value: &'static str) -> Self {
        Self { value }
    }
}

async fn desk(
    state: &AppState,
    session: &Session,
    refused: Refused<'_>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let requests: Vec<DeskRow> = ordered(state).await?.iter().map(DeskRow::of).collect();
    let posted = |form_name: &str, name: &str| {
        (refused.form_name == form_name)
            .then(|| field(refused.form, name))
            .flatten()
    };
    let kind = posted("request", "kind");
    let region = posted("holiday", "region");
    let choices = |codes: Vec<&'static str>, chosen: Option<&str>| -> Vec<Choice> {
        codes
            .into_iter()
            .map(|code| Choice::new(code, crate::words::in_words(code), chosen == Some(code)))
            .collect()
    };
    let page = Page::new("requests", "Information requests", Some(session))
        .data(Desk {
            requests,
            kinds: choices(RequestKind::ALL.iter().map(|k| k.as_str()).collect(), kind),
            received_on: refused.date("request", "received_on"),
            received_on_error: refused.message_at("request_received_on"),
            regions: choices(Region::ALL.iter().map(|r| r.as_str()).collect(), region),
            holiday_date: refused.date("holiday", "date"),
            holiday_date_error: refused.message_at("holiday_date"),
        })
        .notice(notice);
    Ok(refused.applied(page).into_response())
}

/// A refusal of the rules, shown on the page it came from with each message at its field of the form
/// `form_name`; anything else is an error page.
fn shown(error: impl Into<ApiError>, form_name: &str) -> Result<Vec<ErrorItem>, PageError> {
    let error: ApiError = error.into();
    match error.status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            let mut items: Vec<ErrorItem> = error
                .extra
                .get("problems")
                .and_then(|p| p.as_array())
                .map(|problems| {
                    problems
                        .iter()
                        .filter_map(|p| {
                            let path = p["path"].as_str()?;
                            let message = field_message(form_name, path)
                                .map(str::to_string)
                                .unwrap_or_else(|| {
                                    super::capitalise(&format!(
                                        "{} {}",
                                        path.replace(['.', '_'], " "),
                                        p["problem"].as_str().unwrap_or_default()
                                    ))
                                });
                            Some(ErrorItem::new(&format!("{form_name}_{path}"), message))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if items.is_empty() {
                items.push(ErrorItem::new(form_name, super::capitalise(&error.message)));
            }
            Ok(items)
        }
        _ => Err(error.into()),
    }
}

/// What a form of the desk or of a request's page says when a field is refused, in the words of the GOV.UK
/// pattern; a field not named here is described by its path and the rule's own words.
fn field_message(form_name: &str, path: &str) -> Option<&'static str> {
    Some(match (form_name, path) {
        ("request", "requester.name") => "Enter the requester's name",
        ("request", "requester.email") => {
            "Enter the requester's email address in the correct format, like name@example.org"
        }
        ("request", "subject_email") => {
            "Enter the email address of the person the data is about in the correct format, like name@example.org"
        }
        ("request", "description") => "Enter what was asked, in at most 2,000 characters",
        ("request", "received_on") => {
            "The date the request was received must be today or in the past"
        }
        ("request", "note") => "Enter a note of at most 2,000 characters",
        ("extension", "reason") => "Enter the reason for the extension",
        ("erasure" | "rectification" | "restriction" | "objection" | "refusal", "decision") => {
            "Select whether to grant or refuse the request"
        }
        ("erasure" | "rectification" | "restriction" | "objection", "reason") => {
            "Enter the reason, which is given to the requester"
        }
        ("refusal", "reason") => "Enter why the exemption applies",
        ("refusal", "public_interest") => {
            "Enter the public interest reasons for a qualified exemption"
        }
        ("objection", "uses") => "Select the uses objected to",
        _ => return None,
    })
}

/// A date posted as the three fields of a date input: the day, or the message at its field (`label` begins
/// it: "The date the request was received must include a month").
fn date_of(
    form: &[(String, String)],
    name: &str,
    label: &str,
    missing: &str,
) -> Result<NaiveDate, String> {
    match posted_date(form, name) {
        Ok(Some(day)) => {
            NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| missing.to_string())
        }
        Ok(None) => Err(missing.to_string()),
        Err(problem) => Err(format!("{label} {problem}")),
    }
}

async fn log(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::InformationOfficer])?.clone();
    let mut errors = Vec::new();
    let kind = RequestKind::parse(field(&form, "kind").unwrap_or_default());
    if kind.is_none() {
        errors.push(ErrorItem::new("request_kind", "Select the kind of request"));
    }
    let received_on = date_of(
        &form,
        "received_on",
        "The date the request was received",
        "Enter the date the request was received",
    )
    .map_err(|message| errors.push(ErrorItem::new("request_received_on", message)))
    .ok();
    let text = |name: &str| field(&form, name).unwrap_or_default().to_string();
    if text("requester_name").trim().is_empty() {
        errors.push(ErrorItem::new(
            "request_requester_name",
            "Enter the requester's name",
        ));
    }
    let (Some(kind), Some(received_on), true) = (kind, received_on, errors.is_empty()) else {
        return desk(
            &state,
            &session,
            Refused::new("request", &form, errors),
            None,
        )
        .await;
    };
    let id = uuid::Uuid::now_v7().to_string();
    let command = RequestCommand::LogRequest {
        kind,
        received_on,
        requester: Requester {
            name: text("requester_name"),
            email: text("requester_email"),
        },
        subject_email: field(&form, "subject_email").map(str::to_string),
        description: text("description"),
    };
    match state.execute_request(&id, &actor, command).await {
        Ok(()) => Ok(see_other(&format!("/requests/{id}"), &[])),
        Err(error) => {
            let errors = shown(error, "request")?;
            desk(
                &state,
                &session,
                Refused::new("request", &form, errors),
                None,
            )
            .await
        }
    }
}

async fn add_holiday(
    State(state): State<AppState>,
    session: Session,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let actor = session.require(&[Role::InformationOfficer])?;
    let date = date_of(
        &form,
        "date",
        "The day of the bank holiday",
        "Enter the day of the bank holiday",
    );
    let holiday = date
        .map_err(|message| vec![ErrorItem::new("holiday_date", message)])
        .and_then(|date| {
            BankHoliday::proclaimed(
                date,
                field(&form, "region").unwrap_or_default(),
                field(&form, "name").unwrap_or_default(),
            )
            .map_err(|(path, _)| {
                let message = match path {
                    "date" => "The day of the bank holiday must be in a year from 2015 to 2100",
                    "region" => "Select the region",
                    _ => "Enter the name of the bank holiday, in at most 200 characters",
                };
                vec![ErrorItem::new(&format!("holiday_{path}"), message)]
            })
        });
    match holiday {
        Ok(holiday) => {
            projections::calendar::add_holiday(&state.db, &holiday, &actor.user_id).await?;
            Ok(see_other(
                "/requests?done=the%20bank%20holiday%20was%20added",
                &[],
            ))
        }
        Err(errors) => {
            desk(
                &state,
                &session,
                Refused::new("holiday", &form, errors),
                None,
            )
            .await
        }
    }
}

async fn load(state: &AppState, session: &Session, id: &str) -> Result<RequestView, PageError> {
    session.require(&[Role::InformationOfficer])?;
    match information_requests::find(&state.db, id).await? {
        Some(view) => Ok(view),
        None if projections::retention::is_destroyed(&state.db, "InformationRequest", id).await? => {
            Err(PageError::Refused {
                status: axum::http::StatusCode::GONE,
                message: "this request, its response and letters were destroyed under the retention schedule, two years after it closed".into(),
            })
        }
        None => Err(PageError::NotFound),
    }
}

async fn request_page(
    state: &AppState,
    session: &Session,
    view: &RequestView,
    refused: Refused<'_>,
    notice: Option<String>,
) -> Result<Response, PageError> {
    let calendar = projections::calendar::working_days(&state.db).await?;
    let request = render(view, &calendar, Utc::now().date_naive());
    let reasons: Vec<Code> = [
        ClockReason::Fee,
        ClockReason::Clarification,
        ClockReason::Identity,
    ]
    .into_iter()
    .filter(|r| view.kind.allows(*r))
    .map(|r| Code::of(r.as_str()))
    .collect();
    let open = view.responded_on.is_none();
    let decide = open && !view.decided();
    // The subject's applications, for choosing the one a rectification corrects.
    let rectification = if decide && view.kind == RequestKind::Rectification {
        let mut cases = Vec::new();
        if let Some(email) = &view.subject_email {
            for id in crate::rights::subject_applications(&state.db, email).await? {
                if let Some(case) =
                    projections::application_view::find(&state.db, &state.repo, &id).await?
                {
                    cases.push(CaseOption {
                        label: format!("{} · {} · {}", case.cycle, case.status.as_str(), case.id),
                        id: case.id,
                    });
                }
            }
        }
        let personal = PersonalField::ALL
            .iter()
            .map(|field| PersonalInput {
                id: super::field_id(&format!("rectification_{}", field.path())),
                label: super::applicant::label_for(&field.path()),
                name: field.path(),
            })
            .collect();
        Some(RectificationForm { cases, personal })
    } else {
        None
    };
    let objection = (decide && view.kind == RequestKind::Objection).then(|| {
        ObjectedUse::ALL
            .iter()
            .map(|u| UseOption {
                value: u.as_str(),
                label: super::capitalise(u.describe()),
                id: format!("objection_{}", u.as_str()),
            })
            .collect()
    });
    let refusal = (decide && view.kind == RequestKind::Foi).then(|| {
        FoiGround::ALL
            .iter()
            .map(|g| GroundOption {
                value: g.as_str(),
                label: format!("{}: {}", g.section(), g.describe()),
                qualified: g.is_qualified(),
            })
            .collect()
    });
    // The draft response, while there is one: what is withheld so far, and the forms to withhold, note and
    // issue.
    let draft = match view.drafted_on {
        Some(_) if open => crate::drafts::stored(state, &view.id).await?.map(|draft| {
            let composed = crate::responses::resolve(draft.composed());
            let sar = matches!(view.kind, RequestKind::Sar | RequestKind::Portability);
            DraftShown {
                drafted_on: draft.drafted_on.to_string(),
                withheld: composed["withheld"].clone(),
                withhold: sar.then(|| WithholdForm {
                    items: crate::drafts::items(&draft.response)
                        .into_iter()
                        .filter(|(item, _)| {
                            !draft.withheld.iter().any(|w| {
                                item == &w.item || item.starts_with(&format!("{}/", w.item))
                            })
                        })
                        .map(|(value, label)| Labelled { value, label })
                        .collect(),
                    grounds: WithholdingGround::ALL
                        .iter()
                        .map(|g| Labelled {
                            value: g.as_str().to_string(),
                            label: format!("{}: {}", g.provision(), g.describe()),
                        })
                        .collect(),
                }),
                note: draft.note,
                held_elsewhere: draft.held_elsewhere,
            }
        }),
        _ => None,
    };
    let entered = if refused.form_name == "request" {
        refused.form
    } else {
        &[]
    };
    let page = Page::new("request", "Information request", Some(session))
        .data(RequestPage {
            request,
            decide: Decisions {
                erasure: decide && view.kind == RequestKind::Erasure,
                rectification,
                restriction: decide && view.kind == RequestKind::Restriction,
                objection,
                refusal,
            },
            compose: (decide && view.kind == RequestKind::Foi).then(|| compose_options(entered)),
            reasons,
            clock_on: refused.date("request", "on"),
            clock_on_error: refused.message_at("request_on"),
            draft,
            open,
            can_extend: open && view.extension.is_none(),
            foi: view.kind.is_foi(),
            answerable: matches!(
                view.kind,
                RequestKind::Foi | RequestKind::Sar | RequestKind::Portability
            ),
        })
        .notice(notice);
    Ok(refused.applied(page).into_response())
}

/// The context of `request.hbs`: the request with its clock, the forms of what can be done with it now
/// (stop or resume the clock, extend, decide a right, compose an FOI answer, work on the draft, respond),
/// and its response once answered.
#[derive(Serialize)]
struct RequestPage {
    /// The request as the API shows it (`http::requests::render`): its dates, requester, decisions and
    /// clock.
    request: serde_json::Value,
    decide: Decisions,
    compose: Option<ComposeForm>,
    /// Why the clock may stop for this kind of request.
    reasons: Vec<Code>,
    /// The day the clock stops or resumes: today, or as a refused form posted it.
    clock_on: DateParts,
    clock_on_error: Option<String>,
    draft: Option<DraftShown>,
    /// Not answered yet.
    open: bool,
    can_extend: bool,
    foi: bool,
    /// A kind of request the system produces a response for.
    answerable: bool,
}

/// The form to decide the right the request asks for, where it is still to be decided: one of them at
/// most.
#[derive(Serialize)]
struct Decisions {
    erasure: bool,
    rectification: Option<RectificationForm>,
    restriction: bool,
    /// The uses an objection can be to.
    objection: Option<Vec<UseOption>>,
    /// The grounds an FOI request can be refused on.
    refusal: Option<Vec<GroundOption>>,
}

/// The form to decide a rectification: the subject's applications to correct, and a field for each
/// personal detail.
#[derive(Serialize)]
struct RectificationForm {
    cases: Vec<CaseOption>,
    personal: Vec<PersonalInput>,
}

/// An application of the subject: its cycle, status and id.
#[derive(Serialize)]
struct CaseOption {
    id: String,
    label: String,
}

/// A field for the corrected value of a personal detail (the `field` partial).
#[derive(Serialize)]
struct PersonalInput {
    id: String,
    name: String,
    label: String,
}

/// A use an objection can be to, as a checkbox.
#[derive(Serialize)]
struct UseOption {
    value: &'static str,
    label: String,
    id: String,
}

/// An FOI exemption: its section and what it covers, and whether it is qualified (a public interest test).
#[derive(Serialize)]
struct GroundOption {
    value: &'static str,
    label: String,
    qualified: bool,
}

/// The draft response: when it was made, what is withheld from it so far, its note, and for a subject
/// access or portability request the form to withhold an item.
#[derive(Serialize)]
struct DraftShown {
    drafted_on: String,
    /// The items withheld, as the composed response lists them.
    withheld: serde_json::Value,
    note: String,
    held_elsewhere: String,
    withhold: Option<WithholdForm>,
}

/// The items of the draft still to withhold, and the exemptions to withhold them under.
#[derive(Serialize)]
struct WithholdForm {
    items: Vec<Labelled>,
    grounds: Vec<Labelled>,
}

/// An option of a select: its value and its label.
#[derive(Serialize)]
struct Labelled {
    value: String,
    label: String,
}

/// How many refused parts the form to compose an FOI answer offers.
const REFUSED_PARTS: usize = 3;

/// The form an information officer composes an FOI answer with, with what was entered.
#[derive(Serialize)]
struct ComposeForm {
    held: Vec<Tick>,
    group_by: Vec<Tick>,
    statuses: Vec<StatusOption>,
    parts: Vec<RefusedPart>,
    answer: String,
    cycles: String,
    country: String,
}

/// A radio button or checkbox: its value, label and id, and whether it is ticked.
#[derive(Serialize)]
struct Tick {
    value: &'static str,
    label: &'static str,
    id: String,
    checked: bool,
}

/// A status to count applications of.
#[derive(Serialize)]
struct StatusOption {
    value: &'static str,
    selected: bool,
}

/// A part withheld from an FOI answer: what, under which section, why, and the public interest.
#[derive(Serialize)]
struct RefusedPart {
    index: usize,
    number: usize,
    grounds: Vec<Choice>,
    part: String,
    reason: String,
    public_interest: String,
}

/// The choices of the form an information officer composes an FOI answer with.
fn compose_options(entered: &[(String, String)]) -> ComposeForm {
    use crate::responses::{GROUP_BY, Held};
    let value = |name: &str| field(entered, name).unwrap_or_default().to_string();
    let chosen = |name: &str, value: &str| entered.iter().any(|(n, v)| n == name && v == value);
    let held = Held::ALL
        .iter()
        .enumerate()
        .map(|(i, h)| Tick {
            value: h.as_str(),
            label: h.in_words(),
            // The first choice carries the id an error about `held` links to.
            id: if i == 0 {
                "request_held".to_string()
            } else {
                format!("request_held_{}", h.as_str())
            },
            checked: chosen("held", h.as_str()),
        })
        .collect();
    let group_by = GROUP_BY
        .iter()
        .enumerate()
        .map(|(i, key)| Tick {
            value: key,
            label: match *key {
                "country" => "country of residence",
                "level" => "level of study (the award's, else the first course choice)",
                "institution" => "institution (the award's, else the first course choice)",
                other => other,
            },
            id: if i == 0 {
                "request_statistics_group_by".to_string()
            } else {
                format!("request_statistics_group_by_{key}")
            },
            checked: chosen("group_by", key),
        })
        .collect();
    let statuses = domain::application::Status::ALL
        .iter()
        .filter(|s| **s != domain::application::Status::Draft)
        .map(|s| StatusOption {
            value: s.as_str(),
            selected: chosen("status", s.as_str()),
        })
        .collect();
    let parts = (0..REFUSED_PARTS)
        .map(|i| RefusedPart {
            index: i,
            number: i + 1,
            grounds: FoiGround::ALL
                .iter()
                .map(|g| {
                    Choice::new(
                        g.as_str(),
                        g.section(),
                        chosen(&format!("refusal_section_{i}"), g.as_str()),
                    )
                })
                .collect(),
            part: value(&format!("refusal_part_{i}")),
            reason: value(&format!("refusal_reason_{i}")),
            public_interest: value(&format!("refusal_public_interest_{i}")),
        })
        .collect();
    ComposeForm {
        held,
        group_by,
        statuses,
        parts,
        answer: value("answer"),
        cycles: value("cycles"),
        country: value("country"),
    }
}

/// The FOI answer composed on the request's page, as the API takes it.
fn composed(form: &[(String, String)]) -> crate::responses::FoiAnswerBody {
    use crate::responses::{FoiAnswerBody, RefusedPartBody, StatisticsBody};
    let given = |name: &str| {
        field(form, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let group_by: Vec<String> = form
        .iter()
        .filter(|(name, _)| name == "group_by")
        .map(|(_, value)| value.clone())
        .collect();
    let cycles: Option<Vec<String>> = given("cycles").map(|cycles| {
        cycles
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    });
    let (country, status) = (given("country"), given("status"));
    let statistics =
        (!group_by.is_empty() || cycles.is_some() || country.is_some() || status.is_some())
            .then_some(StatisticsBody {
                group_by,
                cycles,
                country,
                status,
            });
    let refusals: Vec<RefusedPartBody> = (0..REFUSED_PARTS)
        .filter_map(|i| {
            let part = RefusedPartBody {
                part: given(&format!("refusal_part_{i}")).unwrap_or_default(),
                section: given(&format!("refusal_section_{i}")).unwrap_or_default(),
                reason: given(&format!("refusal_reason_{i}")).unwrap_or_default(),
                public_interest: given(&format!("refusal_public_interest_{i}")),
            };
            (!part.part.is_empty() || !part.section.is_empty() || !part.reason.is_empty())
                .then_some(part)
        })
        .collect();
    FoiAnswerBody {
        draft: field(form, "draft").is_some(),
        held: given("held"),
        answer: field(form, "answer").map(str::to_string),
        statistics,
        refusals: (!refusals.is_empty()).then_some(refusals),
    }
}

async fn request(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(notice): PageQuery<Notice>,
) -> Result<Response, PageError> {
    let view = load(&state, &session, &id).await?;
    request_page(
        &state,
        &session,
        &view,
        Refused::none(),
        notice.done.map(|d| format!("Done: {d}.")),
    )
    .await
}

/// Runs an action on a request; a refusal is shown on its page, with what the form `form_name` posted
/// kept and each message at its field.
async fn act(
    state: &AppState,
    session: &Session,
    id: &str,
    command: Result<RequestCommand, Vec<ErrorItem>>,
    done: &str,
    (form_name, form): (&'static str, &[(String, String)]),
) -> Result<Response, PageError> {
    let errors = match command {
        Ok(command) => match state.execute_request(id, &session.actor, command).await {
            Ok(()) => {
                return Ok(see_other(
                    &format!("/requests/{id}?done={}", super::encode_query(done)),
                    &[],
                ));
            }
            Err(error) => shown(error, form_name)?,
        },
        Err(errors) => errors,
    };
    let view = load(state, session, id).await?;
    request_page(
        state,
        session,
        &view,
        Refused::new(form_name, form, errors),
        None,
    )
    .await
}

async fn clock(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let note = field(&form, "note").unwrap_or_default().to_string();
    let mut errors = Vec::new();
    let on = date_of(
        &form,
        "on",
        "The date the clock stops or resumes",
        "Enter the date the clock stops or resumes",
    )
    .map_err(|message| errors.push(ErrorItem::new("request_on", message)))
    .ok();
    let command = match field(&form, "action") {
        Some("stop") => match ClockReason::parse(field(&form, "reason").unwrap_or_default()) {
            Some(reason) => on.map(|on| RequestCommand::StopClock { on, reason, note }),
            None => {
                errors.push(ErrorItem::new(
                    "request_reason",
                    "Select why the clock stops",
                ));
                None
            }
        },
        Some("resume") => on.map(|on| RequestCommand::ResumeClock { on, note }),
        _ => {
            errors.push(ErrorItem::new(
                "request_action",
                "Select whether the clock stops or resumes",
            ));
            None
        }
    };
    let command = match command {
        Some(command) if errors.is_empty() => Ok(command),
        _ => Err(errors),
    };
    act(
        &state,
        &session,
        &id,
        command,
        "the clock was changed",
        ("request", &form),
    )
    .await
}

async fn extend(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = load(&state, &session, &id).await?;
    let extension = if view.kind.is_foi() {
        Extension::PublicInterestTest
    } else {
        Extension::Complex {
            months: field(&form, "months")
                .and_then(|m| m.parse().ok())
                .unwrap_or(2),
        }
    };
    let reason = field(&form, "reason").unwrap_or_default().to_string();
    act(
        &state,
        &session,
        &id,
        Ok(RequestCommand::ExtendDeadline { extension, reason }),
        "the time limit was extended",
        ("extension", &form),
    )
    .await
}

async fn respond(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = load(&state, &session, &id).await?;
    // The FOI answer an information officer composed, or else the response the system produces.
    let produced = if view.kind == RequestKind::Foi && field(&form, "compose").is_some() {
        match crate::responses::answer_foi(&state, &composed(&form)).await {
            Err(error) => {
                // Refused: the page again, with what was entered.
                let errors = shown(error, "request")?;
                return request_page(
                    &state,
                    &session,
                    &view,
                    Refused::new("request", &form, errors),
                    None,
                )
                .await;
            }
            answer => answer,
        }
    } else {
        crate::responses::produce(
            &state,
            view.kind,
            view.subject_email.as_deref(),
            &session.actor,
        )
        .await
    };
    let draft = field(&form, "draft").is_some();
    let command = match produced {
        Ok(response) if draft => Ok(RequestCommand::DraftResponse { response }),
        Ok(response) => Ok(RequestCommand::IssueResponse { response }),
        Err(error) => Err(shown(error, "request")?),
    };
    let done = if draft {
        "the draft response was made: read it, withhold what must be withheld, then issue it"
    } else {
        "the response was produced"
    };
    act(&state, &session, &id, command, done, ("request", &form)).await
}

/// A step on the draft response, done through the same calls as the API: back to the request with what was
/// done, or its page with the refusal, each error linked to the draft's own fields.
async fn on_draft(
    state: &AppState,
    session: &Session,
    view: &RequestView,
    outcome: Result<(), impl Into<ApiError>>,
    done: &str,
    (form_name, form): (&'static str, &[(String, String)]),
) -> Result<Response, PageError> {
    let errors = match outcome {
        Ok(()) => {
            return Ok(see_other(
                &format!("/requests/{}?done={}", view.id, super::encode_query(done)),
                &[],
            ));
        }
        Err(error) => shown(error, "request")?,
    };
    let errors = errors
        .into_iter()
        .map(|mut item| {
            for (from, to) in [
                ("#request_item", "#withhold_item"),
                ("#request_ground", "#withhold_ground"),
                ("#request_reason", "#withhold_reason"),
                ("#request_note", "#draft_note"),
                ("#request_held_elsewhere", "#draft_held_elsewhere"),
            ] {
                if item.href == from {
                    item.href = to.to_string();
                }
            }
            item
        })
        .collect();
    let view = load(state, session, &view.id).await?;
    request_page(
        state,
        session,
        &view,
        Refused::new(form_name, form, errors),
        None,
    )
    .await
}

async fn withhold(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = load(&state, &session, &id).await?;
    let text = |name: &str| field(&form, name).unwrap_or_default().to_string();
    let outcome = crate::drafts::withhold(
        &state,
        &view,
        &session.actor,
        &text("item"),
        &text("ground"),
        &text("reason"),
    )
    .await;
    on_draft(
        &state,
        &session,
        &view,
        outcome,
        "the item was withheld from the draft",
        ("withhold", &form),
    )
    .await
}

async fn annotate(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = load(&state, &session, &id).await?;
    let text = |name: &str| field(&form, name).unwrap_or_default().to_string();
    let outcome = crate::drafts::annotate(
        &state,
        &view,
        &session.actor,
        &text("note"),
        &text("held_elsewhere"),
    )
    .await;
    on_draft(
        &state,
        &session,
        &view,
        outcome,
        "the note was added to the draft",
        ("draft", &form),
    )
    .await
}

async fn issue(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    let view = load(&state, &session, &id).await?;
    let outcome = crate::drafts::issue(&state, &view, &session.actor).await;
    on_draft(
        &state,
        &session,
        &view,
        outcome,
        "the response was issued",
        ("issue", &form),
    )
    .await
}

/// The letter the draft would send, marked as a draft.
async fn draft_letter(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    let mut view = load(&state, &session, &id).await?;
    let draft = crate::drafts::stored(&state, &id)
        .await?
        .ok_or(PageError::NotFound)?;
    view.responded_on = None;
    let response = crate::responses::resolve(draft.composed());
    let html = crate::responses::letter(&view, &response).map_err(|_| PageError::Internal)?;
    Ok(Html(html).into_response())
}

async fn response_json(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    load(&state, &session, &id).await?;
    let response = crate::responses::stored(&state, &id)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"response-{id}.json\""),
            ),
        ],
        serde_json::to_string_pretty(&response).unwrap_or_default(),
    )
        .into_response())
}

async fn letter(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
) -> Result<Response, PageError> {
    let view = load(&state, &session, &id).await?;
    let response = crate::responses::stored(&state, &id)
        .await?
        .ok_or(PageError::NotFound)?;
    let html = crate::responses::letter(&view, &response).map_err(|_| PageError::Internal)?;
    Ok(Html(html).into_response())
}

/// After a decision on a right: back to the request with what was done, or its page with the refusal.
async fn decided(
    state: &AppState,
    session: &Session,
    id: &str,
    outcome: Result<(), ApiError>,
    done: &str,
    (form_name, form): (&'static str, &[(String, String)]),
) -> Result<Response, PageError> {
    let errors = match outcome {
        Ok(()) => {
            return Ok(see_other(
                &format!("/requests/{id}?done={}", super::encode_query(done)),
                &[],
            ));
        }
        Err(error) => shown(error, form_name)?,
    };
    let view = load(state, session, id).await?;
    request_page(
        state,
        session,
        &view,
        Refused::new(form_name, form, errors),
        None,
    )
    .await
}

/// Whether the officer chose to grant (`grant`) or to refuse (`refuse`); anything else is no choice.
fn choice(form: &[(String, String)], grant: &str) -> Result<bool, ApiError> {
    match field(form, "decision") {
        Some(choice) if choice == grant => Ok(true),
        Some("refuse") => Ok(false),
        _ => Err(ApiError::invalid_field(
            "decision",
            "must be chosen: grant the request or refuse it",
        )),
    }
}

async fn erasure(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let reason = field(&form, "reason").unwrap_or_default();
    let outcome = match choice(&form, "approve") {
        Ok(approve) => crate::rights::decide_erasure(&state, &session.actor, &id, approve, reason)
            .await
            .map_err(ApiError::from),
        Err(error) => Err(error),
    };
    decided(
        &state,
        &session,
        &id,
        outcome,
        "the erasure request was decided and answered",
        ("erasure", &form),
    )
    .await
}

async fn rectification(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let changes: Vec<(String, String)> = PersonalField::ALL
        .iter()
        .filter_map(|f| {
            let value = field(&form, &f.path())?.trim();
            (!value.is_empty()).then(|| (f.path(), value.to_string()))
        })
        .collect();
    let outcome = match choice(&form, "rectify") {
        Ok(true) if changes.is_empty() => Err(ApiError::invalid_field(
            "changes",
            "must name at least one corrected value",
        )),
        Ok(rectify) => {
            let decision = crate::rights::Rectification {
                rectify,
                application_id: field(&form, "application_id").map(str::to_string),
                changes,
                reason: field(&form, "reason").unwrap_or_default().to_string(),
                statement: field(&form, "statement").map(str::to_string),
            };
            crate::rights::decide_rectification(&state, &session.actor, &id, decision)
                .await
                .map_err(ApiError::from)
        }
        Err(error) => Err(error),
    };
    decided(
        &state,
        &session,
        &id,
        outcome,
        "the rectification request was decided and answered",
        ("rectification", &form),
    )
    .await
}

async fn restriction(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let reason = field(&form, "reason").unwrap_or_default();
    let outcome = match choice(&form, "restrict") {
        Ok(restrict) => {
            crate::rights::decide_restriction(&state, &session.actor, &id, restrict, reason)
                .await
                .map_err(ApiError::from)
        }
        Err(error) => Err(error),
    };
    decided(
        &state,
        &session,
        &id,
        outcome,
        "the restriction request was decided and answered",
        ("restriction", &form),
    )
    .await
}

async fn objection(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let reason = field(&form, "reason").unwrap_or_default();
    let named = form
        .iter()
        .filter(|(name, _)| name == "uses")
        .map(|(_, value)| value.as_str());
    let outcome = match (
        choice(&form, "uphold"),
        crate::http::requests::parse_uses(named),
    ) {
        (Ok(uphold), Ok(uses)) => {
            crate::rights::decide_objection(&state, &session.actor, &id, uphold, uses, reason)
                .await
                .map_err(ApiError::from)
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    decided(
        &state,
        &session,
        &id,
        outcome,
        "the objection was decided and answered",
        ("objection", &form),
    )
    .await
}

async fn refusal(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    load(&state, &session, &id).await?;
    let outcome =
        match crate::http::requests::parse_ground(field(&form, "ground").unwrap_or_default()) {
            Ok(ground) => crate::rights::refuse_foi(
                &state,
                &session.actor,
                &id,
                ground,
                field(&form, "reason").unwrap_or_default(),
                field(&form, "public_interest").map(str::to_string),
            )
            .await
            .map_err(ApiError::from),
            Err(error) => Err(error),
        };
    decided(
        &state,
        &session,
        &id,
        outcome,
        "the refusal notice was issued",
        ("refusal", &form),
    )
    .await
}
