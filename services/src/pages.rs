//! The web pages: server-rendered HTML for every role, on the same commands and views as the API.
//!
//! Every page is a Handlebars template (`app/templates/`, embedded in the binary) inside one layout;
//! values are HTML-escaped by Handlebars and no template uses the triple-stash. Forms post
//! `application/x-www-form-urlencoded` with a CSRF token; the session is an HttpOnly cookie.

pub mod admin;
pub mod applicant;
pub mod award;
pub mod case_page;
pub mod committee;
pub mod letters;
pub mod password_reset;
pub mod public;
pub mod requests;
pub mod retention;
pub mod selection;
pub mod session;
pub mod sharing;
pub mod staff;
pub mod templates;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use domain::Role;

use crate::bus::AppState;
use crate::http::error::ApiError;
pub use session::{MaybeSession, Session};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(admin::router())
        .merge(password_reset::router())
        .merge(applicant::router())
        .merge(staff::router())
        .merge(award::router())
        .merge(committee::router())
        .merge(requests::router())
        .merge(sharing::router())
        .merge(retention::router())
        .merge(selection::router())
        .merge(templates::assets_router())
        .layer(axum::middleware::from_fn(remember_path))
}

tokio::task_local! {
    /// The path of the page being answered, for the menu to mark the section it is in.
    static CURRENT_PATH: String;
}

/// Keeps the request's path while its page is made ([`CURRENT_PATH`]).
async fn remember_path(request: Request, next: axum::middleware::Next) -> Response {
    let path = request.uri().path().to_string();
    CURRENT_PATH.scope(path, next.run(request)).await
}

/// The menu entry of the section a path is in: the longest entry the path is, or is under.
fn current_section<'a>(nav: &[(&'a str, &str)], path: &str) -> Option<&'a str> {
    nav.iter()
        .map(|(href, _)| *href)
        .filter(|href| {
            path == *href
                || path
                    .strip_prefix(href)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .max_by_key(|href| href.len())
}

/// One entry of the error summary at the top of a page, linking to its field.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ErrorItem {
    pub href: String,
    pub message: String,
}

impl ErrorItem {
    /// An error about a field of this page.
    pub fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            href: format!("#{}", field_id(path)),
            message: message.into(),
        }
    }

    /// An error about a field on another page.
    pub fn elsewhere(href: String, message: impl Into<String>) -> Self {
        Self {
            href,
            message: message.into(),
        }
    }
}

/// The HTML id of a field named by its contract path: `courses[0].level` → `courses_0_level`.
pub fn field_id(path: &str) -> String {
    path.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// A page to render: its template, title and data, and what the layout needs.
pub struct Page<'a> {
    pub template: &'static str,
    pub title: String,
    /// The page's own context, from a typed struct of its handler (`data`), merged into the layout's.
    pub data: Value,
    /// The Rust type `data` was built from, so that the tests can tell a typed context from `json!`.
    pub data_type: &'static str,
    pub session: Option<&'a Session>,
    pub errors: Vec<ErrorItem>,
    pub notice: Option<String>,
    pub status: StatusCode,
    /// The CSRF token of a form shown before sign-in.
    pub anonymous_csrf: Option<String>,
    /// What a refused form posted, by the id of each field, shown again in its fields with each message
    /// beside its field (the `field` and `textarea` partials read `posted`).
    pub posted: Option<Map<String, Value>>,
}

impl<'a> Page<'a> {
    pub fn new(
        template: &'static str,
        title: impl Into<String>,
        session: Option<&'a Session>,
    ) -> Self {
        Self {
            template,
            title: title.into(),
            data: json!({}),
            data_type: "()",
            session,
            errors: Vec::new(),
            notice: None,
            status: StatusCode::OK,
            anonymous_csrf: None,
            posted: None,
        }
    }

    /// Keeps what a refused form posted: each field's value under the id `{form}_{name}` (as
    /// [`field_id`] makes it), so that the page shows it again, and each message of the error summary
    /// beside its field.
    pub fn posted(mut self, form_name: &str, form: &[(String, String)]) -> Self {
        let values = form
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "csrf_token" | "action" | "confirmed"))
            .map(|(name, value)| (field_id(&format!("{form_name}_{name}")), json!(value)))
            .collect();
        self.posted = Some(values);
        self
    }

    /// The page's own context: a struct of the handler's that derives `Serialize`, whose fields are the
    /// names its template uses (strict mode makes a missing one an error).
    pub fn data<T: serde::Serialize>(mut self, data: T) -> Self {
        match serde_json::to_value(&data) {
            Ok(value) => {
                self.data = value;
                self.data_type = std::any::type_name::<T>();
            }
            Err(error) => {
                tracing::error!(template = self.template, cause = %error, "a page's context could not be built");
            }
        }
        self
    }

    pub fn errors(mut self, errors: Vec<ErrorItem>) -> Self {
        self.errors = errors;
        self
    }

    pub fn notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn context(&self) -> Value {
        let mut context = match &self.data {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        context.insert("title".into(), json!(self.title));
        if let Some(session) = self.session {
            context.insert("user".into(), user_context(session));
            context.insert("csrf_token".into(), json!(session.csrf_token));
        } else if let Some(token) = &self.anonymous_csrf {
            context.insert("csrf_token".into(), json!(token));
        }
        if !self.errors.is_empty() {
            context.insert("error_summary".into(), json!(self.errors));
        }
        if let Some(values) = &self.posted {
            let errors: Map<String, Value> = self
                .errors
                .iter()
                .filter_map(|item| {
                    let id = item.href.strip_prefix('#')?;
                    Some((id.to_string(), json!(item.message)))
                })
                .collect();
            context.insert("posted".into(), json!({"values": values, "errors": errors}));
        }
        if let Some(notice) = &self.notice {
            context.insert("notice".into(), json!(notice));
        }
        Value::Object(context)
    }
}

impl IntoResponse for Page<'_> {
    fn into_response(self) -> Response {
        match templates::render_as(self.template, self.data_type, &self.context()) {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(template = self.template, cause = %error, "a page could not be rendered");
                PageError::Internal.into_response()
            }
        }
    }
}

/// Where each role starts, and what it finds in the menu.
pub fn navigation(role: Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::Applicant => vec![("/applications", "Your applications")],
        Role::Helpdesk => vec![
            ("/cases", "Cases"),
            ("/helpdesk/password-reset", "Password reset links"),
        ],
        Role::ProgrammeOfficer => vec![
            ("/cases", "Cases"),
            ("/selection", "Selection"),
            ("/recipients", "Recipients"),
        ],
        Role::Admin => vec![
            ("/admin", "Administration"),
            ("/cycles", "Cycles"),
            ("/users", "Staff accounts"),
            ("/recipients", "Recipients"),
        ],
        Role::CommitteeMember => vec![("/committee", "Your assignments")],
        Role::InformationOfficer => vec![
            ("/requests", "Requests"),
            ("/retention", "Retention"),
            ("/cases", "Cases"),
        ],
    }
}

fn user_context(session: &Session) -> Value {
    let nav = navigation(session.actor.role);
    let path = CURRENT_PATH.try_with(Clone::clone).unwrap_or_default();
    let current = current_section(&nav, &path);
    json!({
        "role": session.actor.role.as_str(),
        "home": nav.first().map(|(href, _)| *href).unwrap_or("/"),
        "nav": nav.iter().map(|(href, label)| json!({"href": href, "label": label, "current": current == Some(*href)})).collect::<Vec<_>>(),
        "account_current": path == "/account",
    })
}

/// Why a page could not be shown. Each renders a page that says what to do next.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): go to the sign-in page, and come back after.
    SignIn {
        next: String,
    },
    /// A form whose CSRF token is missing or wrong.
    Csrf,
    /// A form, path or query that cannot be read at all.
    BadRequest,
    /// The rules refused what was asked (the application changed meanwhile, say); the sentence says why.
    Refused {
        status: StatusCode,
        message: String,
    },
    Forbidden,
    NotFound,
    Unavailable,
    Internal,
}

impl From<sqlx::Error> for PageError {
    fn from(error: sqlx::Error) -> Self {
        match ApiError::from(error).status {
            StatusCode::SERVICE_UNAVAILABLE => PageError::Unavailable,
            _ => PageError::Internal,
        }
    }
}

impl From<crate::auth::Busy> for PageError {
    fn from(_: crate::auth::Busy) -> Self {
        tracing::warn!("the password queue is full");
        PageError::Unavailable
    }
}

/// The application layer's error as a page: by its kind, with the sentence the API would give for a
/// refusal. A failure on our side is logged with its cause.
impl From<crate::error::AppError> for PageError {
    fn from(error: crate::error::AppError) -> Self {
        use crate::error::AppError;
        match error {
            AppError::NotFound => PageError::NotFound,
            AppError::Forbidden => PageError::Forbidden,
            AppError::Busy => PageError::Unavailable,
            AppError::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "store unavailable");
                PageError::Unavailable
            }
            AppError::Internal(cause) => {
                tracing::error!(cause = %cause, "page failed");
                PageError::Internal
            }
            refusal => ApiError::from(refusal).into(),
        }
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        match error.status {
            StatusCode::NOT_FOUND => PageError::NotFound,
            StatusCode::FORBIDDEN => PageError::Forbidden,
            StatusCode::SERVICE_UNAVAILABLE => PageError::Unavailable,
            StatusCode::UNAUTHORIZED => PageError::SignIn { next: "/".into() },
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY | StatusCode::GONE => {
                PageError::Refused {
                    status: error.status,
                    message: error.message,
                }
            }
            _ => PageError::Internal,
        }
    }
}

/// Only a path on this site may follow sign-in, never another site: a path from the root, of the characters
/// an address may hold as they are (RFC 3986's path and query characters, and `%` escapes), without `//`
/// anywhere, a backslash, white space or a control character, at most 1,000 bytes. Browsers drop tabs and
/// new lines from a `Location` and read `\\` as `/`, so `/<TAB>/evil.example` would be another site, and a
/// new line cannot be sent in a header at all; those are refused and the caller goes home instead.
pub fn safe_next(next: &str) -> Option<&str> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c);
    let ok = next.starts_with('/')
        && next.len() <= 1000
        && !next.contains("//")
        && next.chars().all(allowed);
    ok.then_some(next)
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let refused_message;
        let (status, heading, message, next_step) = match self {
            PageError::Refused { status, message } => {
                refused_message = format!("{}.", capitalise(&message));
                (
                    status,
                    "That could not be done",
                    refused_message.as_str(),
                    Some(("/", "Go to the start page")),
                )
            }
            PageError::SignIn { next } => {
                let target = match safe_next(&next) {
                    Some(next) if next != "/" => format!("/login?next={}", encode_query(next)),
                    _ => "/login".to_string(),
                };
                return Redirect::to(&target).into_response();
            }
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security the form could not be accepted. Go back, reload the page and try again.",
                None,
            ),
            PageError::BadRequest => (
                StatusCode::BAD_REQUEST,
                "Sorry, that could not be read",
                "Go back and try again.",
                Some(("/", "Go to the start page")),
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "You cannot see this page",
                "Your account does not give access to this page.",
                Some(("/", "Go to the start page")),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing here. If you typed the address, check it is correct.",
                Some(("/", "Go to the start page")),
            ),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is busy",
                "Please try again in a few minutes. Anything you saved is kept.",
                None,
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, something went wrong",
                "Please try again later. Anything you saved is kept.",
                None,
            ),
        };
        // An error page does not know who asked: it offers neither signing in nor registering, which would
        // mislead someone signed in, only the way on.
        let context = ErrorPage {
            title: heading,
            heading,
            message,
            next_step: next_step.map(|(href, label)| Link { href, label }),
            error_page: true,
        };
        let mut response = match templates::render("error", &context) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, heading).into_response(),
        };
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(1u64),
            );
        }
        response
    }
}

/// The three fields of a GOV.UK date input (the `date_input` partial): from the date kept (`YYYY-MM-DD`),
/// or as they were posted (`{name}-day`, `-month`, `-year`) when the page is shown again with an error.
#[derive(Debug, Default, PartialEq, serde::Serialize)]
pub struct DateParts {
    pub day: Option<String>,
    pub month: Option<String>,
    pub year: Option<String>,
}

impl DateParts {
    /// The parts of `kept` when it is a date, otherwise each part as `posted` gives it.
    pub fn of(kept: Option<&str>, posted: impl Fn(&str) -> Option<String>) -> Self {
        use chrono::Datelike;
        if let Some(date) =
            kept.and_then(|text| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        {
            return Self {
                day: Some(date.day().to_string()),
                month: Some(date.month().to_string()),
                year: Some(date.year().to_string()),
            };
        }
        Self {
            day: posted("day"),
            month: posted("month"),
            year: posted("year"),
        }
    }

    /// The parts a refused form posted for the date input named `name`.
    pub fn posted(form: &[(String, String)], name: &str) -> Self {
        Self::of(None, |part| {
            form.iter()
                .find(|(key, _)| *key == format!("{name}-{part}"))
                .map(|(_, value)| value.clone())
        })
    }
}

/// A date posted as the three fields of a GOV.UK date input (`{name}-day`, `-month`, `-year`): `Ok(None)`
/// when all are empty, the date as the contract writes it (`YYYY-MM-DD`) when they make one, and otherwise
/// what is wrong in the GOV.UK's words, to follow the field's label ("must include a month", "must be a
/// real date"). Whether the date is one the rules accept is the domain's to say.
pub fn posted_date(form: &[(String, String)], name: &str) -> Result<Option<String>, String> {
    let part = |part: &str| {
        form.iter()
            .find(|(key, _)| *key == format!("{name}-{part}"))
            .map(|(_, value)| value.trim().to_string())
            .unwrap_or_default()
    };
    let (day, month, year) = (part("day"), part("month"), part("year"));
    let missing: Vec<&str> = [("day", &day), ("month", &month), ("year", &year)]
        .iter()
        .filter(|(_, value)| value.is_empty())
        .map(|(name, _)| *name)
        .collect();
    match missing.len() {
        3 => return Ok(None),
        0 => {}
        1 => return Err(format!("must include a {}", missing[0])),
        _ => return Err(format!("must include a {} and {}", missing[0], missing[1])),
    }
    let number = |text: &str| text.parse::<u32>().ok();
    match (number(&day), number(&month), number(&year)) {
        (Some(d), Some(m), Some(y)) if year.len() == 4 => {
            chrono::NaiveDate::from_ymd_opt(y as i32, m, d)
                .map(|date| Some(date.format("%Y-%m-%d").to_string()))
                .ok_or_else(|| "must be a real date".to_string())
        }
        _ => Err("must be a real date".to_string()),
    }
}

/// The context of `error.hbs`: what went wrong and the way on.
#[derive(serde::Serialize)]
struct ErrorPage<'a> {
    title: &'a str,
    heading: &'a str,
    message: &'a str,
    next_step: Option<Link<'a>>,
    /// The layout shows neither "Sign in" nor "Register" on an error page.
    error_page: bool,
}

/// A link: where it goes and what it says.
#[derive(serde::Serialize)]
pub struct Link<'a> {
    pub href: &'a str,
    pub label: &'a str,
}

/// A choice of a select or radio group: its value, its label and whether it is chosen.
#[derive(serde::Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// A posted form: its fields in order, with any NUL character (which no browser sends and no database
/// column can hold) taken out.
pub struct PageForm(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for PageForm {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(req, state)
            .await
            .map_err(|_| PageError::BadRequest)?;
        let clean = |text: String| {
            if text.contains('\0') {
                text.replace('\0', "")
            } else {
                text
            }
        };
        Ok(PageForm(
            fields
                .into_iter()
                .map(|(k, v)| (clean(k), clean(v)))
                .collect(),
        ))
    }
}

/// A value from a page's path; one that cannot be read names no page.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PagePath(value))
            .map_err(|_| PageError::NotFound)
    }
}

/// A page's query string; one that cannot be read is a bad request.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| PageQuery(value))
            .map_err(|_| PageError::BadRequest)
    }
}

/// The view of an application for a page: a page saying so where its personal data was destroyed (410),
/// the not-found page where there is none.
pub async fn application_or_gone(
    state: &AppState,
    id: &str,
) -> Result<projections::application_view::ApplicationView, PageError> {
    let db = &state.db;
    if let Some(view) = projections::application_view::find(db, &state.repo, id).await? {
        return Ok(view);
    }
    if projections::retention::is_destroyed(db, "Application", id).await? {
        return Err(PageError::Refused {
            status: StatusCode::GONE,
            message: "this application's personal data was destroyed under the retention schedule"
                .into(),
        });
    }
    Err(PageError::NotFound)
}

/// A sentence with its first letter made a capital.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Percent-encodes a value for a query string.
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A 303 to another page, optionally setting cookies.
pub fn see_other(location: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(location).into_response();
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_ids_are_made_from_contract_paths() {
        assert_eq!(field_id("personal.full_name"), "personal_full_name");
        assert_eq!(field_id("courses[0].level"), "courses_0_level");
        assert_eq!(field_id("referees[1]"), "referees_1");
    }

    #[test]
    fn the_menu_marks_the_section_a_page_is_in() {
        let nav = navigation(Role::ProgrammeOfficer);
        assert_eq!(current_section(&nav, "/cases"), Some("/cases"));
        assert_eq!(
            current_section(&nav, "/cases/abc/administration"),
            Some("/cases")
        );
        assert_eq!(current_section(&nav, "/casesx"), None);
        assert_eq!(current_section(&nav, "/account"), None);
    }

    #[test]
    fn only_paths_on_this_site_may_follow_sign_in() {
        assert_eq!(safe_next("/applications/1"), Some("/applications/1"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("/\t/evil.example/"), None);
        assert_eq!(safe_next("/\n"), None);
        assert_eq!(safe_next("/a//evil.example"), None);
        assert_eq!(safe_next("/ /evil.example"), None);
        assert_eq!(
            safe_next("/applications?section=personal"),
            Some("/applications?section=personal")
        );
    }
}
